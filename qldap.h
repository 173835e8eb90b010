/* qldap: the ONLY module that talks to libldap.
 * Connects to the ldapserver list in order (failover), with ldaptimeout as
 * connect, network and search limit, optional StartTLS, simple bind with
 * ldaplogin/ldappassword (or anonymous), and returns plain structs.
 * Every result is one of four outcomes that all callers map the same way. */
#ifndef QLDAP_H
#define QLDAP_H
#include <stddef.h>
#include <stdint.h>
#include "sb.h"

enum qldap_rc { QLDAP_OK = 0, QLDAP_NOTFOUND, QLDAP_TEMP, QLDAP_PERM };

enum qldap_why {
  QLW_NONE = 0,
  QLW_CONFIG,     /* temp: no ldapserver, unreadable control file */
  QLW_CONNECT,    /* temp: no server reachable (refused, or no connect/bind within ldaptimeout) */
  QLW_BIND,       /* temp: bind refused (bad ldaplogin/ldappassword) */
  QLW_TIMEOUT,    /* temp: a search took longer than ldaptimeout */
  QLW_LDAP,       /* temp: other LDAP error */
  QLW_NOMEM,      /* temp */
  QLW_TOOMANY,    /* perm: more than one entry */
  QLW_NEEDED,     /* perm: a required attribute is missing */
  QLW_ILLVAL,     /* perm: an attribute value is not allowed */
  QLW_FILTER,     /* perm: bad filter (qmail-ldaplookup -f) */
  QLW_BADPASS     /* perm: user bind failed (qldap_user_bind) */
};

struct qldap_config {
  sb servers;          /* each URI followed by \0 */
  sb basedn, objectclass, login, password;
  sb tlscacert;        /* CA file for TLS (empty: libldap's ldap.conf) */
  uint64_t timeout;    /* seconds */
  int starttls;
};

struct qldap_attr {
  char *name;
  size_t nvals;
  char **vals;         /* NUL-terminated copies */
  size_t *lens;
};

struct qldap_entry {
  sb dn;
  size_t nattr;
  struct qldap_attr *attr;
};

struct qldap {
  void *ld;                 /* LDAP *, NULL when not connected */
  struct qldap_config cfg;
  int why;                  /* enum qldap_why of the last failure */
  char err[256];            /* human text of the last failure */
  uint64_t nsearch, nconnect;
};

/* Read the ldap* control files (ctl.c). 0 ok, -1 error (why/err set). */
int qldap_config_read(struct qldap_config *c);
void qldap_config_free(struct qldap_config *c);
/* Turn "host", "host:port" or a URI into a URI. */
int qldap_server_uri(const char *line, sb *out);

void qldap_init(struct qldap *q);             /* takes nothing; fill q->cfg */
int qldap_open(struct qldap *q);              /* connect+bind unless connected */
void qldap_close(struct qldap *q);
/* Search for exactly one entry. attrs NULL-terminated (NULL = all). */
int qldap_search1(struct qldap *q, const char *filter, const char *const *attrs,
                  struct qldap_entry *e);
/* Search for all entries. *count is the number found, set before the
 * first call of cb; cb is called for each entry, and the walk stops when
 * it returns non-0. */
int qldap_searchn(struct qldap *q, const char *filter, const char *const *attrs,
                  int (*cb)(const struct qldap_entry *, void *), void *arg, uint64_t *count);
/* Bind as dn with password on a separate connection (ldaprebind). */
int qldap_user_bind(struct qldap *q, const char *dn, const char *password);

void qldap_entry_init(struct qldap_entry *e);
void qldap_entry_free(struct qldap_entry *e);
const struct qldap_attr *qldap_attr(const struct qldap_entry *e, const char *name);
/* Single value: 0 absent, 1 present (*v set), -1 multi-valued or bad. */
int qldap_get1(const struct qldap_entry *e, const char *name, const char **v);
/* Unsigned number: 0 absent, 1 present, -1 illegal. */
int qldap_getu64(const struct qldap_entry *e, const char *name, uint64_t *v);

/* outcome text for logs and diagnostics */
const char *qldap_why_text(int why);
int qldap_why_temporary(int why);

#endif
