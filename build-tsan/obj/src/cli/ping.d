build-tsan/obj/src/cli/ping.o: src/cli/ping.c src/cli/cli.h \
 src/cli/control_client.h
src/cli/cli.h:
src/cli/control_client.h:
