build-tsan/obj/src/daemon/parent.o: src/daemon/parent.c \
 src/coalition/charter.h src/coalition/identity.h src/coalition/nkey.h \
 src/common/prefixlist.h src/common/addr.h src/common/log.h \
 src/daemon/control.h src/daemon/notify.h src/daemon/parent.h \
 src/daemon/config.h src/rules/rules.h src/daemon/privsep.h \
 src/enforcer/enforcer.h src/enforcer/kset.h src/daemon/sandbox.h
src/coalition/charter.h:
src/coalition/identity.h:
src/coalition/nkey.h:
src/common/prefixlist.h:
src/common/addr.h:
src/common/log.h:
src/daemon/control.h:
src/daemon/notify.h:
src/daemon/parent.h:
src/daemon/config.h:
src/rules/rules.h:
src/daemon/privsep.h:
src/enforcer/enforcer.h:
src/enforcer/kset.h:
src/daemon/sandbox.h:
