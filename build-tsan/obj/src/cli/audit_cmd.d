build-tsan/obj/src/cli/audit_cmd.o: src/cli/audit_cmd.c src/cli/cli.h \
 src/cli/control_client.h
src/cli/cli.h:
src/cli/control_client.h:
