/* qlfilter: LDAP filters and the catch-all candidate chain (pure). */
#ifndef QLFILTER_H
#define QLFILTER_H
#include <stddef.h>
#include "sb.h"

/* Append value escaped per RFC 4515: '*', '(', ')', '\\', NUL and every
 * byte outside printable ASCII become \hh. */
int qlf_escape(sb *out, const char *s, size_t n);
/* (&<oc>inner) when oc is set, else inner. oc is an objectClass name
 * (escaped as a value) or, when it starts with '(', a filter component
 * the administrator wrote (used verbatim). */
int qlf_wrap(sb *out, const char *oc, const char *inner);
/* (|(mail=A)(mailAlternateAddress=A)) wrapped with oc. out is reset. */
int qlf_mail(sb *out, const char *addr, size_t n, const char *oc);
/* (uid=U) wrapped with oc. out is reset. */
int qlf_uid(sb *out, const char *uid, size_t n, const char *oc);

/* Catch-all candidate chain for local@domain, in lookup order.
 * Each candidate is appended to out as "address\0ext\0"; returns the
 * number of candidates, -1 on nomem. The exact address comes first with
 * ext ""; then prefix-catchall@domain for up to DASH_EXT_LEVELS dash
 * levels (ext = the rest after the prefix); last catchall@domain with
 * ext = the whole local part. */
int qlf_candidates(const char *local, size_t llen, const char *domain, size_t dlen,
                   const char *brk, sb *out);

/* The whole candidate chain in one filter: the OR of every candidate's
 * (|(mail=C)(mailAlternateAddress=C)), wrapped with oc. cands is the
 * list qlf_candidates made (len bytes). out is reset. */
int qlf_mail_chain(sb *out, const char *cands, size_t len, const char *oc);

/* Equality as the directory's caseIgnoreIA5Match sees it (mail and
 * mailAlternateAddress): ASCII case ignored, leading and trailing spaces
 * ignored, a run of inner spaces counts as one. */
int qlf_addr_eq(const char *a, size_t an, const char *b, size_t bn);
/* Position in cands (0 = the exact address) of the first candidate that
 * equals one of the n values; -1 when none does. */
int qlf_best_candidate(const char *cands, size_t len, const char *const *vals, const size_t *lens, size_t n);

/* Choosing the entry of a chain search client-side: the entry matching
 * the earliest candidate wins, and must be the only one matching it
 * (as a search per candidate would have demanded). */
struct qlf_pick {
  int best;            /* candidate position of the kept entry, -1 none */
  unsigned count;      /* entries matching that candidate */
  int unmatched;       /* an entry matched no candidate here */
};
enum { QLF_PICK_NONE, QLF_PICK_ONE, QLF_PICK_TOOMANY, QLF_PICK_UNSURE };
void qlf_pick_init(struct qlf_pick *p);
/* Feed one entry's candidate position (-1: it matched none here).
 * Returns 1 when it is the new best entry (the caller keeps it). */
int qlf_pick_add(struct qlf_pick *p, int pos);
/* QLF_PICK_ONE (the kept entry), _NONE, _TOOMANY, or _UNSURE: the server
 * returned an entry this comparison cannot place, so the caller must ask
 * candidate by candidate. */
int qlf_pick_result(const struct qlf_pick *p);

#endif
