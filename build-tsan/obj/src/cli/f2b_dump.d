build-tsan/obj/src/cli/f2b_dump.o: src/cli/f2b_dump.c src/cli/cli.h \
 src/f2b/f2b_conf.h
src/cli/cli.h:
src/f2b/f2b_conf.h:
