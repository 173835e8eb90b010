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

#endif
