# article5 - build, test, demo. `make` builds build/article5.
CC      ?= cc
PKGS    := libhs libpcre2-8 libsodium sqlite3 libnftables libsystemd libnats libseccomp zlib libmicrohttpd
SAN     ?=
FUZZ    ?=
BUILD   ?= build
# Where `make install` puts things; the shipped rules' directory is compiled
# in from these (never the checkout's path: tests name theirs with rules_dir).
PREFIX  ?= /usr/local
DATADIR ?= $(PREFIX)/share
SYSCONFDIR ?= /etc
DESTDIR ?=
MANDIR  ?= $(DATADIR)/man
UNITDIR ?= /lib/systemd/system
# FUZZ=1: the libFuzzer build (fuzz/run.sh) in build-fuzz/, clang only.
ifeq ($(FUZZ),1)
CC      := clang
CFLAGS  ?= -O1 -g
endif
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wpointer-arith \
           -Wmissing-prototypes -Wstrict-prototypes -Wno-unused-parameter \
           -D_GNU_SOURCE -Isrc -DA5_RULES_DIR='"$(DATADIR)/article5/rules"' \
           -DA5_SYSCONFDIR='"$(SYSCONFDIR)"' $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# Each object also writes its header dependencies (FILE.d, read below).
CFLAGS  += -MMD -MP
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
BUILD   := build-asan
endif
ifeq ($(FUZZ),1)
# Everything instrumented for coverage, ASan and UBSan; libFuzzer's main
# joins at the link of each target.
CFLAGS  += -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=fuzzer,address,undefined
BUILD   := build-fuzz
# clang (not gcc) finds libseccomp's SCMP_A0() leaving a field to zero.
$(BUILD)/obj/src/daemon/sandbox.o: CFLAGS += -Wno-missing-field-initializers
endif

# Every folder of src/ is part of the library; cli/main.c is the program.
LIB_SRC := $(filter-out src/cli/main.c,$(wildcard src/*/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
MAIN_OBJ := $(BUILD)/obj/src/cli/main.o
TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# One libFuzzer target per fuzz/fuzz_NAME.c, built as $(BUILD)/fuzz_NAME.
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
FUZZ_OBJ := $(FUZZ_SRC:%.c=$(BUILD)/obj/%.o)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/%)

.PHONY: install deb
.PHONY: all deps test unit unit-asan demo bench fuzz fuzz-targets clean check
all: $(BUILD)/article5

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/libarticle5.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# --as-needed: libraries only the tests use (Hyperscan, for test_hsdiff) are
# not loaded at each start of the binary.
$(BUILD)/article5: $(MAIN_OBJ) $(BUILD)/libarticle5.a
	$(CC) $(LDFLAGS) -o $@ $^ -Wl,--as-needed $(LDLIBS)

# Fault injection (tests/unit/test_faults.c): the project's calls to these
# go through the test's wrappers, which fail the Nth call.
FAULT_WRAPS := malloc calloc realloc strdup fopen open sqlite3_open_v2 sqlite3_prepare_v2 \
               sqlite3_step sqlite3_exec natsOptions_Create natsConnection_Connect \
               natsConnection_JetStream js_GetStreamInfo js_AddConsumer js_Subscribe js_Publish
$(BUILD)/tests/test_faults: LDFLAGS += $(foreach f,$(FAULT_WRAPS),-Wl,--wrap=$(f))

$(BUILD)/obj/tests/%.o: CFLAGS += -Itests/unit -DA5_SRCDIR='"$(CURDIR)"'
$(BUILD)/obj/fuzz/%.o: CFLAGS += -DA5_SRCDIR='"$(CURDIR)"'
$(TEST_BIN): $(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/libarticle5.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

unit: $(TEST_BIN) $(BUILD)/article5

unit-asan:
	$(MAKE) SAN=1 unit

# Installs the Debian packages the build, the tests and the demo need, when missing.
deps:
	@sh tools/deps.sh

test:
	@sh tools/deps.sh --check || sh tools/deps.sh
	$(MAKE) unit
	$(MAKE) unit-asan
	@sh tests/run.sh

demo:
	@sh tools/deps.sh --check || sh tools/deps.sh
	$(MAKE) all
	@sh demo/demo.sh

bench: all
	@echo "see bench/: bench/scan-vs-peers, bench/enforce"

# The model of bench/scale-sim (docs/scale.md): the library's wire format
# and signatures, libnats, no daemon.
$(BUILD)/bench-scale-sim: bench/scale-sim.c $(BUILD)/libarticle5.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libarticle5.a $(LDLIBS) -lpthread

$(FUZZ_BIN): $(BUILD)/%: $(BUILD)/obj/fuzz/%.o $(BUILD)/libarticle5.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The libFuzzer targets, always in the FUZZ=1 build (clang).
ifeq ($(FUZZ),1)
fuzz-targets: $(FUZZ_BIN)
else
fuzz-targets:
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-targets
endif

# Builds the targets and runs each for FUZZ_SECONDS (fuzz/run.sh).
FUZZ_SECONDS ?= 10
fuzz:
	@sh fuzz/run.sh $(FUZZ_SECONDS)

# Static checks: banned functions, cppcheck, clang-tidy (tools/check.sh).
check:
	@sh tools/deps.sh --check || sh tools/deps.sh
	@sh tools/check.sh

# make install [PREFIX=/usr/local] [DESTDIR=]: the program, the rules, the
# default configuration (an existing one is kept), and the unit, man pages
# and bash completion when the tree has them (docs/install.md).
install: $(BUILD)/article5
	install -D -m 0755 $(BUILD)/article5 $(DESTDIR)$(PREFIX)/sbin/article5
	install -d -m 0755 $(DESTDIR)$(DATADIR)/article5/rules
	install -m 0644 etc/rules/*.rules $(DESTDIR)$(DATADIR)/article5/rules/
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/article5
	[ -e $(DESTDIR)$(SYSCONFDIR)/article5/article5.conf ] || \
		install -m 0644 etc/article5.conf $(DESTDIR)$(SYSCONFDIR)/article5/article5.conf
	install -D -m 0644 etc/article5.conf.example $(DESTDIR)$(DATADIR)/doc/article5/article5.conf.example
	if [ -f etc/systemd/article5.service ]; then \
		install -D -m 0644 etc/systemd/article5.service \
			$(DESTDIR)$(UNITDIR)/article5.service; fi
	for m in man/*.[1-8]; do [ -f "$$m" ] || continue; \
		install -D -m 0644 "$$m" "$(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}"; done
	if [ -f etc/bash-completion/article5 ]; then \
		install -D -m 0644 etc/bash-completion/article5 \
			$(DESTDIR)$(DATADIR)/bash-completion/completions/article5; fi

# The Debian package (debian/), written to build/article5_*.deb.
# Built from a copy of the tree in build/deb/ (dpkg-buildpackage cleans
# the tree it builds: this one's build/ stays).
deb:
	rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/article5
	tar -c --exclude='./build*' --exclude=./.git -f - . | tar -x -C $(BUILD)/deb/article5 -f -
	cd $(BUILD)/deb/article5 && dpkg-buildpackage -b -us -uc
	mv $(BUILD)/deb/article5_*.deb $(BUILD)/
	rm -rf $(BUILD)/deb

clean:
	rm -rf build build-asan build-fuzz

-include $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d)
