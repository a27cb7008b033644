build-tsan/obj/src/f2b/f2b_ini_interp.o: src/f2b/f2b_ini_interp.c \
 src/common/util.h src/f2b/f2b_conf.h src/f2b/f2b_ini.h src/f2b/f2b_txt.h \
 src/f2b/f2b_ini_interp.h src/f2b/f2b_ini_store.h
src/common/util.h:
src/f2b/f2b_conf.h:
src/f2b/f2b_ini.h:
src/f2b/f2b_txt.h:
src/f2b/f2b_ini_interp.h:
src/f2b/f2b_ini_store.h:
