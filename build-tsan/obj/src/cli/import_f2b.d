build-tsan/obj/src/cli/import_f2b.o: src/cli/import_f2b.c src/cli/cli.h \
 src/common/addr.h src/common/util.h src/daemon/config.h \
 src/common/prefixlist.h src/rules/rules.h src/f2b/f2b_conf.h
src/cli/cli.h:
src/common/addr.h:
src/common/util.h:
src/daemon/config.h:
src/common/prefixlist.h:
src/rules/rules.h:
src/f2b/f2b_conf.h:
