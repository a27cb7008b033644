build-tsan/obj/src/detector/detector.o: src/detector/detector.c \
 src/common/lru.h src/detector/detector.h src/common/addr.h \
 src/rules/rules.h
src/common/lru.h:
src/detector/detector.h:
src/common/addr.h:
src/rules/rules.h:
