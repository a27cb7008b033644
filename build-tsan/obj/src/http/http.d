build-tsan/obj/src/http/http.o: src/http/http.c src/common/log.h \
 src/common/util.h src/daemon/control.h src/common/addr.h src/http/http.h
src/common/log.h:
src/common/util.h:
src/daemon/control.h:
src/common/addr.h:
src/http/http.h:
