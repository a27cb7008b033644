build-tsan/obj/src/cli/metrics.o: src/cli/metrics.c src/cli/cli.h \
 src/cli/control_client.h
src/cli/cli.h:
src/cli/control_client.h:
