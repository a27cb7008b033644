build-tsan/obj/src/policy/verdict.o: src/policy/verdict.c \
 src/common/log.h src/common/util.h src/policy/verdict.h \
 src/common/addr.h src/common/prefixlist.h src/detector/detector.h \
 src/rules/rules.h src/enforcer/enforcer.h src/ledger/journal.h \
 src/ledger/ledger.h
src/common/log.h:
src/common/util.h:
src/policy/verdict.h:
src/common/addr.h:
src/common/prefixlist.h:
src/detector/detector.h:
src/rules/rules.h:
src/enforcer/enforcer.h:
src/ledger/journal.h:
src/ledger/ledger.h:
