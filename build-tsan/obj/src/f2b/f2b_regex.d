build-tsan/obj/src/f2b/f2b_regex.o: src/f2b/f2b_regex.c src/common/util.h \
 src/f2b/f2b_regex.h
src/common/util.h:
src/f2b/f2b_regex.h:
