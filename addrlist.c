#include "addrlist.h"
#include "ctl.h"
#include <stdlib.h>
#include <string.h>

static unsigned char lc(unsigned char c) { return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c; }

static const char *sortbase;   /* qsort has no context argument */

static int bytecmp(const char *a, size_t an, const char *b, size_t bn)
{
  size_t n = an < bn ? an : bn;
  int c = memcmp(a, b, n);
  if (c) return c;
  return an < bn ? -1 : an > bn;
}

static int entcmp(const void *x, const void *y)
{
  const struct al_entry *a = x, *b = y;
  return bytecmp(sortbase + a->off, a->len, sortbase + b->off, b->len);
}

int addrlist_init(struct addrlist *l, const char *entries, size_t len)
{
  size_t i = 0, n = 0, k = 0;
  l->data.len = 0;
  l->n = 0;
  free(l->v);
  l->v = 0;
  if (!sb_copyb(&l->data, entries, len)) return 0;
  sb_lower(&l->data);
  for (i = 0; i < len; ++i) if (!entries[i]) ++n;
  if (len && entries[len - 1]) ++n;          /* tolerate a missing final \0 */
  if (!n) return 1;
  if (n > SIZE_MAX / sizeof *l->v) return 0;
  l->v = malloc(n * sizeof *l->v);
  if (!l->v) return 0;
  for (i = 0; i < len;) {
    const char *z = memchr(l->data.s + i, 0, len - i);
    size_t e = z ? (size_t)(z - l->data.s) : len;
    if (e > i) { l->v[k].off = i; l->v[k].len = e - i; ++k; }
    i = e + 1;
  }
  l->n = k;
  sortbase = l->data.s;
  qsort(l->v, l->n, sizeof *l->v, entcmp);
  return 1;
}

/* Exact lookup of the concatenation a + b (case-folded) by binary search. */
static int has(const struct addrlist *l, const char *a, size_t an, const char *b, size_t bn)
{
  size_t lo = 0, hi = l->n, klen = an + bn;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2, i;
    const char *e = l->data.s + l->v[mid].off;
    size_t elen = l->v[mid].len, n = klen < elen ? klen : elen;
    int c = 0;
    for (i = 0; i < n && !c; ++i) {
      unsigned char kc = lc((unsigned char)(i < an ? a[i] : b[i - an]));
      c = (int)kc - (int)(unsigned char)e[i];
    }
    if (!c) c = klen < elen ? -1 : klen > elen;
    if (!c) return 1;
    if (c < 0) hi = mid; else lo = mid + 1;
  }
  return 0;
}

int addrlist_match(const struct addrlist *l, const char *addr, size_t len, unsigned forms)
{
  size_t at = len;
  if (!l->n) return 0;
  while (at > 0) if (addr[--at] == '@') goto found;
  return (forms & AL_FULL) && has(l, addr, len, "", 0);
found:
  if ((forms & AL_FULL) && has(l, addr, len, "", 0)) return 1;
  if ((forms & AL_DOMAIN) && has(l, addr + at, len - at, "", 0)) return 1;
  if ((forms & AL_USER) && has(l, addr, at + 1, "", 0)) return 1;
  if ((forms & AL_CATCHALL) && has(l, "catchall", 8, addr + at, len - at)) return 1;
  return 0;
}

void addrlist_free(struct addrlist *l)
{
  sb_free(&l->data);
  free(l->v);
  l->v = 0;
  l->n = 0;
}

int addrlist_ctl(const char *name, struct addrlist *l)
{
  sb v = SB_INIT;
  int r = ctl_list(name, &v);
  if (r >= 0 && !addrlist_init(l, v.s ? v.s : "", v.len)) r = -1;
  sb_free(&v);
  return r < 0 ? -1 : 0;
}
