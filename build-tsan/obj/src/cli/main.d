build-tsan/obj/src/cli/main.o: src/cli/main.c src/cli/cli.h \
 src/common/log.h src/common/util.h
src/cli/cli.h:
src/common/log.h:
src/common/util.h:
