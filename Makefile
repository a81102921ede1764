# Connector — the management plane of the connector appliance.
#
#   make run      install what is missing, build, start a local console under ./run/
#   make demo     the same, registered against the vCenter and AWS doubles
#   make check    install test dependencies, build, run every test
#   make bench    figures against a baseline measured in the same run
#   make install DESTDIR= PREFIX=
#
VERSION := $(shell cat VERSION)
PREFIX ?= /usr/local
DESTDIR ?=
PORT ?= 8443
WORKERS ?= 2

CC ?= cc
CFLAGS ?= -O2 -g
WARN = -Wall -Wextra -Wformat=2 -Wshadow -Wpointer-arith -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter
# Page tables list only what differs from the defaults (the trailing members
# of struct app_page are 0 unless a page says otherwise).
WARN += -Wno-missing-field-initializers
ifeq ($(CI),true)
WARN += -Werror
endif
PKGS = sqlite3 libcrypto libssl libcurl jansson libargon2 fcgi libxml-2.0
# Recursively expanded: pkg-config runs when a recipe needs it, after deps.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS))
CS_CFLAGS = -I/usr/include/ClearSilver
CS_LIBS = -lneo_cgi -lneo_cs -lneo_utl -lz
CPPFLAGS += -D_GNU_SOURCE -DCONNECTOR_VERSION=\"$(VERSION)\" \
	-DCONNECTOR_SHARE_DIR=\"$(PREFIX)/share/connector\"
ALL_CFLAGS = $(CPPFLAGS) $(WARN) $(CFLAGS) $(PKG_CFLAGS) $(CS_CFLAGS) -fstack-protector-strong \
	-D_FORTIFY_SOURCE=2 -fPIE
ALL_LDFLAGS = $(LDFLAGS) -pie -Wl,-z,relro,-z,now
LIBS = build/libconnector.a $(CS_LIBS) $(PKG_LIBS)

LIB_SRC = $(wildcard lib/*.c)
LIB_OBJ = $(LIB_SRC:lib/%.c=build/lib/%.o) build/gen/migrations.o
CGI_PROGS = $(patsubst cgi-bin/%.c,build/cgi-bin/%,$(wildcard cgi-bin/*.c))
SBIN_PROGS = build/sbin/connector-setup
# The privileged helper (root side of lib/privreq.c's requests).
SBIN_PROGS += build/sbin/connector-helper
CRON_PROGS = $(patsubst cron/%.c,build/cron/%,$(wildcard cron/*.c))
UNIT_TESTS = $(patsubst tests/unit/%.c,build/tests/%,$(wildcard tests/unit/test-*.c))
TEST_TOOLS = $(patsubst tests/tools/%.c,build/tests/%,$(filter-out tests/tools/crashpoint.c,$(wildcard tests/tools/*.c)))
FUZZERS = $(patsubst tests/fuzz/%.c,build/fuzz/%,$(wildcard tests/fuzz/fuzz-*.c))
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
SHARE = build/share/templates build/share/static build/share/nginx \
	build/share/common-passwords.txt

# Debian packages: to build and run, and in addition to test and measure.
DEPS = build-essential pkg-config nginx libfcgi-dev clearsilver-dev zlib1g-dev \
	libsqlite3-dev libssl-dev libcurl4-openssl-dev libjansson-dev libargon2-dev \
	libxml2-dev openssl sqlite3
TEST_DEPS = curl python3 faketime valgrind chromium nodejs wrk procps clang libclang-rt-14-dev \
	golang-go golang-github-vmware-govmomi-dev python3-pyvmomi awscli \
	python3-prometheus-client

.PHONY: FORCE all deps run-deps run demo check bench install clean unit fuzz
all: build/libconnector.a $(CGI_PROGS) $(SBIN_PROGS) $(CRON_PROGS) $(SHARE)

# deps: everything, to build, run, test and measure; run-deps: only what
# `make run` needs, so a first console does not wait for the test tools.
deps: run-deps
	@scripts/install-deps $(TEST_DEPS)
	@scripts/install-node-deps
	@tests/peers/aws/run --install-only

run-deps:
	@scripts/install-deps $(DEPS)

build/gen/migrations.c: $(wildcard sql/*.sql) scripts/embed-sql
	@mkdir -p $(@D)
	scripts/embed-sql sql/*.sql > $@.tmp && mv $@.tmp $@

build/gen/migrations.o: build/gen/migrations.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/lib/%.o: lib/%.c $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The share directory is compiled into paths.o: rebuild it when PREFIX changes.
build/lib/paths.o: build/prefix
build/prefix: FORCE
	@mkdir -p build
	@echo '$(PREFIX)' | cmp -s - $@ || echo '$(PREFIX)' > $@
FORCE:

build/libconnector.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

build/cgi-bin/%: cgi-bin/%.c build/libconnector.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBS)

build/sbin/%: sbin/%.c build/libconnector.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBS)

# The cron jobs: each a job table handed to lib/job.c's runner.
build/cron/%: cron/%.c build/libconnector.a $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBS)

build/tests/%: tests/unit/%.c tests/unit/unit.h build/libconnector.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBS)

# The share directory as it is installed, made of links into the tree.
build/share/templates build/share/static build/share/nginx build/share/common-passwords.txt:
	@mkdir -p build/share
	ln -sfn $(CURDIR)/templates build/share/templates
	ln -sfn $(CURDIR)/nginx/static build/share/static
	ln -sfn $(CURDIR)/nginx build/share/nginx
	ln -sfn $(CURDIR)/share/common-passwords.txt build/share/common-passwords.txt

build/tests/%: tests/tools/%.c tests/tools/probe.h build/libconnector.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBS)

# The crash-point library the crash tests preload: a shared object, not a program.
build/tests/crashpoint.so: tests/tools/crashpoint.c
	@mkdir -p $(@D)
	$(CC) -shared -fPIC $(WARN) $(CFLAGS) -o $@ $< -ldl

unit: $(UNIT_TESTS) $(TEST_TOOLS) build/tests/crashpoint.so

# libFuzzer targets: the library's sources built with the sanitizers.
build/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(LIB_SRC) $(wildcard lib/*.h) build/gen/migrations.c
	@mkdir -p $(@D)
	clang $(CPPFLAGS) $(PKG_CFLAGS) $(CS_CFLAGS) $(FUZZ_CFLAGS) -o $@ $< \
		$(LIB_SRC) build/gen/migrations.c $(CS_LIBS) $(PKG_LIBS)

fuzz: deps
	@$(MAKE) --no-print-directory $(FUZZERS)
	@for f in $(FUZZERS); do tests/fuzz/run-long $$f || exit 1; done

run: run-deps
	@$(MAKE) --no-print-directory all
	@scripts/connector-run --root $(CURDIR)/run --port $(PORT) --workers $(WORKERS)

# The doubles of vCenter and AWS and a console registered against them.
demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/connector-demo --port $(PORT)

check: deps
	@$(MAKE) --no-print-directory all unit $(FUZZERS)
	@tests/run

# The benchmark also drives the AWS double with test tools: build them too.
bench: deps
	@$(MAKE) --no-print-directory all build/tests/aws-probe build/tests/vsphere-probe build/tests/poller-probe
	@bench/run

install: all
	install -d $(DESTDIR)$(PREFIX)/lib/connector/cgi-bin $(DESTDIR)$(PREFIX)/sbin \
		$(DESTDIR)$(PREFIX)/lib/connector/cron $(DESTDIR)/etc/cron.d \
		$(DESTDIR)$(PREFIX)/share/connector/templates \
		$(DESTDIR)$(PREFIX)/share/connector/static \
		$(DESTDIR)$(PREFIX)/share/connector/nginx \
		$(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)/lib/systemd/system $(DESTDIR)/etc/logrotate.d
	install -m 0755 $(CGI_PROGS) $(DESTDIR)$(PREFIX)/lib/connector/cgi-bin/
	install -m 0755 $(SBIN_PROGS) $(DESTDIR)$(PREFIX)/sbin/
	install -m 0644 templates/*.cs $(DESTDIR)$(PREFIX)/share/connector/templates/
	install -m 0644 nginx/static/*.css nginx/static/*.svg $(DESTDIR)$(PREFIX)/share/connector/static/
	install -m 0644 nginx/*.conf.in $(DESTDIR)$(PREFIX)/share/connector/nginx/
	install -m 0644 share/common-passwords.txt $(DESTDIR)$(PREFIX)/share/connector/
	install -m 0644 man/connector-setup.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	for f in dist/systemd/*; do \
		u=$(DESTDIR)/lib/systemd/system/$$(basename $$f); \
		sed 's|@PREFIX@|$(PREFIX)|g' $$f > $$u && chmod 0644 $$u || exit 1; \
	done
	install -m 0644 dist/logrotate/connector $(DESTDIR)/etc/logrotate.d/connector
	install -m 0755 $(CRON_PROGS) $(DESTDIR)$(PREFIX)/lib/connector/cron/
	sed 's|@PREFIX@|$(PREFIX)|g' dist/cron.d/connector > $(DESTDIR)/etc/cron.d/connector
	chmod 0644 $(DESTDIR)/etc/cron.d/connector

clean:
	rm -rf build
