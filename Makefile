# article5 - build, test, demo. `make` builds build/article5.
CC      ?= cc
PKGS    := libhs libpcre2-8 libsodium sqlite3 libnftables libsystemd libnats libseccomp zlib
SAN     ?=
BUILD   ?= build
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wpointer-arith \
           -Wmissing-prototypes -Wstrict-prototypes -Wno-unused-parameter \
           -D_GNU_SOURCE -Isrc -DA5_RULES_DIR='"$(CURDIR)/etc/rules"' $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
BUILD   := build-asan
endif

LIB_SRC := $(filter-out src/cli/main.c,$(wildcard src/*/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
MAIN_OBJ := $(BUILD)/obj/src/cli/main.o
TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps test unit unit-asan demo bench fuzz clean check
all: $(BUILD)/article5

$(BUILD)/obj/%.o: %.c $(wildcard src/*/*.h)
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

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libarticle5.a tests/unit/testutil.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -DA5_SRCDIR='"$(CURDIR)"' $(LDFLAGS) -o $@ $< $(BUILD)/libarticle5.a $(LDLIBS) -lcmocka

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

FUZZ_SECONDS ?= 10
fuzz:
	@sh fuzz/run.sh $(FUZZ_SECONDS)

# Static checks: banned functions, cppcheck, clang-tidy (tools/check.sh).
check:
	@sh tools/deps.sh --check || sh tools/deps.sh
	@sh tools/check.sh

clean:
	rm -rf build build-asan build-fuzz
