build-tsan/obj/src/coalition/transport_publish.o: \
 src/coalition/transport_publish.c src/coalition/transport.h \
 src/coalition/transport_int.h src/coalition/nkey.h src/common/log.h
src/coalition/transport.h:
src/coalition/transport_int.h:
src/coalition/nkey.h:
src/common/log.h:
