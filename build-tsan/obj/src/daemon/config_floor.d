build-tsan/obj/src/daemon/config_floor.o: src/daemon/config_floor.c \
 src/common/util.h src/daemon/config_floor.h src/common/lineparse.h \
 src/daemon/config.h src/common/prefixlist.h src/common/addr.h \
 src/rules/rules.h
src/common/util.h:
src/daemon/config_floor.h:
src/common/lineparse.h:
src/daemon/config.h:
src/common/prefixlist.h:
src/common/addr.h:
src/rules/rules.h:
