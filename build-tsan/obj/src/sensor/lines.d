build-tsan/obj/src/sensor/lines.o: src/sensor/lines.c src/common/eol.h \
 src/common/log.h src/common/util.h src/sensor/source.h \
 src/sensor/sensor.h
src/common/eol.h:
src/common/log.h:
src/common/util.h:
src/sensor/source.h:
src/sensor/sensor.h:
