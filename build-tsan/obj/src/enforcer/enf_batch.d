build-tsan/obj/src/enforcer/enf_batch.o: src/enforcer/enf_batch.c \
 src/common/addr.h src/common/log.h src/common/prefixlist.h \
 src/enforcer/enforcer_impl.h src/enforcer/enforcer.h \
 src/enforcer/nfquery.h src/enforcer/nlmsg.h
src/common/addr.h:
src/common/log.h:
src/common/prefixlist.h:
src/enforcer/enforcer_impl.h:
src/enforcer/enforcer.h:
src/enforcer/nfquery.h:
src/enforcer/nlmsg.h:
