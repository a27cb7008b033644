build-tsan/obj/src/cli/members.o: src/cli/members.c src/cli/cli.h \
 src/cli/control_client.h
src/cli/cli.h:
src/cli/control_client.h:
