/* addrlist: the address lists of qmail-smtpd's control files (badmailfrom,
 * badmailfrom-unknown, badrcptto, relaymailfrom, goodmailaddr), matched
 * case-insensitively. Entries are "user@dom" (exact), "@dom" (any user at
 * exactly that domain) and "user@" (that local part at any domain). Which
 * forms count is the caller's choice, as each file allows different ones.
 * Pure but for addrlist_ctl; reusable by qmail-verify. */
#ifndef ADDRLIST_H
#define ADDRLIST_H
#include <stddef.h>
#include "sb.h"

enum {
  AL_FULL = 1,       /* the whole address */
  AL_DOMAIN = 2,     /* "@dom" */
  AL_USER = 4,       /* "user@" */
  AL_CATCHALL = 8    /* "catchall@dom" stands for "@dom" (goodmailaddr) */
};

struct al_entry { size_t off, len; };

struct addrlist {
  sb data;                 /* lower-cased entries */
  struct al_entry *v;      /* sorted */
  size_t n;
};

#define ADDRLIST_INIT {SB_INIT, 0, 0}

/* From '\0'-terminated entries (ctl_list's form). 1 ok, 0 nomem. */
int addrlist_init(struct addrlist *l, const char *entries, size_t len);
/* 1 if addr[0..len) matches an entry in one of the forms, else 0. The
 * domain is what follows the last '@'. */
int addrlist_match(const struct addrlist *l, const char *addr, size_t len, unsigned forms);
void addrlist_free(struct addrlist *l);
/* The one I/O helper: control/<name> (absent = empty). 0 ok, -1 error. */
int addrlist_ctl(const char *name, struct addrlist *l);

#endif
