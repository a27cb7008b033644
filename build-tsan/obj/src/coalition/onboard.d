build-tsan/obj/src/coalition/onboard.o: src/coalition/onboard.c \
 src/coalition/onboard.h src/coalition/charter.h src/coalition/identity.h \
 src/coalition/nkey.h src/common/prefixlist.h src/common/addr.h
src/coalition/onboard.h:
src/coalition/charter.h:
src/coalition/identity.h:
src/coalition/nkey.h:
src/common/prefixlist.h:
src/common/addr.h:
