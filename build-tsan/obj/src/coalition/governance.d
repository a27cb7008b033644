build-tsan/obj/src/coalition/governance.o: src/coalition/governance.c \
 src/coalition/governance.h src/coalition/charter.h \
 src/coalition/identity.h src/coalition/nkey.h src/common/prefixlist.h \
 src/common/addr.h src/coalition/wire.h src/coalition/wirebuf.h \
 src/common/util.h
src/coalition/governance.h:
src/coalition/charter.h:
src/coalition/identity.h:
src/coalition/nkey.h:
src/common/prefixlist.h:
src/common/addr.h:
src/coalition/wire.h:
src/coalition/wirebuf.h:
src/common/util.h:
