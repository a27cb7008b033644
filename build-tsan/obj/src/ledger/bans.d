build-tsan/obj/src/ledger/bans.o: src/ledger/bans.c src/common/util.h \
 src/ledger/db.h src/ledger/ledger.h src/common/addr.h \
 src/ledger/tables.h
src/common/util.h:
src/ledger/db.h:
src/ledger/ledger.h:
src/common/addr.h:
src/ledger/tables.h:
