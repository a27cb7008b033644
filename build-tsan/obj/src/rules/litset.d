build-tsan/obj/src/rules/litset.o: src/rules/litset.c src/rules/litset.h
src/rules/litset.h:
