build-tsan/obj/src/daemon/control_handlers.o: \
 src/daemon/control_handlers.c src/coalition/wire.h \
 src/coalition/identity.h src/coalition/nkey.h src/common/addr.h \
 src/common/log.h src/common/prefix_split.h src/common/util.h \
 src/coalition/coalition.h src/coalition/charter.h \
 src/common/prefixlist.h src/daemon/config.h src/rules/rules.h \
 src/daemon/control.h src/daemon/control_views.h src/daemon/privsep.h \
 src/enforcer/enforcer.h src/enforcer/kset.h src/daemon/worker.h \
 src/daemon/parent.h src/daemon/sandbox.h src/http/dashboard.h \
 src/policy/verdict.h src/detector/detector.h src/ledger/journal.h \
 src/ledger/ledger.h src/sensor/sensor.h
src/coalition/wire.h:
src/coalition/identity.h:
src/coalition/nkey.h:
src/common/addr.h:
src/common/log.h:
src/common/prefix_split.h:
src/common/util.h:
src/coalition/coalition.h:
src/coalition/charter.h:
src/common/prefixlist.h:
src/daemon/config.h:
src/rules/rules.h:
src/daemon/control.h:
src/daemon/control_views.h:
src/daemon/privsep.h:
src/enforcer/enforcer.h:
src/enforcer/kset.h:
src/daemon/worker.h:
src/daemon/parent.h:
src/daemon/sandbox.h:
src/http/dashboard.h:
src/policy/verdict.h:
src/detector/detector.h:
src/ledger/journal.h:
src/ledger/ledger.h:
src/sensor/sensor.h:
