build-tsan/obj/src/coalition/transport.o: src/coalition/transport.c \
 src/coalition/nkey.h src/coalition/transport.h \
 src/coalition/transport_int.h src/coalition/wire.h \
 src/coalition/identity.h src/common/addr.h src/common/log.h \
 src/common/util.h
src/coalition/nkey.h:
src/coalition/transport.h:
src/coalition/transport_int.h:
src/coalition/wire.h:
src/coalition/identity.h:
src/common/addr.h:
src/common/log.h:
src/common/util.h:
