build-tsan/obj/src/f2b/f2b_u8.o: src/f2b/f2b_u8.c src/f2b/f2b_u8.h
src/f2b/f2b_u8.h:
