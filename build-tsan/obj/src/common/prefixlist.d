build-tsan/obj/src/common/prefixlist.o: src/common/prefixlist.c \
 src/common/prefixlist.h src/common/addr.h
src/common/prefixlist.h:
src/common/addr.h:
