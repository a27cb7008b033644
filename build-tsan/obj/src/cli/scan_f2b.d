build-tsan/obj/src/cli/scan_f2b.o: src/cli/scan_f2b.c src/cli/cli.h \
 src/cli/f2b_pool.h src/f2b/f2b_filter.h src/common/addr.h \
 src/f2b/f2b_conf.h src/cli/scan_input.h src/common/util.h \
 src/daemon/config.h src/common/prefixlist.h src/rules/rules.h \
 src/detector/detector.h
src/cli/cli.h:
src/cli/f2b_pool.h:
src/f2b/f2b_filter.h:
src/common/addr.h:
src/f2b/f2b_conf.h:
src/cli/scan_input.h:
src/common/util.h:
src/daemon/config.h:
src/common/prefixlist.h:
src/rules/rules.h:
src/detector/detector.h:
