build-tsan/obj/src/coalition/publish.o: src/coalition/publish.c \
 src/coalition/accept.h src/coalition/charter.h src/coalition/identity.h \
 src/coalition/nkey.h src/common/prefixlist.h src/common/addr.h \
 src/coalition/wire.h src/coalition/audit.h src/coalition/state.h \
 src/coalition/chain.h src/coalition/coalition.h \
 src/coalition/transport.h src/common/log.h src/common/util.h \
 src/ledger/ledger.h
src/coalition/accept.h:
src/coalition/charter.h:
src/coalition/identity.h:
src/coalition/nkey.h:
src/common/prefixlist.h:
src/common/addr.h:
src/coalition/wire.h:
src/coalition/audit.h:
src/coalition/state.h:
src/coalition/chain.h:
src/coalition/coalition.h:
src/coalition/transport.h:
src/common/log.h:
src/common/util.h:
src/ledger/ledger.h:
