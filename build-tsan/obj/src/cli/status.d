build-tsan/obj/src/cli/status.o: src/cli/status.c src/cli/cli.h \
 src/cli/control_client.h
src/cli/cli.h:
src/cli/control_client.h:
