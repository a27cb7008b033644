build-tsan/obj/src/cli/charter_cmd.o: src/cli/charter_cmd.c \
 src/cli/charter_cli.h src/coalition/charter.h src/coalition/identity.h \
 src/coalition/nkey.h src/common/prefixlist.h src/common/addr.h \
 src/coalition/governance.h src/cli/cli.h src/common/util.h
src/cli/charter_cli.h:
src/coalition/charter.h:
src/coalition/identity.h:
src/coalition/nkey.h:
src/common/prefixlist.h:
src/common/addr.h:
src/coalition/governance.h:
src/cli/cli.h:
src/common/util.h:
