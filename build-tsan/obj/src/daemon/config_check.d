build-tsan/obj/src/daemon/config_check.o: src/daemon/config_check.c \
 src/coalition/charter.h src/coalition/identity.h src/coalition/nkey.h \
 src/common/prefixlist.h src/common/addr.h src/daemon/config.h \
 src/rules/rules.h src/daemon/config_check.h src/daemon/sandbox.h \
 src/sensor/sensor.h
src/coalition/charter.h:
src/coalition/identity.h:
src/coalition/nkey.h:
src/common/prefixlist.h:
src/common/addr.h:
src/daemon/config.h:
src/rules/rules.h:
src/daemon/config_check.h:
src/daemon/sandbox.h:
src/sensor/sensor.h:
