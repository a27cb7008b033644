build-tsan/obj/src/cli/keygen.o: src/cli/keygen.c src/cli/cli.h \
 src/coalition/identity.h src/coalition/nkey.h
src/cli/cli.h:
src/coalition/identity.h:
src/coalition/nkey.h:
