build-tsan/obj/src/enforcer/nlmsg.o: src/enforcer/nlmsg.c \
 src/enforcer/nlmsg.h
src/enforcer/nlmsg.h:
