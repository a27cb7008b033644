build-tsan/obj/src/daemon/sandbox.o: src/daemon/sandbox.c \
 src/daemon/sandbox.h
src/daemon/sandbox.h:
