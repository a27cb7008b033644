build-tsan/obj/src/rules/rules_hs.o: src/rules/rules_hs.c \
 /usr/include/hs/hs.h /usr/include/hs/hs_compile.h \
 /usr/include/hs/hs_common.h /usr/include/hs/hs_runtime.h \
 src/rules/rules_int.h src/rules/pattern.h src/rules/rules.h \
 src/common/addr.h
/usr/include/hs/hs.h:
/usr/include/hs/hs_compile.h:
/usr/include/hs/hs_common.h:
/usr/include/hs/hs_runtime.h:
src/rules/rules_int.h:
src/rules/pattern.h:
src/rules/rules.h:
src/common/addr.h:
