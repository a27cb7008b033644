build-tsan/obj/src/ledger/ledger.o: src/ledger/ledger.c src/common/util.h \
 src/ledger/db.h src/ledger/ledger.h src/common/addr.h \
 src/ledger/migrate.h src/ledger/tables.h
src/common/util.h:
src/ledger/db.h:
src/ledger/ledger.h:
src/common/addr.h:
src/ledger/migrate.h:
src/ledger/tables.h:
