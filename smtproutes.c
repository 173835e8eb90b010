#include "smtproutes.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int parse_port(const char *p, size_t n, unsigned *port)
{
  uint64_t v;
  if (!n || !scan_u64(p, n, &v) || v == 0 || v > 65535) return 0;
  *port = (unsigned)v;
  return 1;
}

/* "relay[:port]" or "[literal][:port]" */
static void parse_relay(struct route_entry *e, const char *base, const char *p, size_t n)
{
  size_t hostend, i;
  if (n && p[0] == '[') {
    const char *rb = memchr(p, ']', n);
    if (!rb) { e->bad = 1; return; }
    hostend = (size_t)(rb - p) + 1;
  } else {
    const char *c = memchr(p, ':', n);
    hostend = c ? (size_t)(c - p) : n;
  }
  e->host = (size_t)(p - base);
  e->hostlen = hostend;
  i = hostend;
  if (i < n) {
    if (p[i] != ':' || !parse_port(p + i + 1, n - i - 1, &e->port)) e->bad = 1;
  }
  if (!hostend && e->port) e->bad = 1;
}

int routes_keylen(const char *line, size_t n, size_t *klen)
{
  if (n && line[0] == '[') {
    const char *rb = memchr(line, ']', n);
    if (!rb) return 0;
    *klen = (size_t)(rb - line) + 1;
    return *klen < n && line[*klen] == ':';
  }
  const char *c = memchr(line, ':', n);
  if (!c) return 0;
  *klen = (size_t)(c - line);
  return 1;
}

int routes_nextkey(const char *domain, size_t len, size_t *pos, size_t *off)
{
  while (*pos <= len) {
    size_t i = (*pos)++;
    if (i == 0 || i == len || domain[i] == '.') { *off = i; return 1; }
  }
  return 0;
}

static int parse_entry(struct route_entry *e, const char *base, const char *line, size_t n)
{
  size_t k;
  memset(e, 0, sizeof *e);
  if (!routes_keylen(line, n, &k)) return 0;
  e->key = (size_t)(line - base);
  e->keylen = k;
  const char *rel = line + k + 1;
  size_t rn = n - k - 1, j = 0;
  while (j < rn && rel[j] != ' ' && rel[j] != '\t') ++j;
  parse_relay(e, base, rel, j);
  if (j < rn) {
    const char *u = rel + j;
    size_t un = rn - j, a = 0;
    while (a < un && (u[a] == ' ' || u[a] == '\t')) ++a;
    size_t b = a;
    while (b < un && u[b] != ' ' && u[b] != '\t') ++b;
    size_t c = b;
    while (c < un && (u[c] == ' ' || u[c] == '\t')) ++c;
    if (b > a && c < un) {
      e->user = (size_t)(u + a - base); e->userlen = b - a;
      e->pass = (size_t)(u + c - base); e->passlen = un - c;
    } else if (b > a) {
      e->bad = 1;                    /* a user without a password */
    }
  }
  return 1;
}

int routes_parse(struct routes *rt, const char *list, size_t len)
{
  size_t count = 0, i;
  rt->n = 0;
  free(rt->v);
  rt->v = 0;
  if (!sb_copyb(&rt->data, list, len)) return 0;
  for (i = 0; i < len; ++i) if (!list[i]) ++count;
  if (!count) return 1;
  rt->v = calloc(count, sizeof *rt->v);
  if (!rt->v) return 0;
  for (i = 0; i < len;) {
    const char *line = rt->data.s + i;
    size_t n = strnlen(line, len - i);
    if (parse_entry(&rt->v[rt->n], rt->data.s, line, n)) {
      char *key = rt->data.s + rt->v[rt->n].key;
      for (size_t j = 0; j < rt->v[rt->n].keylen; ++j)
        if (key[j] >= 'A' && key[j] <= 'Z') key[j] = (char)(key[j] + 32);
      rt->n++;
    }
    i += n + 1;
  }
  return 1;
}

static const struct route_entry *find(const struct routes *rt, const char *k, size_t n)
{
  for (size_t i = 0; i < rt->n; ++i)
    if (rt->v[i].keylen == n && !strncasecmp(rt->data.s + rt->v[i].key, k, n)) return &rt->v[i];
  return 0;
}

int routes_lookup(const struct routes *rt, const char *domain, size_t len, unsigned defport, struct route *out)
{
  const struct route_entry *e = 0;
  size_t pos = 0, off;
  while (!e && routes_nextkey(domain, len, &pos, &off)) e = find(rt, domain + off, len - off);
  if (!e) return 0;
  if (e->bad) return -1;
  if (!e->hostlen) return 0;
  out->host = rt->data.s + e->host; out->hostlen = e->hostlen;
  out->user = rt->data.s + e->user; out->userlen = e->userlen;
  out->pass = rt->data.s + e->pass; out->passlen = e->passlen;
  out->port = e->port ? e->port : defport;
  return 1;
}

void routes_free(struct routes *rt)
{
  sb_free(&rt->data);
  free(rt->v);
  rt->v = 0;
  rt->n = 0;
}
