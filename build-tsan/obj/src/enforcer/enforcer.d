build-tsan/obj/src/enforcer/enforcer.o: src/enforcer/enforcer.c \
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
