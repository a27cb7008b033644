build-tsan/obj/src/f2b/f2b_mlf.o: src/f2b/f2b_mlf.c src/f2b/f2b_filter.h \
 src/common/addr.h src/f2b/f2b_conf.h src/f2b/f2b_mlf.h src/common/lru.h \
 src/f2b/f2b_re.h src/f2b/f2b_literal.h
src/f2b/f2b_filter.h:
src/common/addr.h:
src/f2b/f2b_conf.h:
src/f2b/f2b_mlf.h:
src/common/lru.h:
src/f2b/f2b_re.h:
src/f2b/f2b_literal.h:
