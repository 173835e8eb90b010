/* rcpthosts: which recipient domains an SMTP/QMTP server accepts without
 * RELAYCLIENT. A domain is accepted if it is in locals (locals.cdb
 * replaces locals; skipped with nolocal), or rcpthosts / morercpthosts.cdb
 * (rcpthosts.cdb replaces both). rcpthosts entries ".dom" match every
 * subdomain of dom. A missing rcpthosts accepts only locals: never an
 * open relay. Used by qmail-smtpd and qmail-qmtpd. */
#ifndef RCPTHOSTS_H
#define RCPTHOSTS_H
#include <cdb.h>
#include <stddef.h>
#include "addrlist.h"

struct rh_cdb { int fd; struct cdb c; };   /* fd -1: no such file */

struct rcpthosts {
  int nolocal;
  struct addrlist locals, rh;   /* domains, exact entries */
  struct rh_cdb localscdb, rhcdb, mrhcdb;
  sb key;
};

/* Read the control files (ctl_dir()). 0 ok, -1 error (errno). */
int rcpthosts_init(struct rcpthosts *h, int nolocal);
/* Is the address's domain acceptable? An address without '@' is (qmail
 * qualifies it with envnoathost). 1 yes, 0 no, -1 error reading a cdb. */
int rcpthosts_allowed(struct rcpthosts *h, const char *addr, size_t len);
/* Is the address's domain in locals (locals.cdb)? Ignores nolocal. 1/0/-1. */
int rcpthosts_local(struct rcpthosts *h, const char *addr, size_t len);
void rcpthosts_free(struct rcpthosts *h);

/* The pure walk: look up dom, and with suffix also ".b.c" and ".c" for
 * "a.b.c"; lookup returns 1 found, 0 not, -1 error. Returns the same. */
int rh_walk(const char *dom, size_t len, int suffix,
            int (*lookup)(void *ctx, const char *key, size_t n), void *ctx);

#endif
