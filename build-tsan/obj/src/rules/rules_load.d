build-tsan/obj/src/rules/rules_load.o: src/rules/rules_load.c \
 src/common/util.h src/rules/rules_int.h src/rules/pattern.h \
 src/rules/rules.h src/common/addr.h
src/common/util.h:
src/rules/rules_int.h:
src/rules/pattern.h:
src/rules/rules.h:
src/common/addr.h:
