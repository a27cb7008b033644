build-tsan/obj/src/f2b/f2b_time.o: src/f2b/f2b_time.c \
 src/common/timeparse.h src/f2b/f2b_time.h src/f2b/f2b_u8.h
src/common/timeparse.h:
src/f2b/f2b_time.h:
src/f2b/f2b_u8.h:
