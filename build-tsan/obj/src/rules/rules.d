build-tsan/obj/src/rules/rules.o: src/rules/rules.c src/common/util.h \
 src/rules/litset.h src/rules/rules_int.h src/rules/pattern.h \
 src/rules/rules.h src/common/addr.h
src/common/util.h:
src/rules/litset.h:
src/rules/rules_int.h:
src/rules/pattern.h:
src/rules/rules.h:
src/common/addr.h:
