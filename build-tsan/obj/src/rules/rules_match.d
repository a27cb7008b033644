build-tsan/obj/src/rules/rules_match.o: src/rules/rules_match.c \
 src/rules/litset.h src/rules/rules_int.h src/rules/pattern.h \
 src/rules/rules.h src/common/addr.h src/rules/syslog.h
src/rules/litset.h:
src/rules/rules_int.h:
src/rules/pattern.h:
src/rules/rules.h:
src/common/addr.h:
src/rules/syslog.h:
