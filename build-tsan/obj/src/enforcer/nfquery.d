build-tsan/obj/src/enforcer/nfquery.o: src/enforcer/nfquery.c \
 src/enforcer/nfquery.h src/enforcer/nlmsg.h
src/enforcer/nfquery.h:
src/enforcer/nlmsg.h:
