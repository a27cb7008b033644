build-tsan/obj/src/ledger/cbans.o: src/ledger/cbans.c src/common/util.h \
 src/ledger/db.h src/ledger/ledger.h src/common/addr.h \
 src/ledger/tables.h
src/common/util.h:
src/ledger/db.h:
src/ledger/ledger.h:
src/common/addr.h:
src/ledger/tables.h:
