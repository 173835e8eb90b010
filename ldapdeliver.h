/* ldapdeliver: the directory step of qmail-lspawn. One call per
 * recipient; the directory connection stays open in st between calls
 * and is reopened (with failover) when it breaks. */
#ifndef LDAPDELIVER_H
#define LDAPDELIVER_H
#include <stdint.h>
#include "qldap.h"
#include "qllookup.h"
#include "sb.h"

enum { LD_DELIVER = 0, LD_NOTFOUND, LD_TEMP, LD_PERM, LD_CLUSTER, LD_OFF };

struct ld_state {
  struct qlsetup s;
  struct qldap q;
  int configured;      /* control/ldapserver present */
};

struct ld_target {
  sb user, home, dash, ext, aliasempty, mailhost;
  uint64_t uid, gid;
  sb env;              /* NAME=value\0 ... for qmail-local */
  const char *text;    /* failure text for LD_TEMP/LD_PERM */
  sb textbuf;          /* room for a text with the server's own words */
};

/* (Re)read the configuration; keeps an open connection only if the
 * settings did not change. 0 ok, -1 error reading control files. */
int ld_config(struct ld_state *st, const char *aliasempty);
/* Look the recipient up. msgsize is the queued message's size for
 * mailSizeMax. LD_OFF when no directory is configured. */
int ld_lookup(struct ld_state *st, const char *rcpt, uint64_t msgsize, struct ld_target *t);
void ld_target_init(struct ld_target *t);
void ld_target_free(struct ld_target *t);
/* ldaplocaldelivery: fall back to users/cdb and passwd when not found */
int ld_localdelivery(const struct ld_state *st);

#endif
