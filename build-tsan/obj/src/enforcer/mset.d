build-tsan/obj/src/enforcer/mset.o: src/enforcer/mset.c \
 src/enforcer/kset_impl.h src/common/addr.h src/common/hashtab.h \
 src/common/heap.h src/common/lthash.h src/enforcer/enforcer.h \
 src/common/prefixlist.h src/enforcer/kset.h src/enforcer/nlmsg.h
src/enforcer/kset_impl.h:
src/common/addr.h:
src/common/hashtab.h:
src/common/heap.h:
src/common/lthash.h:
src/enforcer/enforcer.h:
src/common/prefixlist.h:
src/enforcer/kset.h:
src/enforcer/nlmsg.h:
