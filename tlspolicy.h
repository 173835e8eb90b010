/* tlspolicy: qmail-remote's outgoing TLS policy per recipient domain, from
 * control/tlsdestinations (ctl_list form: entries separated by '\0').
 * An entry is  domain:policy  with the keys of smtproutes (smtproutes.h):
 * "dom" that domain only, ".dom" its subdomains, "" every domain, a
 * "[literal]" as given; the most specific key wins, among entries with
 * the same key the first. Policies (case-insensitive):
 *   none     never STARTTLS (and smtproutes credentials may then go in
 *            cleartext)
 *   may      STARTTLS when offered (the default without an entry)
 *   encrypt  STARTTLS required
 *   verify   STARTTLS required, and the certificate must verify against
 *            control/remotecacert and name the host connected to */
#ifndef TLSPOLICY_H
#define TLSPOLICY_H
#include <stddef.h>

enum { TLSP_BAD = -1, TLSP_NONE = 0, TLSP_MAY = 1, TLSP_ENCRYPT = 2, TLSP_VERIFY = 3 };

/* A policy word p[0..n) (blanks around it ignored), or TLSP_BAD. */
int tlspolicy_word(const char *p, size_t n);
/* "none", "may", "encrypt", "verify" ("bad" for anything else). */
const char *tlspolicy_name(int policy);
/* The policy of domain[0..dlen) in list[0..len): TLSP_MAY without a
 * matching entry, TLSP_BAD when the matching entry's value is not a
 * policy (the caller defers: a typo must not weaken "verify"). */
int tlspolicy_lookup(const char *list, size_t len, const char *domain, size_t dlen);

#endif
