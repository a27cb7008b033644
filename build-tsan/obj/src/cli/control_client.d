build-tsan/obj/src/cli/control_client.o: src/cli/control_client.c \
 src/cli/control_client.h src/common/addr.h src/common/util.h \
 src/daemon/config.h src/common/prefixlist.h src/rules/rules.h \
 src/daemon/control.h
src/cli/control_client.h:
src/common/addr.h:
src/common/util.h:
src/daemon/config.h:
src/common/prefixlist.h:
src/rules/rules.h:
src/daemon/control.h:
