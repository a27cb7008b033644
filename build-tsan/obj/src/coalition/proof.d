build-tsan/obj/src/coalition/proof.o: src/coalition/proof.c \
 src/coalition/evidence.h src/coalition/identity.h src/coalition/nkey.h \
 src/coalition/proof_check.h src/common/addr.h src/coalition/wire.h \
 src/ledger/journal.h src/coalition/state.h src/coalition/accept.h \
 src/coalition/charter.h src/common/prefixlist.h src/coalition/chain.h \
 src/coalition/coalition.h src/coalition/transport.h src/common/log.h \
 src/common/util.h src/ledger/ledger.h
src/coalition/evidence.h:
src/coalition/identity.h:
src/coalition/nkey.h:
src/coalition/proof_check.h:
src/common/addr.h:
src/coalition/wire.h:
src/ledger/journal.h:
src/coalition/state.h:
src/coalition/accept.h:
src/coalition/charter.h:
src/common/prefixlist.h:
src/coalition/chain.h:
src/coalition/coalition.h:
src/coalition/transport.h:
src/common/log.h:
src/common/util.h:
src/ledger/ledger.h:
