build-tsan/obj/src/coalition/wire.o: src/coalition/wire.c \
 src/coalition/wire.h src/coalition/identity.h src/coalition/nkey.h \
 src/common/addr.h src/coalition/wirebuf.h
src/coalition/wire.h:
src/coalition/identity.h:
src/coalition/nkey.h:
src/common/addr.h:
src/coalition/wirebuf.h:
