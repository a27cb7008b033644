build-tsan/obj/src/f2b/f2b_conf.o: src/f2b/f2b_conf.c src/f2b/f2b_conf.h \
 src/f2b/f2b_ini.h src/f2b/f2b_txt.h src/common/util.h
src/f2b/f2b_conf.h:
src/f2b/f2b_ini.h:
src/f2b/f2b_txt.h:
src/common/util.h:
