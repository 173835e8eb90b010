#include "rewrite.h"
#include <string.h>

static int ieq(const char *a, const char *b, size_t n)
{
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
    if (x >= 'A' && x <= 'Z') x = (unsigned char)(x + 32);
    if (y >= 'A' && y <= 'Z') y = (unsigned char)(y + 32);
    if (x != y) return 0;
  }
  return 1;
}

int rewrite_inlist(const sb *list, const char *s, size_t n)
{
  if (!list || !list->s) return 0;
  for (size_t i = 0; i < list->len;) {
    const char *e = list->s + i;
    size_t el = strnlen(e, list->len - i);
    if (el == n && ieq(e, s, n)) return 1;
    i += el + 1;
  }
  return 0;
}

const char *rewrite_map(const sb *map, const char *key, size_t n)
{
  if (!map || !map->s) return 0;
  for (size_t i = 0; i < map->len;) {
    const char *e = map->s + i;
    size_t el = strnlen(e, map->len - i);
    const char *colon = memchr(e, ':', el);
    if (colon && (size_t)(colon - e) == n && ieq(e, key, n)) return colon + 1;
    i += el + 1;
  }
  return 0;
}

static size_t lastat(const char *s, size_t n, char c)
{
  size_t i = n;
  while (i > 0) if (s[--i] == c) return i;
  return n;
}

int rewrite_rcpt(const struct rewrite *rw, const char *rcpt, sb *out)
{
  size_t at, i;
  int r;
  if (!sb_copys(out, rcpt)) return REWRITE_NOMEM;
  i = lastat(out->s, out->len, '@');
  if (i == out->len) {
    if (!sb_catc(out, '@') || !sb_cats(out, rw->envnoathost ? rw->envnoathost : "")) return REWRITE_NOMEM;
  }
  /* u%d@relay -> u@d while the relay is listed */
  while (rewrite_inlist(rw->percenthack, out->s + i + 1, out->len - i - 1)) {
    size_t j = lastat(out->s, i, '%');
    if (j == i) break;
    sb_trunc(out, i);
    out->s[j] = '@';
    i = j;
  }
  at = lastat(out->s, out->len, '@');
  if (rw->islocal) {
    r = rw->islocal(rw->ctx, out->s + at + 1, out->len - at - 1);
    if (r < 0) return REWRITE_TEMP;
  } else
    r = rewrite_inlist(rw->locals, out->s + at + 1, out->len - at - 1);
  if (r) return REWRITE_LOCAL;
  /* virtualdomains: whole address, domain, .suffixes, then the "" catch-all */
  for (i = 0; i <= out->len; ++i) {
    const char *prefix;
    if (!(i == 0 || i == at + 1 || i == out->len || (i > at && out->s[i] == '.'))) continue;
    prefix = rewrite_map(rw->vdoms, out->s + i, out->len - i);
    if (!prefix) continue;
    if (!*prefix) break;
    {
      sb tmp = SB_INIT;
      if (!sb_cats(&tmp, prefix) || !sb_catc(&tmp, '-') || !sb_catsb(&tmp, out)) { sb_free(&tmp); return REWRITE_NOMEM; }
      sb_free(out);
      *out = tmp;
    }
    return REWRITE_LOCAL;
  }
  return REWRITE_REMOTE;
}

const char *rewrite_strip_vdom(const sb *vdoms, const char *rcpt)
{
  size_t len = strlen(rcpt), at = lastat(rcpt, len, '@');
  const char *dom;
  size_t dlen;
  if (at == len) return rcpt;
  dom = rcpt + at + 1;
  dlen = len - at - 1;
  for (size_t i = 0; i <= dlen; ++i) {
    const char *prefix;
    size_t pl;
    if (!(i == 0 || i == dlen || dom[i] == '.')) continue;
    prefix = rewrite_map(vdoms, dom + i, dlen - i);
    if (!prefix) continue;
    if (!*prefix) break;
    pl = strlen(prefix);
    if (pl >= len || strncmp(rcpt, prefix, pl) || rcpt[pl] != '-') break;
    return rcpt + pl + 1;
  }
  return rcpt;
}

int rewrite_verp(const char *sender, const char *rcpt, sb *out)
{
  size_t i = strlen(sender), rl = strlen(rcpt);
  out->len = 0;
  if (i >= 4 && !strcmp(sender + i - 4, "-@[]")) {
    size_t j = lastat(sender, i - 4, '@');
    size_t k = lastat(rcpt, rl, '@');
    if (k < rl && j + 5 <= i) {
      /* owner-@host-@[] -> owner-box=dom@host */
      return sb_catb(out, sender, j) && sb_catb(out, rcpt, k) && sb_catc(out, '=') &&
             sb_cats(out, rcpt + k + 1) && sb_catc(out, '@') &&
             sb_catb(out, sender + j + 1, i - 5 - j);
    }
  }
  return sb_cats(out, sender);
}

int rewrite_bounce_to(const char *sender, sb *out)
{
  size_t n = strlen(sender);
  if (n >= 4 && !strcmp(sender + n - 4, "-@[]")) n -= 4;
  return sb_copyb(out, sender, n);
}

int rewrite_split(const struct rewrite *rw, const char *rcpts, size_t len, sb out[2])
{
  sb addr = SB_INIT;
  out[0].len = out[1].len = 0;
  for (size_t i = 0; i < len;) {
    size_t n = strnlen(rcpts + i, len - i);
    sb one = SB_INIT;
    int r;
    if (!sb_copyb(&one, rcpts + i, n)) { sb_free(&addr); return REWRITE_NOMEM; }
    r = rewrite_rcpt(rw, one.s, &addr);
    sb_free(&one);
    if (r != REWRITE_LOCAL && r != REWRITE_REMOTE) { sb_free(&addr); return r; }
    sb *o = &out[r == REWRITE_LOCAL ? 0 : 1];
    if (!sb_catc(o, 'T') || !sb_catsb(o, &addr) || !sb_cat0(o)) { sb_free(&addr); return REWRITE_NOMEM; }
    i += n + 1;
  }
  sb_free(&addr);
  return REWRITE_LOCAL;
}
