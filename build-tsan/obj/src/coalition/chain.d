build-tsan/obj/src/coalition/chain.o: src/coalition/chain.c \
 src/coalition/accept.h src/coalition/charter.h src/coalition/identity.h \
 src/coalition/nkey.h src/common/prefixlist.h src/common/addr.h \
 src/coalition/wire.h src/coalition/chain.h src/common/log.h \
 src/common/util.h src/ledger/ledger.h
src/coalition/accept.h:
src/coalition/charter.h:
src/coalition/identity.h:
src/coalition/nkey.h:
src/common/prefixlist.h:
src/common/addr.h:
src/coalition/wire.h:
src/coalition/chain.h:
src/common/log.h:
src/common/util.h:
src/ledger/ledger.h:
