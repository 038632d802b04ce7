# volguard: plain GNU make, pkg-config for the libraries.
PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DATADIR  ?= $(PREFIX)/share
DOCDIR   ?= $(DATADIR)/doc/volguard
# systemd reads /usr/local/lib/systemd/system too; Debian 12's packages use /lib/systemd/system.
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
BUILD    ?= build
VERSION  := 0.1.0

PKGS     := libacl libcap libattr inih jansson mount yaml-0.1
CC       ?= cc
WARN     := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wformat=2 \
            -Wno-unused-parameter
HARDEN   := -D_FORTIFY_SOURCE=2 -fstack-protector-strong
CFLAGS   ?= -O2 -g
override CFLAGS += -std=gnu11 -D_GNU_SOURCE $(WARN) $(HARDEN) -Iinclude -MMD -MP \
            -DVG_VERSION='"$(VERSION)"' $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null)

SRCS     := $(filter-out src/main.c,$(wildcard src/*.c))
OBJS     := $(SRCS:src/%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%)

.PHONY: all deps check demo install lint clean unit asan fuzz coverage bench
all: $(BUILD)/volguard $(BUILD)/volguard-runc $(UNIT_BIN)

$(BUILD)/%.o: src/%.c | $(BUILD)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/libvolguard.a: $(OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/volguard: $(BUILD)/main.o $(BUILD)/libvolguard.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/volguard-runc: $(BUILD)/volguard
	ln -sf volguard $@

$(BUILD)/unit/%: tests/unit/%.c $(BUILD)/libvolguard.a | $(BUILD)
	@mkdir -p $(BUILD)/unit
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs cmocka)

$(BUILD):
	mkdir -p $(BUILD)

deps:
	@scripts/deps.sh

# The whole suite: unit tests (cmocka, TAP) and integration tests (shell, TAP), by prove.
check: deps
	@scripts/check.sh

demo: deps all
	@scripts/demo.sh

unit: all
	@prove -e '' $(UNIT_BIN)

# Sanitizer build of everything, in its own build directory.
asan:
	$(MAKE) BUILD=build-asan CC=clang \
	  CFLAGS='-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all' \
	  LDFLAGS='-fsanitize=address,undefined' all

# libFuzzer targets (tests/fuzz/fuzz_*.c), FUZZ_TIME seconds each; make check runs 20 s each.
FUZZ_TIME ?= 300
fuzz:
	@scripts/fuzz.sh --time $(FUZZ_TIME)

# gcov build in build-cov/, the whole suite against it, line and branch coverage of src/.
coverage:
	@scripts/coverage.sh

# The same set of files as the Debian package (debian/rules calls this target): the paths in
# the hooks.d file and the units are rewritten to BINDIR and SYSCONFDIR.
INSTALL_SUBST = sed -e 's|/usr/local/bin/|$(BINDIR)/|g' -e 's|/etc/volguard/|$(SYSCONFDIR)/volguard/|g'
install: $(BUILD)/volguard $(BUILD)/volguard-runc
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(SYSCONFDIR)/volguard $(DESTDIR)$(DATADIR)/volguard/hooks.d \
	  $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(SYSTEMDUNITDIR) \
	  $(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 $(BUILD)/volguard $(DESTDIR)$(BINDIR)/volguard
	ln -sf volguard $(DESTDIR)$(BINDIR)/volguard-runc
	install -m 0644 man/volguard.8 $(DESTDIR)$(MANDIR)/man8/volguard.8
	ln -sf volguard.8 $(DESTDIR)$(MANDIR)/man8/volguard-runc.8
	install -m 0644 man/volguard.conf.5 $(DESTDIR)$(MANDIR)/man5/volguard.conf.5
	test -e $(DESTDIR)$(SYSCONFDIR)/volguard/volguard.conf || \
	  install -m 0644 conf/volguard.conf $(DESTDIR)$(SYSCONFDIR)/volguard/volguard.conf
	find conf -type f | sort | while read -r f; do r=$${f#conf/}; \
	  install -d "$(DESTDIR)$(DOCDIR)/examples/$$(dirname "$$r")" && \
	  $(INSTALL_SUBST) "$$f" >"$(DESTDIR)$(DOCDIR)/examples/$$r" || exit 1; done
	for f in conf/podman-hooks.d/*.json; do \
	  $(INSTALL_SUBST) "$$f" >$(DESTDIR)$(DATADIR)/volguard/hooks.d/$${f##*/} || exit 1; done
	for f in systemd/volguard-audit.service systemd/volguard-audit.timer; do \
	  $(INSTALL_SUBST) "$$f" >$(DESTDIR)$(SYSTEMDUNITDIR)/$${f##*/} || exit 1; done
	install -m 0644 completion/volguard $(DESTDIR)$(BASHCOMPDIR)/volguard
	chmod -R u=rwX,go=rX $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DATADIR)/volguard/hooks.d
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/volguard-audit.service \
	  $(DESTDIR)$(SYSTEMDUNITDIR)/volguard-audit.timer

lint:
	@scripts/lint.sh

bench: all
	@for b in bench/*.sh; do echo "== $$b"; $$b || exit 1; done

clean:
	rm -rf build build-*

-include $(OBJS:.o=.d) $(BUILD)/main.d
