build-tsan/obj/src/cli/f2b_dates_cmd.o: src/cli/f2b_dates_cmd.c \
 src/cli/cli.h src/common/util.h src/f2b/f2b_date.h src/f2b/f2b_time.h
src/cli/cli.h:
src/common/util.h:
src/f2b/f2b_date.h:
src/f2b/f2b_time.h:
