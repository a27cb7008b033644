build-tsan/obj/src/coalition/identity.o: src/coalition/identity.c \
 src/coalition/identity.h src/coalition/nkey.h src/common/util.h
src/coalition/identity.h:
src/coalition/nkey.h:
src/common/util.h:
