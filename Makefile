# jitgate - build, run and test.
#
#   make run       install deps, build, start the server on ./var (SQLite)
#   make test      install deps, build, run every test
#   make sanitize  the same suite under ASan+UBSan (separate build dir)
#   make valgrind  the same suite with the server and unit tests in memcheck
#
# On a fresh machine make itself may be missing: `sh scripts/deps` first.

CC      ?= cc
BUILD   ?= build
PKGS     = libmicrohttpd jansson sqlite3 libcrypto yaml-0.1 libcurl
SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

WARN     = -Wall -Wextra -Werror -Wvla -Wwrite-strings -Wshadow -Wformat=2
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Isrc \
             $(shell pkg-config --cflags $(PKGS)) $(if $(SAN),$(SAN_FLAGS))
LDLIBS   = $(shell pkg-config --libs $(PKGS)) -lpthread
ALL_LDFLAGS = $(LDFLAGS) $(if $(SAN),$(SAN_FLAGS))

LIB_SRC  = $(filter-out src/main.c,$(shell find src -name '*.c' | sort))
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

PORT    ?= 8080
V       ?= 0
Q        = $(if $(filter 1,$(V)),,@)
VAR     ?= var

.PHONY: all deps build run test check sanitize valgrind clean
all: build

deps:
	@sh scripts/deps

build: $(BUILD)/jitgate $(UNIT_BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libjitgate.a: $(LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/jitgate: $(BUILD)/src/main.o $(BUILD)/libjitgate.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libjitgate.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/libjitgate.a \
		$(LDLIBS) $$(pkg-config --libs cmocka)

run: deps
	@$(MAKE) --no-print-directory build
	@mkdir -p $(VAR)
	@if [ -s $(VAR)/admin.token ]; then \
		echo "jitgate: admin token: $$(cat $(VAR)/admin.token)"; fi
	$(BUILD)/jitgate serve --listen 127.0.0.1:$(PORT) \
		--db $(VAR)/jitgate.db --policy examples/policy.yaml \
		--bootstrap-token-file $(VAR)/admin.token

test: deps
	@$(MAKE) --no-print-directory check

check: build
	@BUILD=$(BUILD) sh tests/run

sanitize: deps
	@$(MAKE) --no-print-directory check BUILD=build-san SAN=1 CFLAGS="-O1 -g"

valgrind: deps
	@$(MAKE) --no-print-directory build
	@BUILD=$(BUILD) VALGRIND=1 sh tests/run

clean:
	rm -rf build build-san

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
