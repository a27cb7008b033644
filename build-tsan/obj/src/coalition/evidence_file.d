build-tsan/obj/src/coalition/evidence_file.o: \
 src/coalition/evidence_file.c src/coalition/charter.h \
 src/coalition/identity.h src/coalition/nkey.h src/common/prefixlist.h \
 src/common/addr.h src/coalition/evidence_file.h \
 src/coalition/proof_check.h src/coalition/wire.h src/common/util.h
src/coalition/charter.h:
src/coalition/identity.h:
src/coalition/nkey.h:
src/common/prefixlist.h:
src/common/addr.h:
src/coalition/evidence_file.h:
src/coalition/proof_check.h:
src/coalition/wire.h:
src/common/util.h:
