build-tsan/obj/src/sensor/file.o: src/sensor/file.c src/common/log.h \
 src/common/util.h src/sensor/source.h src/common/eol.h \
 src/sensor/sensor.h
src/common/log.h:
src/common/util.h:
src/sensor/source.h:
src/common/eol.h:
src/sensor/sensor.h:
