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
PKGS     = libmicrohttpd gnutls jansson sqlite3 libpq libcrypto yaml-0.1 libcurl
SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

WARN     = -Wall -Wextra -Werror -Wvla -Wwrite-strings -Wshadow -Wformat=2
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Isrc \
             $(shell pkg-config --cflags $(PKGS)) $(if $(SAN),$(SAN_FLAGS))
LDLIBS   = $(shell pkg-config --libs $(PKGS)) -lpthread
ALL_LDFLAGS = $(LDFLAGS) $(if $(SAN),$(SAN_FLAGS))

LIB_SRC  = $(filter-out src/main.c,$(shell find src -name '*.c' | sort))
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/assets.o
WEB      = $(sort $(wildcard web/*.html web/*.js web/*.css web/*.svg))
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

build: $(BUILD)/jitgate $(UNIT_BIN) $(BUILD)/pam_jitgate.so

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

# The dashboard is compiled in: web/ -> byte arrays (scripts/embed.c).
# it gzips each file (zlib) and hashes it for its ETag (libcrypto)
$(BUILD)/embed: scripts/embed.c
	@mkdir -p $(@D)
	$(Q)$(CC) -O2 -o $@ $< $$(pkg-config --cflags --libs zlib libcrypto)

$(BUILD)/gen/assets.c: $(BUILD)/embed $(WEB)
	@mkdir -p $(@D)
	$(Q)$(BUILD)/embed $(WEB) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/assets.o: $(BUILD)/gen/assets.c
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libjitgate.a: $(LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/jitgate: $(BUILD)/src/main.o $(BUILD)/libjitgate.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(BUILD)/libjitgate.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/libjitgate.a \
		$(LDLIBS) $$(pkg-config --libs cmocka)

# pam_jitgate.so (pam/): its own position-independent objects, linked
# against libpam, libcurl, jansson and libcrypto only (plus
# src/util/safefile.c, src/ident/http.c, src/util/timefmt.c and the CLI's
# session file parser src/cli/session.c, which need nothing else),
# exporting nothing but PAM's entry points (pam/pam_jitgate.map). Never
# built with the sanitizers (SAN=1): their runtime must come first in the
# process, and sshd, sudo and pamtester are not built with it; the test
# runs it under valgrind instead (tests/e2e/test_pam.sh).
PAM_CFLAGS = $(filter-out $(SAN_FLAGS),$(ALL_CFLAGS)) -fPIC
PAM_SRC  = $(wildcard pam/*.c) src/util/safefile.c src/ident/http.c \
	src/cli/session.c src/util/timefmt.c
PAM_OBJ  = $(PAM_SRC:%.c=$(BUILD)/pic/%.o)

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $< (pic)")
	$(Q)$(CC) $(PAM_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/pam_jitgate.so: $(PAM_OBJ) pam/pam_jitgate.map
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -shared -Wl,-z,defs -Wl,-z,relro,-z,now \
		-Wl,--version-script=pam/pam_jitgate.map -o $@ $(PAM_OBJ) \
		-lpam $$(pkg-config --libs libcurl jansson libcrypto)

# its unit test links the module's parts that need no PAM stack
PAM_UNIT_OBJ = $(addprefix $(BUILD)/pic/pam/,pj_opts.o pj_token.o pj_check.o \
	pj_session.o pj_request.o)

$(BUILD)/tests/test_pam: tests/unit/test_pam.c $(PAM_UNIT_OBJ) $(BUILD)/libjitgate.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -Ipam $(ALL_LDFLAGS) -o $@ $< $(PAM_UNIT_OBJ) \
		$(BUILD)/libjitgate.a $(LDLIBS) $$(pkg-config --libs cmocka)

# as root, the server drops to a system user that owns $(VAR)
# (scripts/run-server makes it once)
run: deps
	@$(MAKE) --no-print-directory build
	@BUILD=$(BUILD) VAR=$(VAR) PORT=$(PORT) sh scripts/run-server

# the tests need the browser group too: Debian chromium, node and npm
test:
	@sh scripts/deps browser
	@$(MAKE) --no-print-directory check

check: build
	@BUILD=$(BUILD) sh tests/run

sanitize:
	@sh scripts/deps browser
	@$(MAKE) --no-print-directory check BUILD=build-san SAN=1 CFLAGS="-O1 -g"

valgrind: deps
	@$(MAKE) --no-print-directory build
	@BUILD=$(BUILD) VALGRIND=1 JG_BROWSER=0 sh tests/run

clean:
	rm -rf build build-san

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---- fuzzing ----------------------------------------------------------------
#
#   make fuzz                  build every fuzz/fuzz_NAME.c with clang's
#                              libFuzzer + ASan + UBSan, run each in turn
#   make fuzz FUZZ_SECONDS=600 run each for ten minutes instead of one
#   make fuzz-clean            remove build-fuzz/
#
# The library sources are compiled again with clang into $(FUZZ_BUILD)/
# (coverage instrumentation and sanitizers), never mixed with the gcc
# objects. Each harness runs on a copy of its seed corpus fuzz/corpus/NAME/
# in $(FUZZ_BUILD)/corpus/NAME/, so the seeds in git stay as they are,
# with the dictionary fuzz/NAME.dict when there is one. A crash stops the
# target and leaves $(FUZZ_BUILD)/crash-*; replay it with
# $(FUZZ_BUILD)/fuzz_NAME FILE, then make it a unit test.

FUZZ_CC      ?= clang
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer
FUZZ_CFLAGS   = -std=c11 -D_GNU_SOURCE $(WARN) -g -O1 -Isrc \
                $(shell pkg-config --cflags $(PKGS)) $(FUZZ_SAN)
FUZZ_SRC      = $(wildcard fuzz/fuzz_*.c)
FUZZ_BIN      = $(FUZZ_SRC:fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_LIB_OBJ  = $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o)

.PHONY: fuzz fuzz-build fuzz-clean
fuzz:
	@sh scripts/deps fuzz
	@$(MAKE) --no-print-directory fuzz-build
	@set -e; for bin in $(FUZZ_BIN); do \
		name=$${bin##*/fuzz_}; \
		mkdir -p $(FUZZ_BUILD)/corpus/$$name; \
		if [ -d fuzz/corpus/$$name ]; then \
			cp -R fuzz/corpus/$$name/. $(FUZZ_BUILD)/corpus/$$name/; fi; \
		dict=; if [ -f fuzz/$$name.dict ]; then \
			dict=-dict=fuzz/$$name.dict; fi; \
		echo "  FUZZ    $$name for $(FUZZ_SECONDS)s"; \
		$$bin -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_BUILD)/ $$dict \
			$(FUZZ_BUILD)/corpus/$$name; \
	done

fuzz-build: $(FUZZ_BIN)

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CLANG   $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP \
		-c $< -o $@

# An archive, so that a harness links only the objects it needs.
$(FUZZ_BUILD)/libjitgate.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_BUILD)/libjitgate.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_BUILD)/libjitgate.a $(LDLIBS)

fuzz-clean:
	rm -rf $(FUZZ_BUILD)

-include $(shell find $(FUZZ_BUILD) -name '*.d' 2>/dev/null)

# ---- reliability harness ------------------------------------------------------
#
#   make fuzz-ci     every fuzz/fuzz_NAME.c for FUZZ_CI_SECONDS (20) each
#                    under ASan+UBSan, seeded from fuzz/corpus/NAME/; fails
#                    on a crash, leak, hang or broken promise (tests/fuzz-ci;
#                    needs clang: sh scripts/deps fuzz). Not part of make
#                    test; .ci/run calls it after make test.
#   make soak        the long forms of the reliability tests (tests/README.md):
#                    crash consistency for JG_CRASH_ROUNDS (10000) rounds on
#                    SQLite and PostgreSQL, the load test for SOAK_LOAD_SECONDS
#                    (600), the fault tests; then fuzz-ci for FUZZ_SOAK_SECONDS.
#
# The API harnesses run the real server in process, so the fuzz library
# also holds the embedded dashboard files; fuzz/inproc.h is their shared
# client. tests/faults/faultstore.c wraps jg_store_open (ld --wrap) into a
# test-only binary, $(BUILD)/tests/jitgate-faults, whose store writes
# (audit, grant, request, review, token, commit) fail on request
# (tests/e2e/test_faults.sh); the jitgate binary itself has no test hook.

FUZZ_CI_SECONDS   ?= 20
FUZZ_SOAK_SECONDS ?= 300
SOAK_LOAD_SECONDS ?= 600
SOAK_CRASH_ROUNDS ?= 10000

$(FUZZ_BUILD)/gen/assets.o: $(BUILD)/gen/assets.c
	@mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/libjitgate.a: $(FUZZ_BUILD)/gen/assets.o
$(FUZZ_BUILD)/fuzz_api $(FUZZ_BUILD)/fuzz_query $(FUZZ_BUILD)/fuzz_auth: \
	fuzz/inproc.h

.PHONY: fuzz-ci soak
fuzz-ci:
	@sh scripts/deps fuzz
	@$(MAKE) --no-print-directory fuzz-build
	@BUILD=$(BUILD) FUZZ_BUILD=$(FUZZ_BUILD) \
		sh tests/fuzz-ci $(FUZZ_CI_SECONDS) $(FUZZ_BIN)

$(BUILD)/tests/faultstore.o: tests/faults/faultstore.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/tests/jitgate-faults: $(BUILD)/src/main.o $(BUILD)/tests/faultstore.o \
		$(BUILD)/libjitgate.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -Wl,--wrap=jg_store_open -o $@ $^ $(LDLIBS)

build: $(BUILD)/tests/jitgate-faults

soak: deps
	@$(MAKE) --no-print-directory build
	@BUILD=$(BUILD) JG_CRASH_ROUNDS=$(SOAK_CRASH_ROUNDS) \
		JG_CRASH_FULL_EVERY=250 JG_LOAD_SECONDS=$(SOAK_LOAD_SECONDS) \
		JG_TEST_TIMEOUT=0 JG_ONLY='test_crash test_load test_faults' \
		sh tests/run
	@$(MAKE) --no-print-directory fuzz-ci FUZZ_CI_SECONDS=$(FUZZ_SOAK_SECONDS)

# ---- benchmarks ---------------------------------------------------------------
#
#   make bench                 install what it needs (scripts/deps bench: wrk,
#                              nginx, node/npm; the peers with npm ci in bench/),
#                              build bench/bench_*.c against the library, run
#                              bench/run: every figure from one run, peers side
#                              by side, saved to bench/results/DATE-HOST.md
#   make bench BENCH_QUICK=1   smaller sizes, shorter runs (~2 minutes)
#
# See bench/README.md. Figures, never assertions: a benchmark fails only on a
# wrong answer.

BENCH_SRC = $(wildcard bench/bench_*.c)
BENCH_BIN = $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: bench bench-build
bench:
	@sh scripts/deps bench
	@$(MAKE) --no-print-directory bench-build
	@BUILD=$(BUILD) BENCH_QUICK=$(BENCH_QUICK) bash bench/run

bench-build: $(BUILD)/jitgate $(BENCH_BIN)

$(BUILD)/bench/%: bench/%.c bench/common.h $(BUILD)/libjitgate.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/libjitgate.a \
		$(LDLIBS)
