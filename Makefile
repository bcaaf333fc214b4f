# kfk: a C11 client library for Apache Kafka.
#   make            build/libkfk.so, build/libkfk.a, build/kfk.pc, the mock
#                   cluster's build/libkfk_mock.so and .a, examples
#   make demo       build, then run the demo
#   make check      deps, build, proto-check, unit and integration tests
#   make install    PREFIX=/usr/local (DESTDIR honoured)
# Variants: SAN=1 (ASan+UBSan, in build/san), TSAN=1 (in build/tsan),
# WERROR=1 (-Werror, as CI builds), CC=clang.

# The version is include/kfk.h's KFK_VERSION_MAJOR, _MINOR and _PATCH.
header_version = $(shell sed -n 's/^.define KFK_VERSION_$(1) \([0-9][0-9]*\)$$/\1/p' include/kfk.h)
VERSION_MAJOR := $(call header_version,MAJOR)
VERSION_MINOR := $(call header_version,MINOR)
VERSION_PATCH := $(call header_version,PATCH)
VERSION := $(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
CC ?= cc
PYTHON ?= python3

ifeq ($(SAN),1)
BUILD ?= build/san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
else ifeq ($(TSAN),1)
BUILD ?= build/tsan
SANFLAGS := -fsanitize=thread
# tests/tsan.supp: races TSan cannot judge inside uninstrumented libcrypto.
export TSAN_OPTIONS := suppressions=$(CURDIR)/tests/tsan.supp $(TSAN_OPTIONS)
else
BUILD ?= build
SANFLAGS :=
endif

DEP_PKGS := libssl libcrypto zlib libzstd liblz4 snappy libsasl2 krb5-gssapi
DEP_CFLAGS := $(shell pkg-config --cflags $(DEP_PKGS) 2>/dev/null)
DEP_LIBS := $(shell pkg-config --libs $(DEP_PKGS) 2>/dev/null) -lpthread -lm
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-missing-field-initializers
ifeq ($(WERROR),1)
WARN += -Werror
endif
OPT ?= -O2 -g
# Function and data sections let the shared libraries drop what no exported
# function reaches (libkfk.so: the server halves of the protocol code).
CFLAGS_ALL := -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -fPIC -fvisibility=hidden \
	-ffunction-sections -fdata-sections \
	-Iinclude -Ilib $(DEP_CFLAGS) $(SANFLAGS) $(CFLAGS)
LDFLAGS_ALL := $(SANFLAGS) $(LDFLAGS)

# libkfk is the client; libkfk_mock (lib/mock) is the embedded mock
# cluster, a library of its own so the client carries none of a broker.
LIB_SRC := $(sort $(shell find lib -name '*.c'))
MOCK_SRC := $(filter lib/mock/%,$(LIB_SRC))
CORE_SRC := $(filter-out lib/mock/%,$(LIB_SRC))
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
MOCK_OBJ := $(MOCK_SRC:%.c=$(BUILD)/obj/%.o)
SONAME := libkfk.so.$(VERSION_MAJOR)
SHLIB := $(BUILD)/libkfk.so.$(VERSION)
STLIB := $(BUILD)/libkfk.a
MOCK_SONAME := libkfk_mock.so.$(VERSION_MAJOR)
MOCK_SHLIB := $(BUILD)/libkfk_mock.so.$(VERSION)
MOCK_STLIB := $(BUILD)/libkfk_mock.a

TEST_COMMON_SRC := $(wildcard tests/common/*.c)
TEST_COMMON_OBJ := $(TEST_COMMON_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(wildcard tests/unit/*_test.c))
INTEG_TESTS := $(patsubst tests/integration/%.c,$(BUILD)/tests/integration/%,$(wildcard tests/integration/*_test.c))
CHAOS_TESTS := $(patsubst tests/chaos/%.c,$(BUILD)/tests/chaos/%,$(wildcard tests/chaos/*_test.c))
EXAMPLES := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))
MOCKD := $(BUILD)/tools/mockd

.PHONY: all lib examples tests deps demo demo-run check check-run chaos-check soak bench-produce bench-consume bench-txn bench-latency bench-share bench-scale unit-check integration-check symbols-check proto proto-check \
	install install-check uninstall clean fuzz fuzz-smoke format
.DEFAULT_GOAL := all
# Keep object files of tests and examples between runs.
.SECONDARY:

all: lib $(BUILD)/kfk.pc $(BUILD)/kfk_mock.pc examples cli
lib: $(SHLIB) $(STLIB) $(MOCK_SHLIB) $(MOCK_STLIB)
examples: $(EXAMPLES)
tests: $(UNIT_TESTS) $(INTEG_TESTS) $(MOCKD)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(CHECK_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/tests/%.o: CFLAGS_ALL += -Itests/common

$(STLIB): $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(SHLIB): $(CORE_OBJ)
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--no-undefined -Wl,--gc-sections $(LDFLAGS_ALL) \
	    -o $@ $^ $(DEP_LIBS)
	ln -sf libkfk.so.$(VERSION) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $(BUILD)/libkfk.so

# Static: the mock's objects only; link it before libkfk.a, whose internals
# it uses. Shared: self-contained, with its own hidden copy of what it needs
# of the client's code, exporting kfk_mock_* alone (lib/mock/exports.map),
# so it loads beside any libkfk.so.
$(MOCK_STLIB): $(MOCK_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(MOCK_SHLIB): $(MOCK_OBJ) $(CORE_OBJ) lib/mock/exports.map
	$(CC) -shared -Wl,-soname,$(MOCK_SONAME) -Wl,--no-undefined -Wl,--gc-sections \
	    -Wl,--version-script=lib/mock/exports.map $(LDFLAGS_ALL) \
	    -o $@ $(MOCK_OBJ) $(CORE_OBJ) $(DEP_LIBS)
	ln -sf libkfk_mock.so.$(VERSION) $(BUILD)/$(MOCK_SONAME)
	ln -sf $(MOCK_SONAME) $(BUILD)/libkfk_mock.so

PC_SUBST = sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' -e 's|@REQUIRES@|$(DEP_PKGS)|'

$(BUILD)/%.pc: pkgconfig/%.pc.in Makefile include/kfk.h
	@mkdir -p $(dir $@)
	$(PC_SUBST) $< > $@

# Tests and examples link the static library: unit tests reach internal
# symbols that the shared library keeps hidden.
$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(TEST_COMMON_OBJ) $(MOCK_STLIB) $(STLIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(CHECK_LIBS) $(DEP_LIBS) -lm

$(BUILD)/examples/%: $(BUILD)/obj/examples/%.o $(MOCK_STLIB) $(STLIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(DEP_LIBS)

deps:
	@tools/deps

# demo and check install the packages first, then build in a fresh make:
# the pkg-config flags above are read when make starts, and a parallel make
# would otherwise compile before deps has finished.
demo: deps
	@$(MAKE) --no-print-directory demo-run
demo-run: all
	@$(BUILD)/examples/demo

check: deps
	@$(MAKE) --no-print-directory check-run
check-run: all tests proto-check docs-check symbols-check unit-check integration-check install-check \
	cli-check python-check

# Each shared library exports its prefix and nothing else, and no internal
# function takes the public prefix.
symbols-check: $(SHLIB) $(MOCK_SHLIB) $(STLIB) $(MOCK_STLIB)
	@tools/symbols-check $(SHLIB) kfk_ kfk_mock_
	@tools/symbols-check $(MOCK_SHLIB) kfk_mock_
	@tools/names-check $(STLIB) $(SHLIB) kfk_
	@tools/names-check $(MOCK_STLIB) $(MOCK_SHLIB) kfk_

install-check:
	@tests/install-check

# --- Python binding (bindings/python) ---------------------------------------
# Builds the binding against this build (KFK_BUILD_DIR), from a copy of its
# sources (setuptools builds in the source tree), into a venv that
# sees the system's cffi, wheel and pytest (tools/deps), then runs its
# pytest suite against the mock, and against KFK_TEST_BOOTSTRAP when set.
# Without python3 there is nothing to check; sanitizer builds skip it.
PY_VENV := $(CURDIR)/$(BUILD)/python-venv
.PHONY: python-check
python-check: $(SHLIB) $(MOCK_SHLIB) $(EXAMPLES)
	@if ! command -v python3 >/dev/null; then echo "python-check: no python3"; exit 0; fi; \
	if [ -n "$(filter 1,$(SAN) $(TSAN))" ]; then \
		echo "python-check: not in sanitizer builds (python3 lacks their runtime)"; exit 0; fi; \
	set -e; rm -rf $(PY_VENV) $(BUILD)/python-src; python3 -m venv --system-site-packages $(PY_VENV); \
	cp -r bindings/python $(BUILD)/python-src; rm -rf $(BUILD)/python-src/build; \
	KFK_BUILD_DIR=$(CURDIR)/$(BUILD) $(PY_VENV)/bin/pip install --quiet --no-build-isolation \
		--disable-pip-version-check $(BUILD)/python-src; \
	cd $(BUILD) && echo "python-check: against the mock cluster" && \
	env -u KFK_TEST_BOOTSTRAP KFK_BUILD_DIR=$(CURDIR)/$(BUILD) $(PY_VENV)/bin/python -m pytest -q \
		-p no:cacheprovider $(CURDIR)/bindings/python/tests; \
	if [ -n "$$KFK_TEST_BOOTSTRAP" ]; then echo "python-check: against $$KFK_TEST_BOOTSTRAP"; \
		KFK_BUILD_DIR=$(CURDIR)/$(BUILD) $(PY_VENV)/bin/python -m pytest -q -p no:cacheprovider \
		$(CURDIR)/bindings/python/tests; fi

# Benchmarks: kfk and librdkafka side by side, against the mock and then a
# real Kafka (bench/run). Never part of check: timings are not tests.
$(BUILD)/bench/%: bench/%.c bench/harness.c bench/harness.h $(MOCK_STLIB) $(STLIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< bench/harness.c $(MOCK_STLIB) $(STLIB) -lrdkafka \
	    $(DEP_LIBS)
bench-produce: $(BUILD)/bench/producer_bench
	@bench/run $<
bench-consume: $(BUILD)/bench/consumer_bench
	@bench/run $<
bench-txn: $(BUILD)/bench/txn_bench
	@bench/run $<
bench-latency: $(BUILD)/bench/latency_bench
	@bench/run $<
bench-share: $(BUILD)/bench/share_bench
	@bench/run $<
# 50 brokers, 10,000 partitions: the mock only (its own process).
bench-scale: $(BUILD)/bench/scale_bench
	@nice $<

# --- Go binding (bindings/go) -------------------------------------------------
# cgo finds libkfk with pkg-config. $(BUILD)/go/pkgconfig holds .pc files
# that point at this tree (headers in include/, libraries in $(BUILD), with
# an rpath), so the binding builds and tests without make install:
#     PKG_CONFIG_PATH=$(BUILD)/go/pkgconfig go test ./...
# Go's caches stay under $(BUILD)/go unless GOCACHE/GOMODCACHE are set.
# go-check runs the tests against the embedded mock, then again against
# KFK_TEST_BOOTSTRAP's cluster when it is set. make check runs go-check
# when a go command is present (always in CI, where a missing go fails),
# in the plain build (the race detector takes the place of SAN=1 and
# TSAN=1 for the Go code).
GO ?= go
GO_CHECK := $(if $(filter 1,$(SAN) $(TSAN)),,$(if $(or $(CI),$(shell command -v $(GO) 2>/dev/null)),go-check))
GO_PC := $(BUILD)/go/pkgconfig/kfk.pc $(BUILD)/go/pkgconfig/kfk_mock.pc
GO_ENV = PKG_CONFIG_PATH=$(CURDIR)/$(BUILD)/go/pkgconfig \
	GOCACHE=$${GOCACHE:-$(CURDIR)/$(BUILD)/go/cache} GOFLAGS=$${GOFLAGS:--mod=mod} \
	GOTOOLCHAIN=$${GOTOOLCHAIN:-local}
.PHONY: go-check go-pc bench-go
check-run: $(GO_CHECK)
$(BUILD)/go/pkgconfig/%.pc: pkgconfig/%.pc.in Makefile include/kfk.h
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(CURDIR)|' -e 's|@LIBDIR@|$(CURDIR)/$(BUILD)|' \
	    -e 's|@INCLUDEDIR@|$(CURDIR)/include|' -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|@REQUIRES@|$(DEP_PKGS)|' -e 's|^Libs: |Libs: -Wl,-rpath,$${libdir} |' $< > $@
go-pc: $(GO_PC)
go-check: lib $(GO_PC)
	cd bindings/go && $(GO_ENV) $(GO) vet ./...
	cd bindings/go && KFK_TEST_BOOTSTRAP= $(GO_ENV) $(GO) test -race -count=1 -timeout 900s ./...
	@if [ -n "$$KFK_TEST_BOOTSTRAP" ]; then \
	    echo "go-check: again against $$KFK_TEST_BOOTSTRAP"; \
	    cd bindings/go && $(GO_ENV) $(GO) test -race -count=1 -timeout 900s ./...; \
	fi
# Go kfk against confluent-kafka-go and franz-go (bench/go, a module of
# its own); never part of check.
bench-go: lib $(GO_PC)
	cd bench/go && $(GO_ENV) $(GO) run . $(BENCH_GO_ARGS)

# Kills and restarts nodes of a real 3-node Kafka cluster; not part of check
# (it needs a JVM and ~1 GB), run by CI.
chaos-check: $(CHAOS_TESTS)
	@BUILD=$(BUILD) tests/chaos/run $(CHAOS_TESTS)

# A long run under faults, not part of check: KFK_SOAK_MINUTES (default 30)
# of production and consumption, a node killed every KFK_SOAK_KILL_S
# (default 120) seconds, on the 3-node cluster tests/chaos/run starts.
soak: $(BUILD)/tests/soak/soak_test
	@BUILD=$(BUILD) tests/chaos/run $<

# The broker compatibility pass (tests/compat/run): one node of each Kafka
# version tools/kafka knows (COMPAT_VERSIONS="3.9.1 2.8.2" to pick), the
# integration tests against each; compat-quick runs tests/compat/quick's
# suites only. Not part of check: it starts a JVM per version.
.PHONY: compat-check compat-quick
compat-check: $(INTEG_TESTS)
	@BUILD=$(BUILD) tests/compat/run $(INTEG_TESTS)
compat-quick: $(INTEG_TESTS)
	@BUILD=$(BUILD) tests/compat/run --quick $(INTEG_TESTS)

unit-check: $(UNIT_TESTS)
	@tests/run-tests unit $(UNIT_TESTS)

integration-check: $(INTEG_TESTS) $(MOCKD)
	@BUILD=$(BUILD) MOCKD=$(MOCKD) tests/run-integration $(INTEG_TESTS)

# The protocol layer is generated from lib/proto/schema by tools/protogen;
# the output is committed. proto-check fails when it is stale.
proto:
	$(PYTHON) tools/protogen/protogen.py lib/proto/schema lib/proto/gen
proto-check:
	@tools/protogen/check

# docs/CONFIGURATION.md is generated from the property table by tools/confdoc;
# the output is committed. docs-check fails when it is stale.
.PHONY: docs docs-check
$(BUILD)/tools/confdoc: $(BUILD)/obj/tools/confdoc/confdoc.o $(STLIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(DEP_LIBS)
docs: $(BUILD)/tools/confdoc
	$(BUILD)/tools/confdoc > $(BUILD)/CONFIGURATION.md && mv $(BUILD)/CONFIGURATION.md docs/
docs-check: $(BUILD)/tools/confdoc
	@$(BUILD)/tools/confdoc > $(BUILD)/CONFIGURATION.md
	@cmp -s $(BUILD)/CONFIGURATION.md docs/CONFIGURATION.md || \
	    { echo "docs/CONFIGURATION.md is stale: run make docs"; exit 1; }

# build/tools/mockd runs the embedded mock cluster as a process: the broker
# tests/run-integration always runs the integration tests against.
$(MOCKD): $(BUILD)/obj/tools/mockd.o $(MOCK_STLIB) $(STLIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(DEP_LIBS)

# kfk, the command-line tool (cli/), on the public API alone: its objects
# see include/ and not lib/. docs/kfk.1 is generated from its help text
# (make cli-man); cli-check fails when the page is stale, then runs the
# CLI suite (tests/cli) against the mock and, with KFK_TEST_BOOTSTRAP,
# a real Kafka.
.PHONY: cli cli-man cli-check
CLI_SRC := $(wildcard cli/*.c)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
KFK_CLI := $(BUILD)/kfk
cli: $(KFK_CLI)
$(BUILD)/obj/cli/%.o: cli/%.c
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -Ilib,$(CFLAGS_ALL)) -MMD -MP -c $< -o $@
$(KFK_CLI): $(CLI_OBJ) $(MOCK_STLIB) $(STLIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(DEP_LIBS)
cli-man: $(KFK_CLI)
	$(KFK_CLI) help --man > docs/kfk.1
cli-check: $(KFK_CLI)
	@$(KFK_CLI) help --man | cmp -s - docs/kfk.1 || \
	    { echo "docs/kfk.1 is stale: run make cli-man"; exit 1; }
	@KFK=$(KFK_CLI) tests/cli/run

# libFuzzer targets (clang): build/fuzz/NAME for tests/fuzz/NAME.c.
FUZZ_CC ?= clang
FUZZ_BUILD := build/fuzz
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(wildcard tests/fuzz/*_fuzz.c))
# The library is compiled once, instrumented, and every target links it.
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -O1 -g -Iinclude -Ilib $(DEP_CFLAGS) \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/obj/%.o)
fuzz: $(FUZZ_TARGETS)
$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@
$(FUZZ_BUILD)/libkfk_fuzz.a: $(FUZZ_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^
$(FUZZ_BUILD)/%: tests/fuzz/%.c $(FUZZ_BUILD)/libkfk_fuzz.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(DEP_LIBS)
fuzz-smoke: $(FUZZ_TARGETS)
	@tests/fuzz/run-smoke $(FUZZ_TARGETS)

# kfk.pc is written at install time: PREFIX may differ from the last build's.
install: lib cli
	install -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR)/pkgconfig
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(KFK_CLI) $(DESTDIR)$(PREFIX)/bin/kfk
	install -m 644 docs/kfk.1 $(DESTDIR)$(PREFIX)/share/man/man1/kfk.1
	install -m 644 include/kfk.h include/kfk_observe.h include/kfk_admin.h \
		include/kfk_admin_groups.h include/kfk_admin_security.h include/kfk_share.h include/kfk_mock.h \
		$(DESTDIR)$(INCLUDEDIR)/
	install -m 755 $(SHLIB) $(MOCK_SHLIB) $(DESTDIR)$(LIBDIR)/
	ln -sf libkfk.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libkfk.so
	ln -sf libkfk_mock.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(MOCK_SONAME)
	ln -sf $(MOCK_SONAME) $(DESTDIR)$(LIBDIR)/libkfk_mock.so
	install -m 644 $(STLIB) $(MOCK_STLIB) $(DESTDIR)$(LIBDIR)/
	$(PC_SUBST) pkgconfig/kfk.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/kfk.pc
	$(PC_SUBST) pkgconfig/kfk_mock.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/kfk_mock.pc

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/kfk.h $(DESTDIR)$(INCLUDEDIR)/kfk_admin*.h \
	      $(DESTDIR)$(INCLUDEDIR)/kfk_mock.h $(DESTDIR)$(LIBDIR)/libkfk.* \
	      $(DESTDIR)$(LIBDIR)/libkfk_mock.* $(DESTDIR)$(LIBDIR)/pkgconfig/kfk.pc \
	      $(DESTDIR)$(LIBDIR)/pkgconfig/kfk_mock.pc \
	      $(DESTDIR)$(PREFIX)/bin/kfk $(DESTDIR)$(PREFIX)/share/man/man1/kfk.1

format:
	clang-format -i $$(git ls-files '*.c' '*.h' | grep -v '/gen/')

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
