build-tsan/obj/src/cli/bans.o: src/cli/bans.c src/cli/cli.h \
 src/cli/control_client.h
src/cli/cli.h:
src/cli/control_client.h:
