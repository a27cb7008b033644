build-tsan/obj/src/coalition/evidence.o: src/coalition/evidence.c \
 src/coalition/evidence.h src/coalition/identity.h src/coalition/nkey.h \
 src/coalition/proof_check.h src/common/addr.h src/coalition/wire.h \
 src/ledger/journal.h src/coalition/governance.h src/coalition/charter.h \
 src/common/prefixlist.h
src/coalition/evidence.h:
src/coalition/identity.h:
src/coalition/nkey.h:
src/coalition/proof_check.h:
src/common/addr.h:
src/coalition/wire.h:
src/ledger/journal.h:
src/coalition/governance.h:
src/coalition/charter.h:
src/common/prefixlist.h:
