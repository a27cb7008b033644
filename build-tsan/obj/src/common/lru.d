build-tsan/obj/src/common/lru.o: src/common/lru.c src/common/lru.h
src/common/lru.h:
