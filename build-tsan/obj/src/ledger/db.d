build-tsan/obj/src/ledger/db.o: src/ledger/db.c src/common/util.h \
 src/ledger/db.h
src/common/util.h:
src/ledger/db.h:
