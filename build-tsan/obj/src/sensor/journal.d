build-tsan/obj/src/sensor/journal.o: src/sensor/journal.c \
 src/common/log.h src/common/util.h src/sensor/source.h src/common/eol.h \
 src/sensor/sensor.h
src/common/log.h:
src/common/util.h:
src/sensor/source.h:
src/common/eol.h:
src/sensor/sensor.h:
