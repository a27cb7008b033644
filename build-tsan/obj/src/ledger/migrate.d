build-tsan/obj/src/ledger/migrate.o: src/ledger/migrate.c \
 src/ledger/migrate.h src/ledger/db.h
src/ledger/migrate.h:
src/ledger/db.h:
