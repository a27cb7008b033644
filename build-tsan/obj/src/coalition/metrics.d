build-tsan/obj/src/coalition/metrics.o: src/coalition/metrics.c \
 src/coalition/audit.h src/coalition/charter.h src/coalition/identity.h \
 src/coalition/nkey.h src/common/prefixlist.h src/common/addr.h \
 src/coalition/wire.h src/coalition/state.h src/coalition/accept.h \
 src/coalition/chain.h src/coalition/coalition.h \
 src/coalition/transport.h src/common/util.h src/http/metrics.h
src/coalition/audit.h:
src/coalition/charter.h:
src/coalition/identity.h:
src/coalition/nkey.h:
src/common/prefixlist.h:
src/common/addr.h:
src/coalition/wire.h:
src/coalition/state.h:
src/coalition/accept.h:
src/coalition/chain.h:
src/coalition/coalition.h:
src/coalition/transport.h:
src/common/util.h:
src/http/metrics.h:
