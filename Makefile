# exodb: schema migrations and user administration for exoplanet_analyzer.
#
#   make            build ./exodb
#   make run        install missing libraries, build, upgrade instance/dev.db
#   make check      install missing libraries, run every test, also under
#                   AddressSanitizer + UndefinedBehaviorSanitizer
#   make check-fresh  run the two commands above on a fresh Debian 12 root
#                   (debootstrap; needs root or sudo, and the network)
#   make bench      measure start-up and apply times
#   make fault      fault injection and kill points at every k (long)
#   make fuzz       run each libFuzzer harness for FUZZ_TIME seconds
#   make stress     1,000 kills during a rebuild chain, concurrent upgrades
#   make valgrind   the tests under valgrind's memcheck
#   make coverage   line and branch coverage of src/ (gcov, lcov)
#   make install    install exodb, its manual and its bash and zsh completion
#                   (PREFIX, DESTDIR)

PREFIX ?=	/usr/local
BINDIR ?=	$(PREFIX)/bin
MANDIR ?=	$(PREFIX)/share/man
BASHCOMPDIR ?=	$(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?=	$(PREFIX)/share/zsh/site-functions
PKG_CONFIG ?=	pkg-config

PKGS =		sqlite3 libargon2 nettle libbsd
# libpq's headers only: src/pq.c loads the library when PostgreSQL is reached.
PKGS_HEADERS =	libpq
CFLAGS ?=	-O2 -g
WARNFLAGS =	-std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes \
		-Wmissing-prototypes -Wwrite-strings -Werror
# Hardening: glibc 2.36 and gcc 12 (or clang) check buffer sizes known even
# at run time at level 3; it needs optimisation, so builds without it (and the
# sanitizer builds, whose checks would overlap) leave FORTIFY out.
FORTIFY ?=	-U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3
HARDEN_FLAGS =	-fstack-protector-strong
ALL_CFLAGS =	$(WARNFLAGS) -D_GNU_SOURCE $(HARDEN_FLAGS) $(CFLAGS) \
		$$($(PKG_CONFIG) --cflags $(PKGS) $(PKGS_HEADERS))
LDLIBS_ALL =	$$($(PKG_CONFIG) --libs $(PKGS))
CHECK_CFLAGS =	$$($(PKG_CONFIG) --cflags check)
CHECK_LIBS =	$$($(PKG_CONFIG) --libs check)
SAN_FLAGS =	-fsanitize=address,undefined -fno-omit-frame-pointer \
		-fno-sanitize-recover=all

LIB_SRCS =	src/autogen.c src/chain.c src/chain-cache.c src/cmd.c src/cmd-db.c src/cmd-dbops.c \
		src/datacheck.c src/db.c src/diff.c \
		src/history.c src/introspect.c src/lex.c src/migrate.c \
		src/pg.c src/pq.c src/pg-migrate.c src/introspect-pg.c src/chain-pg.c \
		src/model.c src/plan.c src/render.c src/render-pg.c src/repo.c \
		src/revision.c \
		src/schema.c \
		src/xmalloc.c src/cmd-user.c src/cmd-userops.c src/password.c \
		src/prompt.c src/user.c src/user-pg.c
# main.c and complete.c, which reads main.c's tables, are the binary's alone.
SRCS =		src/main.c src/complete.c $(LIB_SRCS)
HDRS =		src/exodb.h src/cmd.h src/pq.h
UNIT_TESTS =	check-lex check-schema check-model check-introspect check-render \
		check-render-pg \
		check-diff check-autogen check-chain check-chain-cache check-datacheck \
		check-revision \
		check-repo check-history \
		check-plan check-migrate check-db check-password check-user check-pg \
		check-pq
# What the end-to-end tests run besides exodb: revision files written by
# exodb's own formatter.
CLI_TOOLS =	build/tests/revision-file
CLI_TESTS =	tests/cli-db.sh tests/cli-graph.sh tests/cli-autogen.sh \
		tests/cli-user.sh tests/cli-crash.sh tests/cli-docs.sh \
		tests/cli-model.sh tests/cli-examples.sh tests/cli-complete.sh \
		tests/cli-files.sh tests/cli-project.sh tests/cli-drift.sh \
		tests/cli-data.sh tests/cli-adopt.sh tests/cli-json.sh \
		tests/cli-errors.sh tests/cli-views.sh tests/cli-cache.sh \
		tests/cli-pg.sh tests/cli-pg-autogen.sh tests/cli-pg-drift.sh \
		tests/cli-pg-user.sh tests/cli-pg-adopt.sh

# Plain builds go to build/, sanitizer builds to build/san/. The model,
# src/model.sql, is compiled in as build/model-sql.c (never committed).
LIB_OBJS =	$(LIB_SRCS:src/%.c=build/%.o) build/model-sql.o
SAN_LIB_OBJS =	$(LIB_SRCS:src/%.c=build/san/%.o) build/san/model-sql.o
OBJS =		build/main.o build/complete.o $(LIB_OBJS)
SAN_OBJS =	build/san/main.o build/san/complete.o $(SAN_LIB_OBJS)

all: exodb

deps:
	@./scripts/install-deps

# The binary is kept only if its model loads: otherwise the build fails with
# the message naming src/model.sql and the line. (EXODB_MODEL would make it
# check another file.)
exodb: $(OBJS)
	@echo "LD  $@"
	@$(CC) $(CFLAGS) -o $@.new $(OBJS) $(LDFLAGS) $(LDLIBS_ALL)
	@EXODB_MODEL= ./$@.new -q db model >/dev/null || { rm -f $@.new; exit 1; }
	@mv -f $@.new $@

# The model's bytes as a C array: any text survives, no escaping to get wrong.
build/model-sql.c: src/model.sql | build
	@echo "GEN $@"
	@{ echo '/* Generated from src/model.sql by the Makefile: do not edit. */'; \
	    echo 'const char model_builtin_name[] = "src/model.sql";'; \
	    echo 'const char model_builtin[] = {'; \
	    od -An -v -tx1 src/model.sql | sed 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	    echo '0x00 };'; } >$@.new && mv -f $@.new $@

build/model-sql.o: build/model-sql.c
	@echo "CC  $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ build/model-sql.c

build/san/model-sql.o: build/model-sql.c
	@echo "CC  $< (sanitizers)"
	@$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -c -o $@ build/model-sql.c

build/%.o: src/%.c $(HDRS) | build
	@echo "CC  $<"
	@$(CC) $(ALL_CFLAGS) $(FORTIFY) -c -o $@ $<

build/san/%.o: src/%.c $(HDRS) | build
	@echo "CC  $< (sanitizers)"
	@$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -c -o $@ $<

build/san/exodb: $(SAN_OBJS)
	@echo "LD  $@"
	@$(CC) $(SAN_FLAGS) -o $@.new $(SAN_OBJS) $(LDFLAGS) $(LDLIBS_ALL)
	@EXODB_MODEL= ASAN_OPTIONS=detect_leaks=1 ./$@.new -q db model >/dev/null || \
	    { rm -f $@.new; exit 1; }
	@mv -f $@.new $@

build:
	@mkdir -p build/san build/tests build/san/tests

build/tests/%: tests/%.c tests/unit.h $(HDRS) $(LIB_OBJS) | build
	@echo "CC  $<"
	@$(CC) $(ALL_CFLAGS) $(FORTIFY) $(CHECK_CFLAGS) -Isrc -o $@ $< \
	    $(LIB_OBJS) $(LDLIBS_ALL) $(CHECK_LIBS)

build/san/tests/%: tests/%.c tests/unit.h $(HDRS) $(SAN_LIB_OBJS) | build
	@echo "CC  $< (sanitizers)"
	@$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(CHECK_CFLAGS) -Isrc -o $@ $< \
	    $(SAN_LIB_OBJS) $(LDLIBS_ALL) $(CHECK_LIBS)

# The fault-injection build: exodb with a test VFS and allocator linked in
# (tests/fault/fault.c), under the sanitizers so that every failure path is
# also checked for leaks. Never installed.
build/san/tests/exodb-fault: tests/fault/fault.c $(SAN_OBJS) | build
	@echo "LD  $@"
	@$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -o $@ tests/fault/fault.c \
	    $(SAN_OBJS) $(LDFLAGS) $(LDLIBS_ALL)

# The same without the sanitizers, for make valgrind.
build/tests/exodb-fault: tests/fault/fault.c $(OBJS) | build
	@echo "LD  $@"
	@$(CC) $(ALL_CFLAGS) -o $@ tests/fault/fault.c $(OBJS) $(LDFLAGS) \
	    $(LDLIBS_ALL)

# A preloaded library that fails or kills at the k-th write, fsync, link...
build/tests/exodb-shim.so: tests/fault/shim.c | build
	@echo "CC  $<"
	@$(CC) $(WARNFLAGS) -O2 -fPIC -shared -o $@ tests/fault/shim.c -ldl

# libFuzzer harnesses (tests/fuzz/fuzz-*.c), built with clang. Each has a
# committed seed corpus in tests/fuzz/NAME/; what a run finds goes to
# build/fuzz/corpus-NAME/, never into the tree. make fuzz runs each for
# FUZZ_TIME seconds; make check replays the seeds and runs each briefly.
FUZZ_CC ?=	clang
FUZZERS =	slug phc revision diff cmd
FUZZ_TIME ?=	300
FUZZ_CHECK_TIME ?= 5
FUZZ_SAN =	-fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_OBJS =	$(LIB_SRCS:src/%.c=build/fuzz/%.o) build/fuzz/model-sql.o

build/fuzz/%.o: src/%.c $(HDRS)
	@mkdir -p build/fuzz
	@echo "CC  $< (fuzzing)"
	@$(FUZZ_CC) $(WARNFLAGS) -D_GNU_SOURCE -g -O1 $(FUZZ_SAN) \
	    -fsanitize=fuzzer-no-link $$($(PKG_CONFIG) --cflags $(PKGS) $(PKGS_HEADERS)) \
	    -c -o $@ $<

build/fuzz/model-sql.o: build/model-sql.c
	@mkdir -p build/fuzz
	@echo "CC  $< (fuzzing)"
	@$(FUZZ_CC) $(WARNFLAGS) -g -O1 $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
	    -c -o $@ build/model-sql.c

build/fuzz/fuzz-%: tests/fuzz/fuzz-%.c tests/fuzz/fuzz.h $(FUZZ_OBJS)
	@echo "LD  $@"
	@$(FUZZ_CC) $(WARNFLAGS) -D_GNU_SOURCE -g -O1 $(FUZZ_SAN) \
	    -fsanitize=fuzzer -Isrc -o $@ $< $(FUZZ_OBJS) $(LDLIBS_ALL)

fuzz: deps
	@$(MAKE) --no-print-directory $(FUZZERS:%=build/fuzz/fuzz-%)
	@for f in $(FUZZERS); do \
	    mkdir -p build/fuzz/corpus-$$f; \
	    echo "== fuzz-$$f for $(FUZZ_TIME) s"; \
	    build/fuzz/fuzz-$$f -max_total_time=$(FUZZ_TIME) \
		-print_final_stats=1 -artifact_prefix=build/fuzz/$$f- \
		build/fuzz/corpus-$$f tests/fuzz/$$f 2>&1 | \
		grep -E '^(stat::|==|SUMMARY|fuzz:)|Done [0-9]+ runs|cov: ' | \
		tail -n 12 || exit 1; \
	done

check-fuzz: $(FUZZERS:%=build/fuzz/fuzz-%)
	@echo "== fuzz harnesses: the seed corpus, then $(FUZZ_CHECK_TIME) s each"
	@for f in $(FUZZERS); do \
	    mkdir -p build/fuzz/corpus-$$f; \
	    build/fuzz/fuzz-$$f -runs=0 tests/fuzz/$$f >build/fuzz/$$f.log 2>&1 && \
	    build/fuzz/fuzz-$$f -max_total_time=$(FUZZ_CHECK_TIME) \
		-artifact_prefix=build/fuzz/$$f- build/fuzz/corpus-$$f \
		tests/fuzz/$$f >>build/fuzz/$$f.log 2>&1 || \
		{ tail -n 30 build/fuzz/$$f.log; echo "fuzz-$$f: FAILED"; exit 1; }; \
	    echo "fuzz-$$f: $$(grep -E 'DONE +cov:' build/fuzz/$$f.log | \
		tail -n 1 | awk '{print $$1 " runs, coverage " $$4 \
		" edges, " $$6 " features"}' | tr -d '#')"; \
	done

# Stress (tests/stress.sh): random SIGKILLs during a chain of table
# rebuilds, then concurrent upgrades. make check runs a small count.
STRESS_CHECK =	KILLS=10 ROWS=5000 STEPS=4 ROUNDS=3

stress: exodb
	@EXODB=$(CURDIR)/exodb nice tests/stress.sh

check-stress: exodb
	@echo "== stress, a small count ($(STRESS_CHECK))"
	@$(STRESS_CHECK) EXODB=$(CURDIR)/exodb tests/stress.sh

# The fault-injection and kill-point tests. make check tries every k of the
# I/O faults and kills and every 50th allocation; make fault every k.
FAULT_CHECK =	FAULT_STRIDE=1 FAULT_MALLOC_STRIDE=50 KILL_STRIDE=1
FAULT_DEPS =	exodb build/san/tests/exodb-fault build/tests/exodb-shim.so

check-fault: $(FAULT_DEPS)
	@echo "== fault injection and kill points ($(FAULT_CHECK))"
	@$(FAULT_CHECK) EXODB=$(CURDIR)/exodb tests/run-cli tests/cli-fault.sh \
	    tests/cli-kill.sh

# Every k is some 40,000 runs, most of them the allocations of db upgrade and
# db downgrade: those two and the rest run side by side, FAULT_JOBS at once.
FAULT_JOBS ?=	2
fault: deps
	@$(MAKE) --no-print-directory $(FAULT_DEPS)
	@printf '%s\n' 'tests/cli-fault.sh t_upgrade_with_rebuild' \
	    'tests/cli-fault.sh t_downgrade_with_rebuild' \
	    'tests/cli-fault.sh t_stamp|t_user_.*' tests/cli-kill.sh | \
	    EXODB=$(CURDIR)/exodb nice xargs -P$(FAULT_JOBS) -I{} \
	    tests/run-cli {}

# The unit and end-to-end tests under valgrind's memcheck: any error or a
# definite or indirect leak fails the run. The plain build is used, through
# wrappers in build/valgrind/ that write each process's report to its own
# file in build/valgrind/logs (named after the test, from EXODB_TEST, which
# tests/lib.sh sets), so that a report is seen even where a test ignores
# exodb's exit status or stderr; tests/run-valgrind runs the unit tests and
# each end-to-end file as jobs, VALGRIND_JOBS at a time, the slowest first,
# and fails on any failed test or any log whose summary counts an error.
# tests/valgrind.supp holds what memcheck reports outside exodb, with why.
# valgrind is named by its path: a test may run exodb with a short PATH.
#
# How the tests adapt to valgrind's pace (exodb runs some 30 to 500 times
# slower, and each start costs a second or two):
# - Check's per-test timeout and the end-to-end tests' polls for a condition
#   are stretched 30 times (CK_TIMEOUT_MULTIPLIER; SLOW in tests/lib.sh);
# - the user tests hash at OWASP's floor, the cheapest cost exodb accepts
#   (EXODB_ARGON2_COST);
# - EXODB_VALGRIND=1 tells a test what no wait can adapt:
#   cli-autogen.sh t_rebuild_progress_only_on_a_terminal copies 10,000 rows,
#   not 400,000 (still more than 4,096, one progress step, and over a
#   second); cli-crash.sh t_kill_9_at_random_moments kills 10 runs on a
#   20,000-row revision, not 50 on 300,000, and t_two_upgrades_at_once runs
#   10 rounds, not 20; cli-complete.sh t_query_time times 3 queries of each
#   kind, not 20; cli-user.sh t_tty_ctrl_z and cli-pg-user.sh's memory
#   measure are skipped (memcheck does not stop on SIGTSTP; it owns the
#   process's memory).
#
# make valgrind-fault runs tests/cli-fault.sh (a plain build of exodb-fault
# under memcheck, every VALGRIND_FAULT_STRIDE-th k of the I/O faults, every
# VALGRIND_MALLOC_STRIDE-th allocation) and tests/cli-kill.sh (every
# VALGRIND_KILL_STRIDE-th kill point) the same way: make check tries every k
# of both under the sanitizers, and this gives the failure paths memcheck's
# look at uninitialised values, which the sanitizers do not. It takes longer
# than make valgrind, so it is a target of its own.
# Stress and fuzzing are not part of it: they are loops of the runs above
# (stress.sh's SIGKILLs and concurrent upgrades are cli-crash.sh's, bigger)
# or need libFuzzer's own instrumented build.
VALGRIND =	$$(command -v valgrind) --error-exitcode=99 --leak-check=full \
		--show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect \
		--suppressions=$(CURDIR)/tests/valgrind.supp
VALGRIND_JOBS ?= 2
VALGRIND_FAULT_STRIDE ?= 5
VALGRIND_MALLOC_STRIDE ?= 250
VALGRIND_KILL_STRIDE ?= 5
# The longest first, so that two jobs end together.
VALGRIND_FIRST =	tests/cli-graph.sh tests/cli-db.sh tests/cli-user.sh \
		tests/cli-errors.sh tests/cli-pg-user.sh tests/cli-pg-drift.sh
valgrind: VALGRIND_ORDER = $(VALGRIND_FIRST) unit \
		$(filter-out $(VALGRIND_FIRST),$(CLI_TESTS))
valgrind-fault: VALGRIND_ORDER = tests/cli-fault.sh tests/cli-kill.sh

valgrind valgrind-fault: deps
	@$(MAKE) --no-print-directory exodb $(CLI_TOOLS) build/tests/sodium-verify \
	    build/tests/exodb-fault build/tests/exodb-shim.so \
	    $(UNIT_TESTS:%=build/tests/%)
	@mkdir -p build/valgrind/tests
	@for t in exodb build/tests/exodb-fault $(UNIT_TESTS:%=build/tests/%); do \
	    tag=$${t#build/tests/}; \
	    case $$t in exodb|*/exodb-fault) tag='$${EXODB_TEST:-exodb}' ;; esac; \
	    printf '#!/bin/sh\nexec %s --log-file=%s/%s.%%p %s "$$@"\n' \
		"$(VALGRIND)" "$(CURDIR)/build/valgrind/logs" "$$tag" \
		"$(CURDIR)/$$t" >build/valgrind/$${t#build/}; \
	    chmod +x build/valgrind/$${t#build/}; \
	done
	@CK_TIMEOUT_MULTIPLIER=30 EXODB_VALGRIND=1 \
	    EXODB_ARGON2_COST=m=19456,t=2,p=1 EXODB=$(CURDIR)/build/valgrind/exodb \
	    EXODB_FAULTY=$(CURDIR)/build/valgrind/tests/exodb-fault \
	    FAULT_STRIDE=$(VALGRIND_FAULT_STRIDE) \
	    FAULT_MALLOC_STRIDE=$(VALGRIND_MALLOC_STRIDE) \
	    KILL_STRIDE=$(VALGRIND_KILL_STRIDE) \
	    UNIT_TESTS="$(UNIT_TESTS)" VALGRIND_JOBS=$(VALGRIND_JOBS) \
	    tests/run-valgrind $(VALGRIND_ORDER)

# Line and branch coverage of src/ by the unit and end-to-end tests, with
# gcov and lcov; the report is build/cov/html/index.html.
COV_FLAGS =	--coverage -O0 -g
COV_OBJS =	$(SRCS:src/%.c=build/cov/%.o) build/cov/model-sql.o
LCOV =		lcov --quiet --rc lcov_branch_coverage=1

build/cov/%.o: src/%.c $(HDRS)
	@mkdir -p build/cov/tests
	@echo "CC  $< (coverage)"
	@$(CC) $(ALL_CFLAGS) $(COV_FLAGS) -c -o $@ $<

build/cov/model-sql.o: build/model-sql.c
	@mkdir -p build/cov/tests
	@$(CC) $(ALL_CFLAGS) $(COV_FLAGS) -c -o $@ build/model-sql.c

build/cov/exodb: $(COV_OBJS)
	@$(CC) $(COV_FLAGS) -o $@ $(COV_OBJS) $(LDFLAGS) $(LDLIBS_ALL)

build/cov/tests/%: tests/%.c tests/unit.h $(HDRS) $(LIB_SRCS:src/%.c=build/cov/%.o) build/cov/model-sql.o
	@echo "CC  $< (coverage)"
	@$(CC) $(ALL_CFLAGS) $(COV_FLAGS) $(CHECK_CFLAGS) -Isrc -o $@ $< \
	    $(LIB_SRCS:src/%.c=build/cov/%.o) build/cov/model-sql.o \
	    $(LDLIBS_ALL) $(CHECK_LIBS)

# The fault-injection build of the coverage objects: make coverage also runs
# tests/cli-fault.sh with it (every COV_FAULT_STRIDE-th k, every
# COV_FAULT_MALLOC_STRIDE-th allocation) and the revision-writing faults of
# tests/cli-kill.sh, as those reach the error paths no ordinary test can.
COV_FAULT_STRIDE ?=	1
COV_FAULT_MALLOC_STRIDE ?= 7

build/cov/tests/exodb-fault: tests/fault/fault.c $(COV_OBJS)
	@echo "LD  $@ (coverage)"
	@$(CC) $(ALL_CFLAGS) $(COV_FLAGS) -o $@ tests/fault/fault.c \
	    $(COV_OBJS) $(LDFLAGS) $(LDLIBS_ALL)

coverage: deps
	@$(MAKE) --no-print-directory build/cov/exodb build/cov/tests/exodb-fault \
	    $(CLI_TOOLS) build/tests/sodium-verify build/tests/exodb-shim.so \
	    $(UNIT_TESTS:%=build/cov/tests/%)
	@find build/cov -name '*.gcda' -delete
	@tests/run-unit build/cov/tests $(UNIT_TESTS)
	@# A test runs exodb as nobody when run as root (cli-db.sh): the count
	@# files exist first, writable by it, or gcov complains on its stderr.
	@build/cov/exodb --version >/dev/null && chmod 666 build/cov/*.gcda
	@GCOV_ERROR_FILE=$(CURDIR)/build/cov/gcov-errors.log \
	    EXODB=$(CURDIR)/build/cov/exodb tests/run-cli $(CLI_TESTS)
	@echo "== fault injection under the coverage build (every" \
	    "$(COV_FAULT_STRIDE)th k, $(COV_FAULT_MALLOC_STRIDE)th allocation)"
	@FAULT_STRIDE=$(COV_FAULT_STRIDE) \
	    FAULT_MALLOC_STRIDE=$(COV_FAULT_MALLOC_STRIDE) \
	    GCOV_ERROR_FILE=$(CURDIR)/build/cov/gcov-errors.log \
	    EXODB_FAULTY=$(CURDIR)/build/cov/tests/exodb-fault \
	    EXODB=$(CURDIR)/build/cov/exodb tests/run-cli tests/cli-fault.sh \
	    'tests/cli-kill.sh t_revision_.*'
	@$(LCOV) --capture --directory build/cov --output-file build/cov/all.info
	@$(LCOV) --extract build/cov/all.info '*/src/*' --output-file build/cov/src.info
	@genhtml --quiet --branch-coverage -o build/cov/html build/cov/src.info
	@# (lcov --quiet would keep the summary to itself.)
	@lcov --rc lcov_branch_coverage=1 --summary build/cov/src.info 2>&1 | \
	    grep -E 'lines|branches'

# libsodium's Argon2, a second implementation that the end-to-end tests verify
# exodb's hashes with.
build/tests/sodium-verify: tests/sodium-verify.c | build
	@echo "CC  $<"
	@$(CC) $(WARNFLAGS) $(CFLAGS) $$($(PKG_CONFIG) --cflags libsodium) \
	    -o $@ tests/sodium-verify.c $$($(PKG_CONFIG) --libs libsodium)

check-plain check-san: build/tests/sodium-verify

# The two quick-start commands install what is missing first, then build in
# a second make, so that pkg-config answers only once the libraries are there.
run: deps
	@$(MAKE) --no-print-directory exodb
	./exodb db upgrade
	./exodb db current
	sqlite3 instance/dev.db .schema

# The steps of make check run CHECK_JOBS at a time (each step's output is
# printed whole when it ends): on the 2-core CI machine the plain and the
# sanitizer passes side by side take about half the time of one after the
# other, and every test works in a temporary folder (and a PostgreSQL cluster)
# of its own. CHECK_JOBS=1 runs them one by one, as they are listed.
CHECK_JOBS ?=	2
check: deps
	@./scripts/check-deps
	@$(MAKE) --no-print-directory -j$(CHECK_JOBS) --output-sync=target \
	    check-lint check-plain check-san check-fault check-fuzz check-stress

# The manual through mandoc's linter, every message about the file itself
# except the note that .Os names exodb and its version on purpose and those
# about the machine's other manuals (mandoc.db's notes, and a manual .Xr
# names that this machine lacks: a fresh Debian has none of them); the shell scripts through
# shellcheck (its settings, with reasons: .shellcheckrc).
LINT_SH =	scripts/* tests/*.sh tests/fault/common.sh tests/run-cli \
		tests/run-unit tests/run-valgrind

check-lint:
	@echo "== mandoc -T lint man/exodb.1; shellcheck scripts/ tests/"
	@out=$$(mandoc -T lint -W style man/exodb.1 2>&1 | \
	    grep '^mandoc: man/exodb.1:' | \
	    grep -v -e 'STYLE: operating system explicitly specified: Os exodb' \
		-e 'STYLE: referenced manual not found: Xr '); \
	    [ -z "$$out" ] || { echo "$$out"; exit 1; }
	@shellcheck $(LINT_SH)

check-fresh:
	@./scripts/install-deps fresh
	@./scripts/check-fresh

check-plain: exodb $(CLI_TOOLS) $(UNIT_TESTS:%=build/tests/%)
	@tests/run-unit build/tests $(UNIT_TESTS)
	@EXODB=$(CURDIR)/exodb tests/run-cli $(CLI_TESTS)

check-san: build/san/exodb $(CLI_TOOLS) $(UNIT_TESTS:%=build/san/tests/%)
	@echo "== again under AddressSanitizer + UndefinedBehaviorSanitizer"
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    tests/run-unit build/san/tests $(UNIT_TESTS)
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 \
	    EXODB=$(CURDIR)/build/san/exodb tests/run-cli $(CLI_TESTS)

# make bench also builds BENCH_BEFORE (a commit; "before": main just before
# the work of issue 13) into build/before from git, and runs it beside
# ./exodb in the same rounds; BENCH_BEFORE= leaves it out.
BENCH_BEFORE ?=	31f7c64
bench:
	@./scripts/install-deps bench
	@$(MAKE) --no-print-directory exodb $(CLI_TOOLS)
	@before=; if [ -n "$(BENCH_BEFORE)" ] && \
	    git rev-parse -q --verify "$(BENCH_BEFORE)^{commit}" >/dev/null; then \
		rm -rf build/before && mkdir -p build/before && \
		git archive "$(BENCH_BEFORE)" | tar -x -C build/before && \
		$(MAKE) --no-print-directory -C build/before exodb >/dev/null && \
		before=$(CURDIR)/build/before/exodb; \
	fi; EXODB=$(CURDIR)/exodb EXODB_BEFORE=$$before \
	    BEFORE_NAME="$(BENCH_BEFORE)" tests/bench.sh

# The completion scripts, as exodb prints them, where bash-completion and
# zsh look for them.
build/completion/exodb build/completion/_exodb: exodb
	@mkdir -p build/completion
	@./exodb completion bash >build/completion/exodb.new && \
	    mv -f build/completion/exodb.new build/completion/exodb
	@./exodb completion zsh >build/completion/_exodb.new && \
	    mv -f build/completion/_exodb.new build/completion/_exodb

install: exodb build/completion/exodb build/completion/_exodb
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 0755 exodb $(DESTDIR)$(BINDIR)/exodb
	install -m 0644 man/exodb.1 $(DESTDIR)$(MANDIR)/man1/exodb.1
	install -m 0644 build/completion/exodb $(DESTDIR)$(BASHCOMPDIR)/exodb
	install -m 0644 build/completion/_exodb $(DESTDIR)$(ZSHCOMPDIR)/_exodb

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/exodb $(DESTDIR)$(MANDIR)/man1/exodb.1 \
	    $(DESTDIR)$(BASHCOMPDIR)/exodb $(DESTDIR)$(ZSHCOMPDIR)/_exodb

clean:
	rm -rf build exodb exodb.new

# build is phony: a build/ that exists (made by make coverage's build/cov,
# say) must not stop its folders being made.
.PHONY: all build deps run check check-fresh check-plain check-san check-fuzz fuzz \
	bench check-fault fault check-stress stress valgrind valgrind-fault coverage \
	install uninstall clean
.PRECIOUS: build/%.o build/san/%.o build/fuzz/%.o build/cov/%.o
