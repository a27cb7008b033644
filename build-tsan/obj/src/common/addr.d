build-tsan/obj/src/common/addr.o: src/common/addr.c src/common/addr.h
src/common/addr.h:
