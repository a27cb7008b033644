build-tsan/obj/src/daemon/control.o: src/daemon/control.c \
 src/common/log.h src/common/util.h src/daemon/control.h \
 src/common/addr.h
src/common/log.h:
src/common/util.h:
src/daemon/control.h:
src/common/addr.h:
