build-tsan/obj/src/coalition/accept.o: src/coalition/accept.c \
 src/coalition/accept.h src/coalition/charter.h src/coalition/identity.h \
 src/coalition/nkey.h src/common/prefixlist.h src/common/addr.h \
 src/coalition/wire.h src/coalition/audit.h src/common/heap.h \
 src/common/lru.h src/common/util.h
src/coalition/accept.h:
src/coalition/charter.h:
src/coalition/identity.h:
src/coalition/nkey.h:
src/common/prefixlist.h:
src/common/addr.h:
src/coalition/wire.h:
src/coalition/audit.h:
src/common/heap.h:
src/common/lru.h:
src/common/util.h:
