build-tsan/obj/src/coalition/transport_receive.o: \
 src/coalition/transport_receive.c src/coalition/transport.h \
 src/coalition/transport_int.h src/coalition/nkey.h src/common/log.h
src/coalition/transport.h:
src/coalition/transport_int.h:
src/coalition/nkey.h:
src/common/log.h:
