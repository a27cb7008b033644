build-tsan/obj/src/cli/coalition_cmd.o: src/cli/coalition_cmd.c \
 src/cli/cli.h src/cli/coalition_cli.h src/cli/charter_cli.h \
 src/coalition/charter.h src/coalition/identity.h src/coalition/nkey.h \
 src/common/prefixlist.h src/common/addr.h src/coalition/governance.h \
 src/coalition/transport.h src/common/util.h src/daemon/config.h \
 src/rules/rules.h
src/cli/cli.h:
src/cli/coalition_cli.h:
src/cli/charter_cli.h:
src/coalition/charter.h:
src/coalition/identity.h:
src/coalition/nkey.h:
src/common/prefixlist.h:
src/common/addr.h:
src/coalition/governance.h:
src/coalition/transport.h:
src/common/util.h:
src/daemon/config.h:
src/rules/rules.h:
