/* smtproutes: artificial routes for qmail-remote, from control/smtproutes
 * and control/qmtproutes (ctl_list form). An entry is
 *   domain:relay[:port][ user password]
 * For the recipient domain a.b.c the keys "a.b.c", ".b.c", ".c" and ""
 * are tried in that order (case-insensitive; the first entry in the file
 * with a matching key wins): "dom" is that domain only, ".dom" every
 * subdomain of dom, and the empty domain is the default route. An empty
 * relay ("dom:") means "no route, look up MX records" and so can exempt
 * a domain from a broader route. The relay is a host name, an IPv4
 * address or a bracketed literal "[1.2.3.4]" / "[::1]" (IPv6 needs the
 * brackets); the domain may be a literal too ("[10.0.0.1]:relay").
 * "user password" after a blank asks for SMTP AUTH at the relay (the
 * password is the rest of the line). Entries without ':' are ignored. */
#ifndef SMTPROUTES_H
#define SMTPROUTES_H
#include <stddef.h>
#include "sb.h"

struct route_entry {
  size_t key, keylen;        /* lower-cased domain, offsets into data */
  size_t host, hostlen;      /* relay as written ("" = use MX) */
  size_t user, userlen, pass, passlen;
  unsigned port;             /* 0: the default port */
  int bad;                   /* unparsable relay or port */
};

struct routes {
  sb data;
  struct route_entry *v;
  size_t n;
};

#define ROUTES_INIT {SB_INIT, 0, 0}

struct route {
  const char *host; size_t hostlen;     /* into the routes' data */
  const char *user; size_t userlen;     /* userlen 0: no AUTH */
  const char *pass; size_t passlen;
  unsigned port;
};

/* 1 ok, 0 nomem. */
int routes_parse(struct routes *rt, const char *list, size_t len);
/* Route for domain[0..len): 1 relay (out filled, port = defport when the
 * entry has none), 0 no route (use MX), -1 the matching entry is bad. */
int routes_lookup(const struct routes *rt, const char *domain, size_t len, unsigned defport, struct route *out);
void routes_free(struct routes *rt);

/* The key matching shared with the other per-domain tables (tlspolicy):
 * routes_keylen: length of the key of an entry line[0..n) ("dom" or a
 * "[literal]" up to its ':'); 1 and *klen with line[*klen] == ':', 0 if
 * the line has no key.
 * routes_nextkey: the lookup keys of domain[0..len), most specific first
 * (the domain, each suffix starting with '.', then ""); start with
 * *pos = 0; 1 and the key is domain + *off (len - *off bytes), 0 after
 * the last. */
int routes_keylen(const char *line, size_t n, size_t *klen);
int routes_nextkey(const char *domain, size_t len, size_t *pos, size_t *off);

#endif
