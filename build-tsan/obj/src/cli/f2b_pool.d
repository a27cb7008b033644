build-tsan/obj/src/cli/f2b_pool.o: src/cli/f2b_pool.c src/cli/f2b_pool.h \
 src/f2b/f2b_filter.h src/common/addr.h src/f2b/f2b_conf.h \
 src/common/util.h
src/cli/f2b_pool.h:
src/f2b/f2b_filter.h:
src/common/addr.h:
src/f2b/f2b_conf.h:
src/common/util.h:
