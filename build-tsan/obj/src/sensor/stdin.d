build-tsan/obj/src/sensor/stdin.o: src/sensor/stdin.c src/common/log.h \
 src/sensor/source.h src/common/eol.h src/sensor/sensor.h
src/common/log.h:
src/sensor/source.h:
src/common/eol.h:
src/sensor/sensor.h:
