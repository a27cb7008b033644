build-tsan/obj/src/common/hashtab.o: src/common/hashtab.c \
 src/common/hashtab.h
src/common/hashtab.h:
