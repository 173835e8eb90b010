#include "netstring.h"
#include <errno.h>

int ns_puthdr(sb *out, uint64_t n) { return sb_catu64(out, n) && sb_catc(out, ':'); }

int ns_put(sb *out, const void *p, size_t n)
{
  return ns_puthdr(out, n) && sb_catb(out, p, n) && sb_catc(out, ',');
}

int ns_parse(const char *buf, size_t len, size_t *pos, uint64_t max, const char **p, size_t *n)
{
  size_t i = *pos, digits = 0;
  uint64_t v = 0;
  for (;;) {
    if (i >= len) return NS_NEED;
    unsigned char c = (unsigned char)buf[i++];
    if (c == ':') break;
    if (c < '0' || c > '9' || ++digits > NS_MAXDIGITS) return NS_BAD;
    if (!mul_u64(v, 10, &v) || !add_u64(v, c - '0', &v)) return NS_BAD;
  }
  if (!digits || v > max) return NS_BAD;
  if (v > len - i) return NS_NEED;
  if ((uint64_t)(len - i) == v) return NS_NEED;     /* the comma is missing yet */
  if (buf[i + v] != ',') return NS_BAD;
  *p = buf + i;
  *n = (size_t)v;
  *pos = i + (size_t)v + 1;
  return RD_OK;
}

int ns_plainstart(const char *p, size_t n)
{
  for (size_t i = 0; i < n && i <= NS_MAXDIGITS; ++i) {
    if (p[i] == ':') return i > 0;
    if (p[i] < '0' || p[i] > '9') return 0;
  }
  return n <= NS_MAXDIGITS;
}

static int charge(uint64_t *budget, uint64_t n)
{
  if (!budget) return 1;
  if (n > *budget) return 0;
  *budget -= n;
  return 1;
}

int ns_getlen(struct rd *r, uint64_t max, uint64_t *len, uint64_t *budget)
{
  size_t digits = 0;
  uint64_t v = 0;
  for (;;) {
    unsigned char c;
    int k = rd_getc(r, &c);
    if (k == RD_EOF && digits) return RD_PARTIAL;
    if (k != RD_OK) return k;
    if (!charge(budget, 1)) return NS_BAD;
    if (c == ':') break;
    if (c < '0' || c > '9' || ++digits > NS_MAXDIGITS) return NS_BAD;
    if (!mul_u64(v, 10, &v) || !add_u64(v, c - '0', &v)) return NS_BAD;
  }
  if (!digits || v > max) return NS_BAD;
  *len = v;
  return RD_OK;
}

int ns_getcomma(struct rd *r, uint64_t *budget)
{
  unsigned char c;
  int k = rd_getc(r, &c);
  if (k == RD_EOF) return RD_PARTIAL;
  if (k != RD_OK) return k;
  if (!charge(budget, 1) || c != ',') return NS_BAD;
  return RD_OK;
}

int ns_getbytes(struct rd *r, uint64_t n, sb *out, uint64_t *budget)
{
  if (!charge(budget, n)) return NS_BAD;
  while (n) {
    int k = rd_fill(r);
    if (k == RD_EOF) return RD_PARTIAL;
    if (k != RD_OK) return k;
    size_t take = rd_buffered(r);
    if (take > n) take = (size_t)n;
    if (out && !sb_catb(out, r->buf + r->pos, take)) return RD_ERR;
    r->pos += take;
    n -= take;
  }
  return RD_OK;
}

int ns_get(struct rd *r, sb *out, size_t max, uint64_t *budget)
{
  uint64_t n;
  int k = ns_getlen(r, max, &n, budget);
  if (k != RD_OK) return k;
  out->len = 0;
  if (!sb_ready(out, (size_t)n)) return RD_ERR;
  k = ns_getbytes(r, n, out, budget);
  if (k == RD_EOF) k = RD_PARTIAL;
  if (k != RD_OK) return k;
  return ns_getcomma(r, budget);
}
