build-tsan/obj/src/cli/coalition_join.o: src/cli/coalition_join.c \
 src/cli/coalition_cli.h src/cli/charter_cli.h src/coalition/charter.h \
 src/coalition/identity.h src/coalition/nkey.h src/common/prefixlist.h \
 src/common/addr.h src/coalition/governance.h src/coalition/transport.h \
 src/coalition/onboard.h src/coalition/onboard_nats.h src/common/util.h
src/cli/coalition_cli.h:
src/cli/charter_cli.h:
src/coalition/charter.h:
src/coalition/identity.h:
src/coalition/nkey.h:
src/common/prefixlist.h:
src/common/addr.h:
src/coalition/governance.h:
src/coalition/transport.h:
src/coalition/onboard.h:
src/coalition/onboard_nats.h:
src/common/util.h:
