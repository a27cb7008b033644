build-tsan/obj/src/daemon/privsep.o: src/daemon/privsep.c \
 src/coalition/charter.h src/coalition/identity.h src/coalition/nkey.h \
 src/common/prefixlist.h src/common/addr.h src/common/log.h \
 src/daemon/config.h src/rules/rules.h src/daemon/privsep.h \
 src/enforcer/enforcer.h src/enforcer/kset.h
src/coalition/charter.h:
src/coalition/identity.h:
src/coalition/nkey.h:
src/common/prefixlist.h:
src/common/addr.h:
src/common/log.h:
src/daemon/config.h:
src/rules/rules.h:
src/daemon/privsep.h:
src/enforcer/enforcer.h:
src/enforcer/kset.h:
