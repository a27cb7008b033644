build-tsan/obj/src/f2b/f2b_txt.o: src/f2b/f2b_txt.c src/f2b/f2b_conf.h \
 src/f2b/f2b_txt.h
src/f2b/f2b_conf.h:
src/f2b/f2b_txt.h:
