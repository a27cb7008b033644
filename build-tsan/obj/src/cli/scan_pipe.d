build-tsan/obj/src/cli/scan_pipe.o: src/cli/scan_pipe.c \
 src/cli/scan_pipe.h src/rules/rules.h src/common/addr.h
src/cli/scan_pipe.h:
src/rules/rules.h:
src/common/addr.h:
