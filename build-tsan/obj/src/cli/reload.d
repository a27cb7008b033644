build-tsan/obj/src/cli/reload.o: src/cli/reload.c src/cli/cli.h \
 src/cli/control_client.h
src/cli/cli.h:
src/cli/control_client.h:
