build-tsan/obj/src/f2b/f2b_prefilter.o: src/f2b/f2b_prefilter.c \
 src/f2b/f2b_prefilter.h
src/f2b/f2b_prefilter.h:
