build-tsan/obj/src/http/dashboard_page.o: src/http/dashboard_page.c \
 src/http/dashboard.h src/common/addr.h
src/http/dashboard.h:
src/common/addr.h:
