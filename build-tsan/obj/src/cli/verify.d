build-tsan/obj/src/cli/verify.o: src/cli/verify.c src/cli/cli.h \
 src/coalition/charter.h src/coalition/identity.h src/coalition/nkey.h \
 src/common/prefixlist.h src/common/addr.h src/coalition/evidence.h \
 src/coalition/proof_check.h src/coalition/wire.h src/ledger/journal.h \
 src/coalition/evidence_file.h src/common/util.h src/daemon/config.h \
 src/rules/rules.h src/ledger/ledger.h
src/cli/cli.h:
src/coalition/charter.h:
src/coalition/identity.h:
src/coalition/nkey.h:
src/common/prefixlist.h:
src/common/addr.h:
src/coalition/evidence.h:
src/coalition/proof_check.h:
src/coalition/wire.h:
src/ledger/journal.h:
src/coalition/evidence_file.h:
src/common/util.h:
src/daemon/config.h:
src/rules/rules.h:
src/ledger/ledger.h:
