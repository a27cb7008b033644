build-tsan/obj/src/f2b/f2b_literal.o: src/f2b/f2b_literal.c \
 src/common/util.h src/f2b/f2b_literal.h
src/common/util.h:
src/f2b/f2b_literal.h:
