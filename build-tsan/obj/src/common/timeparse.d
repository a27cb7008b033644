build-tsan/obj/src/common/timeparse.o: src/common/timeparse.c \
 src/common/timeparse.h
src/common/timeparse.h:
