build-tsan/obj/src/daemon/history_entry.o: src/daemon/history_entry.c \
 src/common/util.h src/coalition/evidence.h src/coalition/identity.h \
 src/coalition/nkey.h src/coalition/proof_check.h src/common/addr.h \
 src/coalition/wire.h src/ledger/journal.h src/daemon/history_entry.h
src/common/util.h:
src/coalition/evidence.h:
src/coalition/identity.h:
src/coalition/nkey.h:
src/coalition/proof_check.h:
src/common/addr.h:
src/coalition/wire.h:
src/ledger/journal.h:
src/daemon/history_entry.h:
