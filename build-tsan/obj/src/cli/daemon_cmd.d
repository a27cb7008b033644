build-tsan/obj/src/cli/daemon_cmd.o: src/cli/daemon_cmd.c src/cli/cli.h \
 src/common/log.h src/daemon/config.h src/common/prefixlist.h \
 src/common/addr.h src/rules/rules.h src/daemon/config_check.h \
 src/daemon/daemon.h src/daemon/parent.h src/daemon/privsep.h \
 src/enforcer/enforcer.h src/enforcer/kset.h src/daemon/sandbox.h
src/cli/cli.h:
src/common/log.h:
src/daemon/config.h:
src/common/prefixlist.h:
src/common/addr.h:
src/rules/rules.h:
src/daemon/config_check.h:
src/daemon/daemon.h:
src/daemon/parent.h:
src/daemon/privsep.h:
src/enforcer/enforcer.h:
src/enforcer/kset.h:
src/daemon/sandbox.h:
