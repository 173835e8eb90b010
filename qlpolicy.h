/* qlpolicy: turn a directory entry plus this host's settings into
 * delivery instructions (facts §4.3-4.5). Pure: no I/O, no libldap. */
#ifndef QLPOLICY_H
#define QLPOLICY_H
#include <stdint.h>
#include "qldap.h"
#include "sb.h"

enum qlp_status {
  QLP_DELIVER = 0,      /* deliver locally as described */
  QLP_CLUSTER,          /* entry lives on another cluster host (d->mailhost) */
  QLP_PERM,             /* permanent failure, d->why/d->text */
  QLP_TEMP              /* temporary failure */
};

struct qlp_config {
  const char *me;                  /* control/me */
  const char *clusterhosts;        /* \0-separated, may be NULL */
  size_t clusterhosts_len;
  int cluster;                     /* ldapcluster */
  uint64_t ldapuid, ldapgid;       /* 0 = no default */
  const char *messagestore;        /* ldapmessagestore or NULL/"" */
  const char *defaultdotmode;      /* ldapdefaultdotmode */
  uint64_t defquotasize, defquotacount;
  const char *aliasempty;          /* qmail-lspawn's default delivery */
  const char *aliasuser;           /* alias user for forward-only entries */
  uint64_t aliasuid, aliasgid;
  const char *aliashome;
};

struct qlp_delivery {
  int status;
  int why;                         /* enum qldap_why for QLP_PERM/QLP_TEMP */
  const char *text;                /* human text with (#x.y.z) */
  sb user, home, aliasempty, dotmode;
  uint64_t uid, gid;
  sb mode;        /* normalized deliveryMode flags, comma-separated */
  sb forwards;    /* mailForwardingAddress values, '\n'-separated */
  sb programs;    /* deliveryProgramPath values, '\n'-separated (only when allowed) */
  sb replytext;   /* mailReplyText (only with mode reply) */
  sb quota;       /* MAILDIRQUOTA: "<n>S,<n>C", "<n>S", "<n>C" or "" */
  uint64_t sizemax;
  sb mailhost;
  sb group;       /* DN when the entry is a qmailGroup */
  int forwardonly;
};

void qlp_init(struct qlp_delivery *d);
void qlp_free(struct qlp_delivery *d);
int qlp_decide(const struct qldap_entry *e, const struct qlp_config *c, struct qlp_delivery *d);

/* helpers, exported for tests and auth_* */
int qlp_path_ok(const char *p);          /* facts §4.3 path check */
int qlp_uidname_ok(const char *p);       /* [A-Za-z0-9#._@-], '-' not first */
int qlp_program_ok(const char *p);       /* RESTRICT_PROG character set */
int qlp_quota_string(uint64_t size, uint64_t count, sb *out);
/* accountStatus value -> 0 active, 1 noaccess, 2 disabled, 3 deleted */
int qlp_status_of(const char *v);
int qlp_has_mode(const struct qlp_delivery *d, const char *flag);

#endif
