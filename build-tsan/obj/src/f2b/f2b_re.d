build-tsan/obj/src/f2b/f2b_re.o: src/f2b/f2b_re.c src/common/util.h \
 src/f2b/f2b_re.h src/f2b/f2b_literal.h src/f2b/f2b_regex.h
src/common/util.h:
src/f2b/f2b_re.h:
src/f2b/f2b_literal.h:
src/f2b/f2b_regex.h:
