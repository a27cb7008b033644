build-tsan/obj/src/http/dashboard.o: src/http/dashboard.c \
 src/common/util.h src/daemon/control.h src/common/addr.h \
 src/http/dashboard.h
src/common/util.h:
src/daemon/control.h:
src/common/addr.h:
src/http/dashboard.h:
