build-tsan/obj/src/f2b/f2b_ini_store.o: src/f2b/f2b_ini_store.c \
 src/f2b/f2b_conf.h src/f2b/f2b_ini_store.h src/f2b/f2b_txt.h
src/f2b/f2b_conf.h:
src/f2b/f2b_ini_store.h:
src/f2b/f2b_txt.h:
