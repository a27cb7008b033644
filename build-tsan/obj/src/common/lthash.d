build-tsan/obj/src/common/lthash.o: src/common/lthash.c \
 src/common/lthash.h src/common/addr.h
src/common/lthash.h:
src/common/addr.h:
