build-tsan/obj/src/f2b/f2b_datepat.o: src/f2b/f2b_datepat.c \
 src/f2b/f2b_datepat.h
src/f2b/f2b_datepat.h:
