build-tsan/obj/src/daemon/f2b_services.o: src/daemon/f2b_services.c \
 src/common/util.h src/daemon/f2b_services.h src/common/addr.h \
 src/daemon/config.h src/common/prefixlist.h src/rules/rules.h \
 src/f2b/f2b_conf.h src/f2b/f2b_filter.h
src/common/util.h:
src/daemon/f2b_services.h:
src/common/addr.h:
src/daemon/config.h:
src/common/prefixlist.h:
src/rules/rules.h:
src/f2b/f2b_conf.h:
src/f2b/f2b_filter.h:
