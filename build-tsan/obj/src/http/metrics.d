build-tsan/obj/src/http/metrics.o: src/http/metrics.c src/common/util.h \
 src/daemon/control.h src/common/addr.h src/http/metrics.h
src/common/util.h:
src/daemon/control.h:
src/common/addr.h:
src/http/metrics.h:
