build-tsan/obj/src/daemon/web.o: src/daemon/web.c \
 src/coalition/coalition.h src/common/addr.h src/coalition/charter.h \
 src/coalition/identity.h src/coalition/nkey.h src/common/prefixlist.h \
 src/coalition/wire.h src/common/log.h src/common/util.h \
 src/daemon/config.h src/rules/rules.h src/daemon/control.h \
 src/daemon/privsep.h src/enforcer/enforcer.h src/enforcer/kset.h \
 src/daemon/worker.h src/daemon/parent.h src/daemon/sandbox.h \
 src/http/dashboard.h src/policy/verdict.h src/detector/detector.h \
 src/ledger/journal.h src/ledger/ledger.h src/sensor/sensor.h \
 src/http/http.h src/http/metrics.h
src/coalition/coalition.h:
src/common/addr.h:
src/coalition/charter.h:
src/coalition/identity.h:
src/coalition/nkey.h:
src/common/prefixlist.h:
src/coalition/wire.h:
src/common/log.h:
src/common/util.h:
src/daemon/config.h:
src/rules/rules.h:
src/daemon/control.h:
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
src/http/http.h:
src/http/metrics.h:
