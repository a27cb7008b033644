build-tsan/obj/src/f2b/f2b_filter.o: src/f2b/f2b_filter.c \
 src/common/lru.h src/common/util.h src/f2b/f2b_date.h src/f2b/f2b_time.h \
 src/f2b/f2b_filter.h src/common/addr.h src/f2b/f2b_conf.h \
 src/f2b/f2b_mlf.h src/f2b/f2b_re.h src/f2b/f2b_literal.h \
 src/f2b/f2b_prefilter.h src/f2b/f2b_u8.h
src/common/lru.h:
src/common/util.h:
src/f2b/f2b_date.h:
src/f2b/f2b_time.h:
src/f2b/f2b_filter.h:
src/common/addr.h:
src/f2b/f2b_conf.h:
src/f2b/f2b_mlf.h:
src/f2b/f2b_re.h:
src/f2b/f2b_literal.h:
src/f2b/f2b_prefilter.h:
src/f2b/f2b_u8.h:
