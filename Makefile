# parley: the two commands a user needs are `make run` and `make test`.
#   make run     install what is missing, build, serve http://localhost:8000 (./parley.db)
#   make test    the same set-up plus test tools; -Werror + ASan/UBSan build; every test,
#                with one loop on SQLite and with four on PostgreSQL + Redis (--threads;
#                the browser's with four on SQLite), then the protocol under TSan, and
#                Autobahn|Testsuite's sections 1-10 when it is there
#   make build   release build only: build/parley
#   make deb     a Debian package of the release build: dist/parley_VERSION_ARCH.deb (binary,
#                systemd unit, /etc/default/parley, parley(8); docs/operations.md)
#   make cluster three parley processes on PostgreSQL + Redis behind HAProxy, http://127.0.0.1:8000
#   make conformance  the whole Autobahn|Testsuite (517 cases, 20-40 min) against build/parley
SHELL := /bin/bash
JOBS ?= $(shell nproc)
PY := /usr/bin/python3
ARGS ?=

# `make test`'s stages and how they share the two cores: scripts/test-all (each stage timed).
# E2E_JOBS: pytest-xdist processes per e2e stage; FUZZ_SMOKE: seconds per fuzz target.
E2E_JOBS ?= 2
FUZZ_SMOKE ?= 6
export JOBS E2E_JOBS FUZZ_SMOKE

# Autobahn|Testsuite (run-autobahn.sh and its README) is a test tool kept outside the tree;
# where it is missing, `make test` says so and goes on, and `make conformance` stops.
CONFORMANCE_DIR ?= $(abspath ../shared/conformance)
export CONFORMANCE_DIR

.PHONY: all build run deb cluster test tsan tsan-build test-unit test-e2e conformance fuzz bench valgrind deps deps-test clean lint format

all: build

deps:
	@scripts/deps build

deps-test:
	@scripts/deps test

build/Makefile: CMakeLists.txt
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo $(if $(CI),-DPARLEY_WERROR=ON) >/dev/null

build: deps build/Makefile
	@cmake --build build -j $(JOBS) --target parley parley-cli

run: build
	build/parley --db ./parley.db $(ARGS)

# The Debian package (scripts/build-deb: dpkg-deb from a staged tree; packaging/).
deb: build
	@scripts/build-deb build/parley dist

# Several processes on one store (docs/scaling.md): scripts/cluster, stopped by Ctrl-C.
cluster: build
	@PARLEY_BIN=$(CURDIR)/build/parley ARGS='$(ARGS)' scripts/cluster

build-test/Makefile: CMakeLists.txt
	cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DPARLEY_WERROR=ON -DPARLEY_SANITIZE=ON >/dev/null

test: deps-test build-test/Makefile
	@scripts/test-all

# The protocol tests against a ThreadSanitizer build with four connection loops: every
# hand-off between the hub and the loops is checked for races.
build-tsan/Makefile: CMakeLists.txt
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DPARLEY_WERROR=ON -DPARLEY_TSAN=ON >/dev/null

tsan-build: build-tsan/Makefile
	@cmake --build build-tsan -j $(JOBS) --target parley test_net_mailbox

TSAN_TESTS := tests/e2e/test_seeds.py tests/e2e/test_json_protocol.py \
	tests/e2e/test_resume_paths.py tests/e2e/test_durability.py tests/e2e/test_limits.py \
	tests/e2e/test_abuse.py tests/e2e/test_channels.py \
	tests/e2e/test_history_threads.py tests/e2e/test_client_keys.py tests/e2e/test_accounts.py \
	tests/e2e/test_tls.py

# As make test's e2e stages: the files in E2E_JOBS processes, then the tests marked serial
# alone (exit 5 is "none selected").
tsan: tsan-build
	@build-tsan/test_net_mailbox
	@ulimit -n 20000 2>/dev/null; export PARLEY_THREADS=4 PARLEY_BIN=$(CURDIR)/build-tsan/parley; \
		$(PY) -m pytest -q -p no:cacheprovider -n $(E2E_JOBS) --dist loadfile -m "not serial" \
			$(TSAN_TESTS) && \
		{ $(PY) -m pytest -q -p no:cacheprovider -m serial $(TSAN_TESTS); rc=$$?; \
		  [ $$rc -eq 0 ] || [ $$rc -eq 5 ]; }

FUZZ_SECONDS ?= 600

test-unit: build-test/Makefile
	@cmake --build build-test -j $(JOBS)
	@cd build-test && ctest --output-on-failure -j $(JOBS)

test-e2e: build-test/Makefile
	@cmake --build build-test -j $(JOBS) --target parley parley-cli
	@PARLEY_BIN=$(CURDIR)/build-test/parley $(PY) -m pytest -q tests/e2e $(ARGS)

# Every Autobahn|Testsuite case against the release build's echo route: 0 failed is the bar.
conformance: build
	@PARLEY_BIN=$(CURDIR)/build/parley scripts/conformance all

# parley against the seeds' FastAPI server, Node ws and Bun, side by side, into
# docs/benchmarks.md (about 20 minutes; ARGS=--quick for a smoke run), then the sign-in
# rate and its memory (scripts/bench-signin) and the cluster on PostgreSQL + Redis
# (scripts/bench-cluster: 1-3 processes, a hot channel, a kill -9 under 10k clients; about
# 3 minutes, CLUSTER_ARGS=--quick for a smoke run) into the same page.
CLUSTER_ARGS ?=
bench: build
	@scripts/bench $(ARGS)
	@scripts/bench-signin --write
	@scripts/bench-cluster --write $(CLUSTER_ARGS)

# Every libFuzzer target for FUZZ_SECONDS each (make test runs them for FUZZ_SMOKE).
fuzz: deps-test
	@scripts/fuzz $(FUZZ_SECONDS)

# The protocol tests once more with the server under valgrind's memcheck (release build).
valgrind: build
	@PARLEY_BIN=$(CURDIR)/build/parley PARLEY_VALGRIND=1 $(PY) -m pytest -q \
		tests/e2e/test_seeds.py tests/e2e/test_json_protocol.py $(ARGS)

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h' 'tools/*.c')

lint:
	scripts/check-includes
	clang-format --dry-run --Werror $$(git ls-files 'src/*.c' 'src/*.h' 'tools/*.c')
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance -I src src tools
	cmake -S . -B build -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
	clang-tidy -p build --quiet $$(git ls-files 'src/*.c')

clean:
	rm -rf build build-test build-fuzz
