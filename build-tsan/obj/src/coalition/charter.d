build-tsan/obj/src/coalition/charter.o: src/coalition/charter.c \
 src/coalition/charter.h src/coalition/identity.h src/coalition/nkey.h \
 src/common/prefixlist.h src/common/addr.h src/common/lineparse.h \
 src/common/util.h
src/coalition/charter.h:
src/coalition/identity.h:
src/coalition/nkey.h:
src/common/prefixlist.h:
src/common/addr.h:
src/common/lineparse.h:
src/common/util.h:
