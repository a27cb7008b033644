build-tsan/obj/src/daemon/notify.o: src/daemon/notify.c src/common/log.h \
 src/daemon/notify.h
src/common/log.h:
src/daemon/notify.h:
