/* qllookup: the directory lookups every program shares, built on qldap:
 * reading the whole LDAP configuration once, and walking the catch-all
 * chain for an address (facts §4.1) the same way for delivery,
 * qmail-verify and qmail-ldaplookup. */
#ifndef QLLOOKUP_H
#define QLLOOKUP_H
#include "qldap.h"
#include "qlpolicy.h"

struct qlsetup {
  struct qldap_config lcfg;
  struct qlp_config pcfg;
  sb me, clusterhosts, messagestore, dotmode, aliasempty, aliashome, aliasdomains;
  int localdelivery;   /* ldaplocaldelivery */
  int rebind;          /* ldaprebind */
};

/* Read every ldap*-related control file; aliasempty is the default
 * delivery (qmail-lspawn's argument). 0 ok, -1 error (errno). */
int qlsetup_read(struct qlsetup *s, const char *aliasempty);
void qlsetup_free(struct qlsetup *s);

/* attributes fetched for delivery */
extern const char *const ql_delivery_attrs[];

/* Walk the candidate chain for local@domain. On QLDAP_OK, e is the entry,
 * ext the extension (empty for an exact hit) and matched the candidate
 * that hit. trace (may be NULL) is called with each filter tried.
 * A temporary failure stops the walk (lower candidates are not tried). */
int ql_lookup_mail(struct qldap *q, const struct qlsetup *s, const char *addr,
                   struct qldap_entry *e, sb *ext, sb *matched,
                   void (*trace)(const char *filter, void *arg), void *arg);
/* The same answer as ql_lookup_mail from ONE directory search: every
 * candidate in one filter (qlf_mail_chain), then the entry matching the
 * earliest candidate is picked here; two entries for that candidate are
 * QLW_TOOMANY, as they are for ql_lookup_mail. Where the server's answer
 * cannot be placed client-side (an entry matching no candidate here, an
 * unusable entry among the hits) it asks candidate by candidate. For
 * qmail-verify: an unknown address costs one round trip, not six. */
int ql_lookup_mail1(struct qldap *q, const struct qlsetup *s, const char *addr,
                    struct qldap_entry *e, sb *ext, sb *matched);
/* Look up a login name (uid). */
int ql_lookup_uid(struct qldap *q, const struct qlsetup *s, const char *uid,
                  const char *const *attrs, struct qldap_entry *e);

#endif
