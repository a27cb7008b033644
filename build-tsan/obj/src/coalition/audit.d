build-tsan/obj/src/coalition/audit.o: src/coalition/audit.c \
 src/coalition/audit.h src/coalition/charter.h src/coalition/identity.h \
 src/coalition/nkey.h src/common/prefixlist.h src/common/addr.h \
 src/coalition/wire.h src/common/heap.h src/common/lru.h \
 src/common/lthash.h
src/coalition/audit.h:
src/coalition/charter.h:
src/coalition/identity.h:
src/coalition/nkey.h:
src/common/prefixlist.h:
src/common/addr.h:
src/coalition/wire.h:
src/common/heap.h:
src/common/lru.h:
src/common/lthash.h:
