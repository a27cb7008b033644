build-tsan/obj/src/cli/scan.o: src/cli/scan.c src/cli/cli.h \
 src/cli/scan_input.h src/cli/scan_pipe.h src/rules/rules.h \
 src/common/addr.h src/common/timeparse.h src/common/util.h \
 src/daemon/config.h src/common/prefixlist.h src/detector/detector.h \
 src/sensor/sensor.h
src/cli/cli.h:
src/cli/scan_input.h:
src/cli/scan_pipe.h:
src/rules/rules.h:
src/common/addr.h:
src/common/timeparse.h:
src/common/util.h:
src/daemon/config.h:
src/common/prefixlist.h:
src/detector/detector.h:
src/sensor/sensor.h:
