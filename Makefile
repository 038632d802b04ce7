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

# The one place for the package list and the compiler flags: scripts/fuzz.sh and
# scripts/lint-tidy.sh read them with `make -s print-VAR` (e.g. print-PKG_CFLAGS).
PKGS     := libacl libcap libattr inih jansson mount yaml-0.1
CC       ?= cc
STD      := -std=gnu11 -D_GNU_SOURCE
WARN     := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wformat=2 \
            -Wno-unused-parameter
HARDEN   := -D_FORTIFY_SOURCE=2 -fstack-protector-strong
# pkg-config's flags, asked once and only when a rule needs them (make deps and make clean run
# without the libraries); a missing package stops the build with pkg-config's own message.
pkgconfig = $(shell pkg-config $(1))$(if $(filter 0,$(.SHELLSTATUS)),,$(error \
            pkg-config $(1) failed: install the packages (scripts/deps.sh)))
PKG_CFLAGS = $(eval PKG_CFLAGS := $$(call pkgconfig,--cflags $$(PKGS)))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $$(call pkgconfig,--libs $$(PKGS)))$(PKG_LIBS)
CMOCKA_LIBS = $(eval CMOCKA_LIBS := $$(call pkgconfig,--libs cmocka))$(CMOCKA_LIBS)
CFLAGS   ?= -O2 -g
override CFLAGS += $(STD) $(WARN) $(HARDEN) -Iinclude -MMD -MP \
            -DVG_VERSION='"$(VERSION)"' $(PKG_CFLAGS)
LDLIBS   += $(PKG_LIBS)

SRCS     := $(filter-out src/main.c,$(wildcard src/*.c))
OBJS     := $(SRCS:src/%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%)

.PHONY: all deps check demo install lint clean unit asan fuzz coverage bench print-%
all: $(BUILD)/volguard $(BUILD)/volguard-runc $(UNIT_BIN)

$(BUILD)/%.o: src/%.c | $(BUILD)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/libvolguard.a: $(OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/volguard: $(BUILD)/main.o $(BUILD)/libvolguard.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/volguard-runc: $(BUILD)/volguard
	ln -sf volguard $@

# The unit tests' dependency files go to $(BUILD)/unit-deps/, not beside the binaries (the
# headers they list are prerequisites too: compile and link only the .c and the library).
$(BUILD)/unit/%: tests/unit/%.c $(BUILD)/libvolguard.a | $(BUILD)
	@mkdir -p $(BUILD)/unit $(BUILD)/unit-deps
	$(CC) $(CFLAGS) -MF $(BUILD)/unit-deps/$*.d -MT $@ -Itests/unit $(LDFLAGS) -o $@ \
	  $(filter %.c %.a,$^) $(LDLIBS) $(CMOCKA_LIBS)

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
	@CMOCKA_MESSAGE_OUTPUT=TAP prove -e '' $(UNIT_BIN)

# Sanitizer build of everything, in its own build directory.
asan:
	$(MAKE) BUILD=build-asan CC=clang \
	  CFLAGS='-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all' \
	  LDFLAGS='-fsanitize=address,undefined' all

# libFuzzer targets (tests/fuzz/fuzz_*.c), FUZZ_TIME seconds each; make check runs 12 s each.
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

# make -s print-VAR: the value of VAR, for the scripts that compile outside this Makefile.
print-%:
	@printf '%s\n' '$(subst ','\'',$($*))'

-include $(OBJS:.o=.d) $(BUILD)/main.d $(UNIT_BIN:$(BUILD)/unit/%=$(BUILD)/unit-deps/%.d)
