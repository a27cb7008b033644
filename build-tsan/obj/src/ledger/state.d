build-tsan/obj/src/ledger/state.o: src/ledger/state.c src/common/util.h \
 src/ledger/db.h src/ledger/ledger.h src/common/addr.h \
 src/ledger/tables.h
src/common/util.h:
src/ledger/db.h:
src/ledger/ledger.h:
src/common/addr.h:
src/ledger/tables.h:
