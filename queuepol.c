#include "queuepol.h"
#include "date822.h"
#include <string.h>
#include <strings.h>

int qp_received(sb *out, uint64_t pid, uint64_t uid, int kind, time_t t)
{
  if (!sb_cats(out, "Received: (qmail ") || !sb_catu64(out, pid) || !sb_cats(out, " invoked ")) return 0;
  switch (kind) {
  case QP_ALIAS: if (!sb_cats(out, "by alias")) return 0; break;
  case QP_NETWORK: if (!sb_cats(out, "from network")) return 0; break;
  case QP_BOUNCE: if (!sb_cats(out, "for bounce")) return 0; break;
  default: if (!sb_cats(out, "by uid ") || !sb_catu64(out, uid)) return 0;
  }
  return sb_cats(out, "); ") && date822(out, t) && sb_catc(out, '\n');
}

static int has(const sb *obs, const char *o, size_t n)
{
  for (size_t i = 0; i < obs->len; i += strlen(obs->s + i) + 1)
    if (strlen(obs->s + i) == n && !memcmp(obs->s + i, o, n)) return 1;
  return 0;
}

int qp_bigbrother(const char *list, size_t len, const char *addr, size_t alen, sb *obs)
{
  const char *at = memchr(addr, '@', alen), *a2;
  /* the domain starts at the last '@' */
  while (at && (a2 = memchr(at + 1, '@', alen - (size_t)(at + 1 - addr)))) at = a2;
  for (size_t i = 0; i < len;) {
    const char *e = list + i;
    size_t n = strnlen(e, len - i);
    const char *colon = memchr(e, ':', n);
    i += n + 1;
    if (!colon) continue;
    size_t wn = (size_t)(colon - e);
    const char *o = colon + 1;
    size_t on = n - wn - 1;
    int hit = (wn == alen && !strncasecmp(e, addr, wn)) ||
              (wn > 1 && e[0] == '@' && at && wn == alen - (size_t)(at - addr) && !strncasecmp(e, at, wn));
    if (!hit || !on || has(obs, o, on)) continue;
    if (!sb_catb(obs, o, on) || !sb_cat0(obs)) return 0;
  }
  return 1;
}
