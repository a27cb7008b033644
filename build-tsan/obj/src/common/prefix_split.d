build-tsan/obj/src/common/prefix_split.o: src/common/prefix_split.c \
 src/common/prefix_split.h src/common/addr.h
src/common/prefix_split.h:
src/common/addr.h:
