build-tsan/obj/src/common/lineparse.o: src/common/lineparse.c \
 src/common/lineparse.h
src/common/lineparse.h:
