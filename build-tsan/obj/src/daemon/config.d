build-tsan/obj/src/daemon/config.o: src/daemon/config.c \
 src/common/lineparse.h src/common/util.h src/daemon/config.h \
 src/common/prefixlist.h src/common/addr.h src/rules/rules.h \
 src/daemon/config_floor.h src/http/http.h
src/common/lineparse.h:
src/common/util.h:
src/daemon/config.h:
src/common/prefixlist.h:
src/common/addr.h:
src/rules/rules.h:
src/daemon/config_floor.h:
src/http/http.h:
