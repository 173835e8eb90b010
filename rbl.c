#include "rbl.h"
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>

static int blank(char c) { return c == ' ' || c == '\t'; }

int rbl_parse(struct rbl *r, const char *list, size_t len)
{
  size_t n = 0, k = 0;
  r->n = 0;
  free(r->v);
  r->v = 0;
  if (!sb_copyb(&r->data, list, len)) return -1;
  for (size_t i = 0; i < len; ++i) if (!list[i]) ++n;
  if (len && list[len - 1]) { if (!sb_cat0(&r->data)) return -1; ++n; }
  if (!n) return 1;
  if (n > SIZE_MAX / sizeof *r->v) return -1;
  r->v = calloc(n, sizeof *r->v);
  if (!r->v) return -1;
  char *s = r->data.s;
  size_t end = r->data.len;
  for (size_t i = 0; i < end && k < n;) {
    size_t e = i + strlen(s + i), f[4];
    int nf = 0;
    size_t p = i;
    while (nf < 4) {
      while (p < e && blank(s[p])) ++p;
      if (p >= e) break;
      f[nf++] = p;
      if (nf == 4) break;          /* the message is the rest of the line */
      while (p < e && !blank(s[p])) ++p;
      if (p < e) s[p++] = 0;
    }
    if (nf == 0) { i = e + 1; continue; }
    if (nf < 4) { errno = EINVAL; return 0; }
    r->v[k].base = f[0]; r->v[k].action = f[1]; r->v[k].matchon = f[2]; r->v[k].message = f[3];
    ++k;
    i = e + 1;
  }
  r->n = k;
  return 1;
}

void rbl_free(struct rbl *r)
{
  sb_free(&r->data);
  free(r->v);
  r->v = 0;
  r->n = 0;
}

int rbl_reverse(const char *ip, sb *out)
{
  unsigned char a[16];
  static const char hex[] = "0123456789abcdef";
  static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  out->len = 0;
  if (!sb_ready(out, 0)) return 0;
  out->s[0] = 0;
  if (inet_pton(AF_INET, ip, a) == 1) goto v4;
  if (inet_pton(AF_INET6, ip, a) != 1) return 0;
  if (!memcmp(a, mapped, 12)) { memmove(a, a + 12, 4); goto v4; }
  for (int i = 15; i >= 0; --i) {
    char q[4] = {hex[a[i] & 15], '.', hex[a[i] >> 4], '.'};
    if (!sb_catb(out, q, 4)) return 0;
  }
  return 1;
v4:
  return sb_fmt(out, "%u.%u.%u.%u.", a[3], a[2], a[1], a[0]);
}

int rbl_lookup(const char *ip, const char *base, const char *matchon, rbl_resolver res, void *ctx)
{
  sb name = SB_INIT, addrs = SB_INIT;
  int r;
  if (!*base) return RBL_SOFT;
  if (!rbl_reverse(ip, &name)) { sb_free(&name); return RBL_NONE; }
  if (!sb_cats(&name, base)) { sb_free(&name); return -1; }
  r = res(ctx, name.s, &addrs);
  if (r == RBL_LISTED && strcmp(matchon, "any")) {
    r = RBL_NONE;
    for (size_t i = 0; i < addrs.len; i += strlen(addrs.s + i) + 1)
      if (!strcmp(addrs.s + i, matchon)) { r = RBL_LISTED; break; }
  }
  sb_free(&name);
  sb_free(&addrs);
  return r;
}

int rbl_check(const struct rbl *r, const char *ip, int onlyheader, rbl_resolver res, void *ctx,
              sb *hdr, const char **message)
{
  size_t start = hdr->len;
  for (size_t i = 0; i < r->n; ++i) {
    const char *base = r->data.s + r->v[i].base, *action = r->data.s + r->v[i].action;
    const char *matchon = r->data.s + r->v[i].matchon, *msg = r->data.s + r->v[i].message;
    int k = rbl_lookup(ip, base, matchon, res, ctx);
    if (k < 0) return -1;
    if (k != RBL_LISTED) continue;
    if (!onlyheader && strcmp(action, "addheader")) {
      sb_trunc(hdr, start);
      *message = msg;
      return RBL_LISTED;
    }
    if (!sb_cats(hdr, "X-RBL: (") || !sb_cats(hdr, base) || !sb_cats(hdr, ") ")) return -1;
    if (strcmp(matchon, "any") && !sb_fmt(hdr, "matches with %s and ", matchon)) return -1;
    if (!sb_cats(hdr, "tells us ") || !sb_cats(hdr, msg) || !sb_catc(hdr, '\n')) return -1;
  }
  return RBL_NONE;
}

int rbl_tags(const char *tags, size_t len, const char *ip, rbl_resolver res, void *ctx, sb *hdr)
{
  for (size_t i = 0; i < len;) {
    const char *z = memchr(tags + i, 0, len - i);
    size_t e = z ? (size_t)(z - tags) : len;
    sb base = SB_INIT;
    if (!sb_copyb(&base, tags + i, e - i)) return -1;
    int k = base.len ? rbl_lookup(ip, base.s, "any", res, ctx) : RBL_NONE;
    if (k == RBL_LISTED && (!sb_cats(hdr, "X-RBL-Check: ") || !sb_catsb(hdr, &base) || !sb_catc(hdr, '\n'))) k = -1;
    sb_free(&base);
    if (k < 0) return -1;
    i = e + 1;
  }
  return 1;
}

/* res_query with the outcome classified; the answer is in buf. */
static int query(const char *name, int type, unsigned char *buf, int size, int *len)
{
  *len = res_query(name, ns_c_in, type, buf, size);
  if (*len >= 0) return RBL_LISTED;
  if (h_errno == HOST_NOT_FOUND || h_errno == NO_DATA) return RBL_NONE;
  return RBL_SOFT;
}

int rbl_resolve(void *ctx, const char *name, sb *addrs)
{
  unsigned char buf[4096];
  ns_msg m;
  ns_rr rr;
  int len, found = 0, r;
  (void)ctx;
  r = query(name, ns_t_a, buf, sizeof buf, &len);
  if (r != RBL_LISTED) return r;
  if (ns_initparse(buf, len, &m) < 0) return RBL_SOFT;
  for (int i = 0; i < ns_msg_count(m, ns_s_an); ++i) {
    char ip[INET_ADDRSTRLEN];
    if (ns_parserr(&m, ns_s_an, i, &rr) < 0) return RBL_SOFT;
    if (ns_rr_type(rr) != ns_t_a || ns_rr_rdlen(rr) != 4) continue;
    if (!inet_ntop(AF_INET, ns_rr_rdata(rr), ip, sizeof ip)) continue;
    if (!sb_cats(addrs, ip) || !sb_cat0(addrs)) return RBL_SOFT;
    found = 1;
  }
  return found ? RBL_LISTED : RBL_NONE;
}

/* Records of one type in the answer section (any type for ns_t_any). */
static int count(const char *name, int type, int *nullmx)
{
  unsigned char buf[4096];
  ns_msg m;
  ns_rr rr;
  int len, n = 0, r = query(name, type, buf, sizeof buf, &len);
  if (r != RBL_LISTED) return r == RBL_NONE ? 0 : -1;
  if (ns_initparse(buf, len, &m) < 0) return -1;
  for (int i = 0; i < ns_msg_count(m, ns_s_an); ++i) {
    if (ns_parserr(&m, ns_s_an, i, &rr) < 0) return -1;
    if ((int)ns_rr_type(rr) != type) continue;
    if (type == ns_t_mx && nullmx) {
      char host[NS_MAXDNAME];
      if (ns_rr_rdlen(rr) < 3) continue;
      if (dn_expand(ns_msg_base(m), ns_msg_end(m), ns_rr_rdata(rr) + 2, host, sizeof host) < 0) return -1;
      if (!host[0] || !strcmp(host, ".")) { *nullmx = 1; continue; }
    }
    ++n;
  }
  return n;
}

int rbl_mxcheck(const char *domain)
{
  int nullmx = 0, n;
  if (!*domain) return RBL_LISTED;
  n = count(domain, ns_t_mx, &nullmx);
  if (n < 0) return RBL_SOFT;
  if (n > 0) return RBL_NONE;
  if (nullmx) return RBL_LISTED;
  n = count(domain, ns_t_a, 0);
  if (n < 0) return RBL_SOFT;
  if (n > 0) return RBL_NONE;
  n = count(domain, ns_t_aaaa, 0);
  if (n < 0) return RBL_SOFT;
  return n > 0 ? RBL_NONE : RBL_LISTED;
}
