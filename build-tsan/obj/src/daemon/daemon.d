build-tsan/obj/src/daemon/daemon.o: src/daemon/daemon.c \
 src/coalition/wire.h src/coalition/identity.h src/coalition/nkey.h \
 src/common/addr.h src/common/log.h src/common/util.h \
 src/coalition/coalition.h src/coalition/charter.h \
 src/common/prefixlist.h src/daemon/config.h src/rules/rules.h \
 src/daemon/daemon.h src/daemon/parent.h src/daemon/privsep.h \
 src/enforcer/enforcer.h src/enforcer/kset.h src/daemon/sandbox.h \
 src/daemon/f2b_services.h src/daemon/worker.h src/http/dashboard.h \
 src/policy/verdict.h src/detector/detector.h src/ledger/journal.h \
 src/ledger/ledger.h src/sensor/sensor.h src/http/http.h
src/coalition/wire.h:
src/coalition/identity.h:
src/coalition/nkey.h:
src/common/addr.h:
src/common/log.h:
src/common/util.h:
src/coalition/coalition.h:
src/coalition/charter.h:
src/common/prefixlist.h:
src/daemon/config.h:
src/rules/rules.h:
src/daemon/daemon.h:
src/daemon/parent.h:
src/daemon/privsep.h:
src/enforcer/enforcer.h:
src/enforcer/kset.h:
src/daemon/sandbox.h:
src/daemon/f2b_services.h:
src/daemon/worker.h:
src/http/dashboard.h:
src/policy/verdict.h:
src/detector/detector.h:
src/ledger/journal.h:
src/ledger/ledger.h:
src/sensor/sensor.h:
src/http/http.h:
