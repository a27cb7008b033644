build-tsan/obj/src/rules/pattern.o: src/rules/pattern.c \
 src/rules/pattern.h src/rules/rules.h src/common/addr.h
src/rules/pattern.h:
src/rules/rules.h:
src/common/addr.h:
