build-tsan/obj/src/coalition/nkey.o: src/coalition/nkey.c \
 src/coalition/nkey.h
src/coalition/nkey.h:
