build-tsan/obj/src/daemon/config_print.o: src/daemon/config_print.c \
 src/common/addr.h src/daemon/config.h src/common/prefixlist.h \
 src/rules/rules.h src/daemon/config_floor.h src/common/lineparse.h
src/common/addr.h:
src/daemon/config.h:
src/common/prefixlist.h:
src/rules/rules.h:
src/daemon/config_floor.h:
src/common/lineparse.h:
