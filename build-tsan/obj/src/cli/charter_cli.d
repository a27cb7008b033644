build-tsan/obj/src/cli/charter_cli.o: src/cli/charter_cli.c \
 src/cli/charter_cli.h src/coalition/charter.h src/coalition/identity.h \
 src/coalition/nkey.h src/common/prefixlist.h src/common/addr.h \
 src/coalition/governance.h src/common/lineparse.h src/common/util.h \
 src/daemon/config.h src/rules/rules.h
src/cli/charter_cli.h:
src/coalition/charter.h:
src/coalition/identity.h:
src/coalition/nkey.h:
src/common/prefixlist.h:
src/common/addr.h:
src/coalition/governance.h:
src/common/lineparse.h:
src/common/util.h:
src/daemon/config.h:
src/rules/rules.h:
