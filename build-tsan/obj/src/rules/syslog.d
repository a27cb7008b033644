build-tsan/obj/src/rules/syslog.o: src/rules/syslog.c src/rules/syslog.h
src/rules/syslog.h:
