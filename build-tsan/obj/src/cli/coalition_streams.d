build-tsan/obj/src/cli/coalition_streams.o: src/cli/coalition_streams.c \
 src/cli/coalition_cli.h src/cli/charter_cli.h src/coalition/charter.h \
 src/coalition/identity.h src/coalition/nkey.h src/common/prefixlist.h \
 src/common/addr.h src/coalition/governance.h src/coalition/transport.h \
 src/coalition/onboard.h src/coalition/onboard_conf.h \
 src/coalition/onboard_nats.h src/daemon/config.h src/rules/rules.h
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
src/coalition/onboard_conf.h:
src/coalition/onboard_nats.h:
src/daemon/config.h:
src/rules/rules.h:
