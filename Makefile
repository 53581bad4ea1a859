# exodb: schema migrations and user administration for exoplanet_analyzer.
#
#   make            build ./exodb
#   make run        install missing libraries, build, upgrade instance/dev.db
#   make check      install missing libraries, run every test, also under
#                   AddressSanitizer + UndefinedBehaviorSanitizer
#   make check-fresh  run the two commands above on a fresh Debian 12 root
#                   (debootstrap; needs root or sudo, and the network)
#   make bench      measure start-up and apply times
#   make install    install exodb and its manual (PREFIX, DESTDIR)

PREFIX ?=	/usr/local
BINDIR ?=	$(PREFIX)/bin
MANDIR ?=	$(PREFIX)/share/man
PKG_CONFIG ?=	pkg-config

PKGS =		sqlite3 libargon2 libmd libbsd
CFLAGS ?=	-O2 -g
WARNFLAGS =	-std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes \
		-Wmissing-prototypes -Wwrite-strings -Werror
ALL_CFLAGS =	$(WARNFLAGS) -D_GNU_SOURCE $(CFLAGS) \
		$$($(PKG_CONFIG) --cflags $(PKGS))
LDLIBS_ALL =	$$($(PKG_CONFIG) --libs $(PKGS))
CHECK_CFLAGS =	$$($(PKG_CONFIG) --cflags check)
CHECK_LIBS =	$$($(PKG_CONFIG) --libs check)
SAN_FLAGS =	-fsanitize=address,undefined -fno-omit-frame-pointer \
		-fno-sanitize-recover=all

LIB_SRCS =	src/autogen.c src/cmd.c src/cmd-db.c src/db.c src/diff.c \
		src/history.c src/introspect.c src/lex.c src/migrate.c \
		src/model.c src/plan.c src/render.c src/repo.c src/revision.c \
		src/schema.c \
		src/xmalloc.c src/cmd-user.c src/password.c src/prompt.c \
		src/user.c
SRCS =		src/main.c $(LIB_SRCS)
HDRS =		src/exodb.h src/cmd.h
UNIT_TESTS =	check-lex check-schema check-model check-introspect check-render \
		check-diff check-autogen check-revision check-repo check-history \
		check-plan check-migrate check-db check-password check-user
# What the end-to-end tests run besides exodb: revision files written by
# exodb's own formatter.
CLI_TOOLS =	build/tests/revision-file
CLI_TESTS =	tests/cli-db.sh tests/cli-graph.sh tests/cli-autogen.sh \
		tests/cli-user.sh tests/cli-crash.sh tests/cli-docs.sh \
		tests/cli-model.sh

# Plain builds go to build/, sanitizer builds to build/san/. The model,
# src/model.sql, is compiled in as build/model-sql.c (never committed).
LIB_OBJS =	$(LIB_SRCS:src/%.c=build/%.o) build/model-sql.o
SAN_LIB_OBJS =	$(LIB_SRCS:src/%.c=build/san/%.o) build/san/model-sql.o
OBJS =		build/main.o $(LIB_OBJS)
SAN_OBJS =	build/san/main.o $(SAN_LIB_OBJS)

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
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

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
	@$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Isrc -o $@ $< \
	    $(LIB_OBJS) $(LDLIBS_ALL) $(CHECK_LIBS)

build/san/tests/%: tests/%.c tests/unit.h $(HDRS) $(SAN_LIB_OBJS) | build
	@echo "CC  $< (sanitizers)"
	@$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(CHECK_CFLAGS) -Isrc -o $@ $< \
	    $(SAN_LIB_OBJS) $(LDLIBS_ALL) $(CHECK_LIBS)

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

check: deps
	@./scripts/check-deps
	@$(MAKE) --no-print-directory check-plain check-san

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

bench:
	@./scripts/install-deps bench
	@$(MAKE) --no-print-directory exodb $(CLI_TOOLS)
	@EXODB=$(CURDIR)/exodb tests/bench.sh

install: exodb
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 exodb $(DESTDIR)$(BINDIR)/exodb
	install -m 0644 man/exodb.1 $(DESTDIR)$(MANDIR)/man1/exodb.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/exodb $(DESTDIR)$(MANDIR)/man1/exodb.1

clean:
	rm -rf build exodb exodb.new

.PHONY: all deps run check check-fresh check-plain check-san bench install uninstall clean
.PRECIOUS: build/%.o build/san/%.o
