/* qlverify: what qmail-verify answers for an address (INTERNALS 9).
 * Pure: the lookup is done by the caller, and the mailbox usage is
 * handed in; the directory entry goes through qlp_decide, so the quota
 * and mailSizeMax are exactly the ones delivery would apply. */
#ifndef QLVERIFY_H
#define QLVERIFY_H
#include <stdint.h>
#include "qldap.h"
#include "qlpolicy.h"
#include "quota.h"
#include "sb.h"

/* the lookup's outcome */
enum qlv_found {
  QLV_ENTRY,      /* a directory entry (see qlv_mailbox) */
  QLV_LOCAL,      /* no entry, but users/cdb, passwd or ~alias takes it */
  QLV_NOTFOUND,   /* nobody takes it */
  QLV_TEMP,       /* temporary trouble; why = enum qldap_why (QLW_NONE: local tables) */
  QLV_PERM        /* the directory answered unusably; why = QLW_TOOMANY, ... */
};

/* what delivery would do with an entry, as far as verifying goes */
enum qlv_box {
  QLV_BOX_OK,         /* delivered here: quota and mailSizeMax apply */
  QLV_BOX_DISABLED,   /* accountStatus disabled */
  QLV_BOX_DELETED,    /* accountStatus deleted */
  QLV_BOX_UNCHECKED,  /* accepted unchecked: another cluster host, or an entry
                         delivery itself refuses for its configuration */
  QLV_BOX_TEMP        /* out of memory */
};

struct qlv_mailbox {
  int status;          /* enum qlv_box */
  struct quota quota;  /* delivery's quota (0 = unlimited) */
  sb quotadef;         /* the same as MAILDIRQUOTA */
  uint64_t sizemax;    /* mailSizeMax, 0 = none */
  sb maildir;          /* absolute path of the Maildir the quota is checked
                          in (its first Maildir line), "" = none to check */
  uint64_t uid, gid;   /* the user delivery runs as */
};

void qlv_mailbox_init(struct qlv_mailbox *m);
void qlv_mailbox_free(struct qlv_mailbox *m);
/* Run qlp_decide on e and keep what qlv_decide needs. Returns m->status. */
int qlv_mailbox(const struct qldap_entry *e, const struct qlp_config *c, struct qlv_mailbox *m);

struct qlv_reply {
  char kind;           /* 'K', 'D' or 'Z' */
  unsigned code;       /* SMTP code: 0 for K, 5xx for D, 4xx for Z */
  const char *text;    /* static, ends with (#x.y.z); "" for K */
  int quota;           /* refused for the quota: worth a recount first */
};

/* 1 if addr has a host part (an '@'), else 0 */
int qlv_has_host(const char *addr);
/* The answer. kind 'R' (recipient) or 'S' (sender); found and why from
 * the lookup; m the entry's mailbox (QLV_ENTRY only); hassize/size the
 * SIZE= of the MAIL command; u the mailbox usage, NULL when unknown.
 * Senders are never refused for quota or size. */
void qlv_decide(int kind, const char *addr, int found, int why, const struct qlv_mailbox *m, int hassize,
                uint64_t size, const struct usage *u, struct qlv_reply *r);
/* The wire form: "K\0", "D<code> <text>\0", "Z<code> <text>\0". 1 ok, 0 nomem. */
int qlv_format(const struct qlv_reply *r, sb *out);

#endif
