build-tsan/obj/src/daemon/commitments.o: src/daemon/commitments.c \
 src/common/log.h src/coalition/coalition.h src/common/addr.h \
 src/coalition/charter.h src/coalition/identity.h src/coalition/nkey.h \
 src/common/prefixlist.h src/coalition/wire.h src/daemon/privsep.h \
 src/enforcer/enforcer.h src/enforcer/kset.h src/daemon/worker.h \
 src/daemon/parent.h src/daemon/config.h src/rules/rules.h \
 src/daemon/sandbox.h src/http/dashboard.h src/policy/verdict.h \
 src/detector/detector.h src/ledger/journal.h src/ledger/ledger.h \
 src/sensor/sensor.h
src/common/log.h:
src/coalition/coalition.h:
src/common/addr.h:
src/coalition/charter.h:
src/coalition/identity.h:
src/coalition/nkey.h:
src/common/prefixlist.h:
src/coalition/wire.h:
src/daemon/privsep.h:
src/enforcer/enforcer.h:
src/enforcer/kset.h:
src/daemon/worker.h:
src/daemon/parent.h:
src/daemon/config.h:
src/rules/rules.h:
src/daemon/sandbox.h:
src/http/dashboard.h:
src/policy/verdict.h:
src/detector/detector.h:
src/ledger/journal.h:
src/ledger/ledger.h:
src/sensor/sensor.h:
