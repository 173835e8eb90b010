# control/Makefile: rebuild every cdb after editing its source:
#   make -C QMAIL_HOME/control
# locals.cdb and rcpthosts.cdb replace locals and rcpthosts once they
# exist; create one with "make locals.cdb" to switch to it.
QMAIL = QMAIL_HOME
RULES = $(patsubst %.rules,%.cdb,$(wildcard *.rules))
CDBS = $(wildcard locals.cdb rcpthosts.cdb)

all: $(RULES) $(CDBS)

%.cdb: %.rules
	tcprules $@ $*.tmp < $<

locals.cdb: locals
	$(QMAIL)/bin/qmail-cdb locals.cdb locals.tmp < locals

rcpthosts.cdb: rcpthosts
	$(QMAIL)/bin/qmail-cdb rcpthosts.cdb rcpthosts.tmp < rcpthosts

.PHONY: all
