build-tsan/obj/src/f2b/f2b_date.o: src/f2b/f2b_date.c src/f2b/f2b_date.h \
 src/f2b/f2b_time.h src/f2b/f2b_datepat.h src/f2b/f2b_u8.h
src/f2b/f2b_date.h:
src/f2b/f2b_time.h:
src/f2b/f2b_datepat.h:
src/f2b/f2b_u8.h:
