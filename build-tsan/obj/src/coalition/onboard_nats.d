build-tsan/obj/src/coalition/onboard_nats.o: src/coalition/onboard_nats.c \
 src/coalition/onboard.h src/coalition/charter.h src/coalition/identity.h \
 src/coalition/nkey.h src/common/prefixlist.h src/common/addr.h \
 src/coalition/onboard_nats.h
src/coalition/onboard.h:
src/coalition/charter.h:
src/coalition/identity.h:
src/coalition/nkey.h:
src/common/prefixlist.h:
src/common/addr.h:
src/coalition/onboard_nats.h:
