build-tsan/obj/src/cli/scan_input.o: src/cli/scan_input.c \
 src/cli/scan_input.h src/common/eol.h
src/cli/scan_input.h:
src/common/eol.h:
