build-tsan/obj/src/cli/check_config.o: src/cli/check_config.c \
 src/cli/cli.h src/daemon/config.h src/common/prefixlist.h \
 src/common/addr.h src/rules/rules.h src/daemon/config_check.h \
 src/daemon/f2b_services.h
src/cli/cli.h:
src/daemon/config.h:
src/common/prefixlist.h:
src/common/addr.h:
src/rules/rules.h:
src/daemon/config_check.h:
src/daemon/f2b_services.h:
