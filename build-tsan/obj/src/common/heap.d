build-tsan/obj/src/common/heap.o: src/common/heap.c src/common/heap.h
src/common/heap.h:
