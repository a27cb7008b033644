build-tsan/obj/src/daemon/control_history.o: src/daemon/control_history.c \
 src/coalition/evidence.h src/coalition/identity.h src/coalition/nkey.h \
 src/coalition/proof_check.h src/common/addr.h src/coalition/wire.h \
 src/ledger/journal.h src/common/util.h src/daemon/control.h \
 src/daemon/control_views.h src/daemon/history_entry.h \
 src/daemon/worker.h src/common/prefixlist.h src/daemon/parent.h \
 src/daemon/config.h src/rules/rules.h src/daemon/privsep.h \
 src/enforcer/enforcer.h src/enforcer/kset.h src/daemon/sandbox.h \
 src/http/dashboard.h src/policy/verdict.h src/detector/detector.h \
 src/ledger/ledger.h src/sensor/sensor.h
src/coalition/evidence.h:
src/coalition/identity.h:
src/coalition/nkey.h:
src/coalition/proof_check.h:
src/common/addr.h:
src/coalition/wire.h:
src/ledger/journal.h:
src/common/util.h:
src/daemon/control.h:
src/daemon/control_views.h:
src/daemon/history_entry.h:
src/daemon/worker.h:
src/common/prefixlist.h:
src/daemon/parent.h:
src/daemon/config.h:
src/rules/rules.h:
src/daemon/privsep.h:
src/enforcer/enforcer.h:
src/enforcer/kset.h:
src/daemon/sandbox.h:
src/http/dashboard.h:
src/policy/verdict.h:
src/detector/detector.h:
src/ledger/ledger.h:
src/sensor/sensor.h:
