# qmail-ldap build. Settings come from conf-* as in qmail.
# make            build everything
# make setup check  install into conf-qmail and verify the result
# make test       unit tests, then integration tests (tests/run)
# make deps       install the Debian packages the build and tests need

SHELL = /bin/sh
CC_CMD := $(shell head -n 1 conf-cc)
LD_CMD := $(shell head -n 1 conf-ld)
# Extra flags for sanitizer or coverage builds: make SANITIZE=1
ifeq ($(SANITIZE),1)
XFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
SANOBJ = sanopts.o
endif
COMPILE = $(CC_CMD) $(XFLAGS) $(CFLAGS_EXTRA)
LINK = $(LD_CMD) $(XFLAGS)
LIBS = -Wl,--as-needed -lldap -llber -lcdb -lcrypt -largon2 -lssl -lcrypto -lz -lresolv

# Programs built from <name>.c (each also has <name>.8 or .1 man page).
PROGS = qmail-queue qmail-inject sendmail qmail-send qmail-todo qmail-clean \
	qmail-start qmail-lspawn qmail-rspawn qmail-local qmail-getpw \
	qmail-newu qmail-pw2u qmail-showctl qmail-qread maildirmake forward \
	condredirect condwrite bouncesaying except preline qmail-cdb install instcheck \
	qmail-ldaplookup qmail-reply qmail-quotawarn qmail-smtpd qmail-remote \
	qmail-tcpto qmail-tcpok qmail-qmqpd qmail-qmqpc qmail-qmtpd auth_pop auth_imap digest \
	qmail-verify auth_smtp qmail-starttls qmail-popup qmail-pop3d \
	qmail-imaplogin
# Shell scripts built from <name>.sh with conf-qmail substituted.
SCRIPTS = qmail-qstat config-fast qmail-mkslapd
# boot/ run scripts and control/Makefile with conf-qmail substituted; hier.c
# installs the .inst copies (and doc/qmail.ldif), so building install builds them.
BOOT = $(addsuffix .inst,$(wildcard boot/*/run boot/*/log/run) boot/control.Makefile)

PROGSRC = $(addsuffix .c,$(PROGS))
LIBSRC = $(filter-out $(PROGSRC),$(wildcard *.c))
LIBOBJ = $(LIBSRC:.c=.o)
HDRS = $(wildcard *.h) auto.h
UNITSRC = $(wildcard tests/unit/test_*.c)
UNITBIN = $(UNITSRC:.c=)

all: $(PROGS) $(SCRIPTS) qmail.ldif $(BOOT)

qmail.ldif: qmail.schema schema2ldif.sh
	sh schema2ldif.sh qmail.schema > qmail.ldif.tmp && mv qmail.ldif.tmp qmail.ldif

auto.h: conf-qmail conf-split conf-spawn conf-break conf-patrn conf-users conf-groups mkauto.sh
	sh mkauto.sh > auto.h.tmp && mv auto.h.tmp auto.h

%.o: %.c $(HDRS) conf-cc
	$(COMPILE) -c $< -o $@

libq.a: $(LIBOBJ)
	rm -f $@
	ar cr $@ $(LIBOBJ)

$(PROGS): %: %.o libq.a conf-ld
	$(LINK) -o $@ $< $(SANOBJ) libq.a $(LIBS)
# qmail-smtpd starts once per connection and qmail-local once per
# delivery: static-pie skips the dynamic loader
qmail-smtpd qmail-local: LINK += $(if $(XFLAGS),,-static-pie)

$(SCRIPTS): %: %.sh conf-qmail
	sed "s}QMAIL_HOME}`head -n 1 conf-qmail`}g" $< > $@.tmp && chmod 755 $@.tmp && mv $@.tmp $@

$(BOOT): %.inst: % conf-qmail
	sed "s}QMAIL_HOME}`head -n 1 conf-qmail`}g" $< > $@.tmp && chmod 755 $@.tmp && mv $@.tmp $@
install: $(BOOT) qmail.ldif

tests/unit/%: tests/unit/%.c libq.a $(HDRS)
	$(COMPILE) -iquote . -Wno-unused-parameter $< -o $@ libq.a -lcmocka $(LIBS)

unit: $(UNITBIN)
	@sh tests/unit-run $(UNITBIN)

setup: all
	./install

check: all
	./instcheck

test: all $(UNITBIN)
	sh tests/run

deps:
	sh tests/deps

# libFuzzer harnesses (tests/fuzz/fuzz_<name>.c, one per parser): built by
# clang with ASan+UBSan into tests/fuzz/out/, linked with the library
# sources compiled the same way (libq.a's objects are gcc's, without the
# coverage hooks). make fuzz runs each for FUZZTIME seconds over its
# working corpus (tests/fuzz/out/corpus/<name>, seeded from
# tests/fuzz/corpus/<name>); make fuzz-smoke (tests/run) runs each over
# its seeds plus FUZZSMOKE seconds.
FUZZCC = clang
FUZZTIME = 60
FUZZSMOKE = 2
FUZZFLAGS = -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all
FUZZSRC = $(wildcard tests/fuzz/fuzz_*.c)
FUZZBIN = $(patsubst tests/fuzz/%.c,tests/fuzz/out/%,$(FUZZSRC))
FUZZOBJ = $(patsubst %.c,tests/fuzz/out/obj/%.o,$(filter-out sanopts.c,$(LIBSRC)))

tests/fuzz/out/obj/%.o: %.c $(HDRS)
	@mkdir -p tests/fuzz/out/obj
	$(FUZZCC) $(FUZZFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

tests/fuzz/out/libfuzzq.a: $(FUZZOBJ)
	rm -f $@
	ar cr $@ $(FUZZOBJ)

tests/fuzz/out/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h tests/fuzz/out/libfuzzq.a $(HDRS)
	$(FUZZCC) $(FUZZFLAGS) -fsanitize=fuzzer -iquote . $< -o $@ tests/fuzz/out/libfuzzq.a $(LIBS)

fuzz-build: $(FUZZBIN)

fuzz: fuzz-build
	sh tests/fuzz/run run $(FUZZTIME) $(FUZZBIN)

fuzz-smoke: fuzz-build
	sh tests/fuzz/run smoke $(FUZZSMOKE) $(FUZZBIN)

fuzz-clean:
	rm -rf tests/fuzz/out

.PHONY: fuzz fuzz-build fuzz-smoke fuzz-clean

clean:
	rm -f *.o *.a auto.h $(PROGS) $(SCRIPTS) $(UNITBIN) $(BOOT) *.tmp

.PHONY: all unit setup check test deps clean
.SECONDARY: $(LIBOBJ)
