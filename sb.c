#include "sb.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int add_size(size_t a, size_t b, size_t *out)
{
  if (a > SIZE_MAX - b) { errno = EOVERFLOW; return 0; }
  *out = a + b;
  return 1;
}

int add_u64(uint64_t a, uint64_t b, uint64_t *out)
{
  if (a > UINT64_MAX - b) { errno = EOVERFLOW; return 0; }
  *out = a + b;
  return 1;
}

int mul_u64(uint64_t a, uint64_t b, uint64_t *out)
{
  if (a && b > UINT64_MAX / a) { errno = EOVERFLOW; return 0; }
  *out = a * b;
  return 1;
}

int sb_ready(sb *b, size_t n)
{
  size_t want, cap;
  char *p;
  if (!add_size(n, 1, &want)) return 0;
  if (b->s && b->cap >= want) return 1;
  cap = b->cap ? b->cap : 64;
  while (cap < want) {
    if (cap > SIZE_MAX / 2) { cap = want; break; }
    cap *= 2;
  }
  p = realloc(b->s, cap);
  if (!p) { errno = ENOMEM; return 0; }
  if (!b->s) p[0] = 0;
  b->s = p;
  b->cap = cap;
  return 1;
}

int sb_catb(sb *b, const void *p, size_t n)
{
  size_t want;
  if (!add_size(b->len, n, &want)) return 0;
  if (!sb_ready(b, want)) return 0;
  if (n) memmove(b->s + b->len, p, n);
  b->len = want;
  b->s[b->len] = 0;
  return 1;
}

int sb_cats(sb *b, const char *s) { return sb_catb(b, s, strlen(s)); }
int sb_catc(sb *b, char c) { return sb_catb(b, &c, 1); }
int sb_cat0(sb *b) { return sb_catb(b, "", 1); }
int sb_catsb(sb *b, const sb *src) { return sb_catb(b, src->s, src->len); }

int sb_catu64(sb *b, uint64_t u)
{
  char tmp[24];
  size_t i = sizeof tmp;
  do { tmp[--i] = (char)('0' + u % 10); u /= 10; } while (u);
  return sb_catb(b, tmp + i, sizeof tmp - i);
}

int sb_cati64(sb *b, int64_t i)
{
  if (i < 0) {
    if (!sb_catc(b, '-')) return 0;
    return sb_catu64(b, (uint64_t)0 - (uint64_t)i);
  }
  return sb_catu64(b, (uint64_t)i);
}

int sb_copyb(sb *b, const void *p, size_t n) { b->len = 0; if (b->s) b->s[0] = 0; return sb_catb(b, p, n); }
int sb_copys(sb *b, const char *s) { return sb_copyb(b, s, strlen(s)); }
int sb_copysb(sb *b, const sb *src) { return sb_copyb(b, src->s, src->len); }

int sb_fmt(sb *b, const char *fmt, ...)
{
  va_list ap;
  int n;
  size_t want;
  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return 0;
  if (!add_size(b->len, (size_t)n, &want) || !sb_ready(b, want)) return 0;
  va_start(ap, fmt);
  vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len = want;
  return 1;
}

void sb_trunc(sb *b, size_t n)
{
  if (n < b->len) { b->len = n; b->s[n] = 0; }
}

void sb_lower(sb *b)
{
  for (size_t i = 0; i < b->len; ++i)
    if (b->s[i] >= 'A' && b->s[i] <= 'Z') b->s[i] = (char)(b->s[i] + 32);
}

void sb_free(sb *b)
{
  free(b->s);
  b->s = 0; b->len = 0; b->cap = 0;
}

int scan_u64(const char *p, size_t n, uint64_t *out)
{
  uint64_t v = 0;
  if (!n) return 0;
  for (size_t i = 0; i < n; ++i) {
    unsigned d;
    if (p[i] < '0' || p[i] > '9') return 0;
    d = (unsigned)(p[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return 0;
    v = v * 10 + d;
  }
  *out = v;
  return 1;
}

int scan_u64s(const char *s, uint64_t *out) { return scan_u64(s, strlen(s), out); }

int scan_i64(const char *p, size_t n, int64_t *out)
{
  uint64_t u;
  if (n && p[0] == '-') {
    if (!scan_u64(p + 1, n - 1, &u) || u > (uint64_t)INT64_MAX + 1) return 0;
    *out = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
    return 1;
  }
  if (!scan_u64(p, n, &u) || u > (uint64_t)INT64_MAX) return 0;
  *out = (int64_t)u;
  return 1;
}
