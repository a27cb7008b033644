build-tsan/obj/src/coalition/proof_check.o: src/coalition/proof_check.c \
 src/coalition/proof_check.h src/common/addr.h src/coalition/identity.h \
 src/coalition/nkey.h src/coalition/wire.h
src/coalition/proof_check.h:
src/common/addr.h:
src/coalition/identity.h:
src/coalition/nkey.h:
src/coalition/wire.h:
