build-tsan/obj/src/ledger/journal.o: src/ledger/journal.c \
 src/common/util.h src/ledger/db.h src/ledger/journal.h src/common/addr.h \
 src/ledger/migrate.h
src/common/util.h:
src/ledger/db.h:
src/ledger/journal.h:
src/common/addr.h:
src/ledger/migrate.h:
