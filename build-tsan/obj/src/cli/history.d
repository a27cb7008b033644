build-tsan/obj/src/cli/history.o: src/cli/history.c src/cli/cli.h \
 src/cli/control_client.h
src/cli/cli.h:
src/cli/control_client.h:
