build-tsan/obj/src/cli/unban.o: src/cli/unban.c src/cli/cli.h \
 src/cli/control_client.h
src/cli/cli.h:
src/cli/control_client.h:
