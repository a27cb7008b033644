build-tsan/obj/src/common/eol.o: src/common/eol.c src/common/eol.h
src/common/eol.h:
