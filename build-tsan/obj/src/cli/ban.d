build-tsan/obj/src/cli/ban.o: src/cli/ban.c src/cli/cli.h \
 src/cli/control_client.h
src/cli/cli.h:
src/cli/control_client.h:
