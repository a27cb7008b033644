build-tsan/obj/src/cli/flush.o: src/cli/flush.c src/cli/cli.h \
 src/cli/control_client.h
src/cli/cli.h:
src/cli/control_client.h:
