#include "dns.h"
#include "sb.h"
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int dns_resquery(void *ctx, const char *name, int type, unsigned char *buf, size_t size, size_t *len)
{
  static int ready;
  int n;
  (void)ctx;
  if (!ready) {
    if (res_init() < 0) return DNS_SOFT;
    ready = 1;
  }
  if (size > INT_MAX) size = INT_MAX;
  h_errno = 0;
  n = res_query(name, ns_c_in, type, buf, (int)size);
  if (n < 0) {
    if (h_errno == HOST_NOT_FOUND) return DNS_HARD;
    if (h_errno == NO_DATA) return DNS_NODATA;
    return DNS_SOFT;       /* TRY_AGAIN, NO_RECOVERY, no server: never bounce on them */
  }
  *len = (size_t)n < size ? (size_t)n : size;
  return DNS_OK;
}

int dns_parse_mx(const unsigned char *pkt, size_t len, struct dns_mx *mx, size_t max, size_t *n)
{
  ns_msg m;
  ns_rr rr;
  *n = 0;
  if (len > INT_MAX || ns_initparse(pkt, (int)len, &m) < 0) return DNS_SOFT;
  for (int i = 0; i < ns_msg_count(m, ns_s_an); ++i) {
    if (ns_parserr(&m, ns_s_an, i, &rr) < 0) return DNS_SOFT;
    if (ns_rr_type(rr) != ns_t_mx || ns_rr_class(rr) != ns_c_in) continue;
    if (ns_rr_rdlen(rr) < 3) return DNS_SOFT;
    if (*n >= max) continue;
    const unsigned char *d = ns_rr_rdata(rr);
    int k = dn_expand(ns_msg_base(m), ns_msg_end(m), d + 2, mx[*n].name, sizeof mx[*n].name);
    if (k < 0 || k != ns_rr_rdlen(rr) - 2) return DNS_SOFT;
    if (!strcmp(mx[*n].name, ".")) mx[*n].name[0] = 0;
    mx[*n].pref = (unsigned)d[0] << 8 | d[1];
    ++*n;
  }
  return DNS_OK;
}

int mxlist_add(struct mxlist *l, unsigned pref, int family, const unsigned char *a)
{
  size_t alen = family == AF_INET ? 4 : 16;
  struct mxip *v;
  size_t *at;
  for (size_t i = 0; i < l->n; ++i)
    if (l->v[i].family == family && !memcmp(l->v[i].a, a, alen)) return 1;   /* seen: keep the better one */
  if (l->n >= DNS_MAXIP) return 1;
  at = realloc(l->nameat, (l->n + 1) * sizeof *at);
  if (!at) return 0;
  l->nameat = at;
  at[l->n] = SIZE_MAX;
  v = realloc(l->v, (l->n + 1) * sizeof *v);
  if (!v) return 0;
  l->v = v;
  memset(&v[l->n], 0, sizeof v[l->n]);
  v[l->n].pref = pref;
  v[l->n].family = family;
  memcpy(v[l->n].a, a, alen);
  l->n++;
  return 1;
}

void mxlist_free(struct mxlist *l)
{
  free(l->v);
  free(l->nameat);
  sb_free(&l->names);
  l->v = 0;
  l->nameat = 0;
  l->n = 0;
}

const char *mxlist_name(const struct mxlist *l, size_t i)
{
  if (i >= l->n || !l->nameat || l->nameat[i] == SIZE_MAX) return 0;
  return l->names.s + l->nameat[i];
}

/* Addresses from..l->n were found for name. 1 ok, 0 nomem. */
static int mxlist_setname(struct mxlist *l, size_t from, const char *name)
{
  size_t at = l->names.len;
  if (from >= l->n) return 1;
  if (!sb_cats(&l->names, name) || !sb_cat0(&l->names)) return 0;
  for (size_t i = from; i < l->n; ++i) l->nameat[i] = at;
  return 1;
}

int dns_parse_ip(const unsigned char *pkt, size_t len, int type, unsigned pref, struct mxlist *out)
{
  ns_msg m;
  ns_rr rr;
  int family = type == ns_t_a ? AF_INET : AF_INET6;
  int want = type == ns_t_a ? 4 : 16;
  if (len > INT_MAX || ns_initparse(pkt, (int)len, &m) < 0) return DNS_SOFT;
  for (int i = 0; i < ns_msg_count(m, ns_s_an); ++i) {
    if (ns_parserr(&m, ns_s_an, i, &rr) < 0) return DNS_SOFT;
    if ((int)ns_rr_type(rr) != type || ns_rr_class(rr) != ns_c_in) continue;
    if (ns_rr_rdlen(rr) != want) return DNS_SOFT;
    const unsigned char *a = ns_rr_rdata(rr);
    if (family == AF_INET6 && !memcmp(a, mapped, sizeof mapped)) {
      if (!mxlist_add(out, pref, AF_INET, a + 12)) return DNS_NOMEM;
    } else if (!mxlist_add(out, pref, family, a)) {
      return DNS_NOMEM;
    }
  }
  return DNS_OK;
}

int dns_literal(const char *s, size_t n, int *family, unsigned char a[16])
{
  char buf[80];
  if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
    s++; n -= 2;
    if (n >= 5 && !strncasecmp(s, "ipv6:", 5)) { s += 5; n -= 5; }
  }
  if (!n || n >= sizeof buf || memchr(s, 0, n)) return 0;
  memcpy(buf, s, n);
  buf[n] = 0;
  memset(a, 0, 16);
  if (inet_pton(AF_INET, buf, a) == 1) { *family = AF_INET; return 1; }
  if (inet_pton(AF_INET6, buf, a) == 1) {
    *family = AF_INET6;
    if (!memcmp(a, mapped, sizeof mapped)) {
      memmove(a, a + 12, 4);
      memset(a + 4, 0, 12);
      *family = AF_INET;
    }
    return 1;
  }
  return 0;
}

int dns_hostport(const char *s, sb *host, unsigned *port)
{
  size_t n = strlen(s), end = n;
  const char *c;
  if (s[0] == '[') {
    c = strchr(s, ']');
    if (!c) return 0;
    end = (size_t)(c - s) + 1;
    if (end < n && s[end] != ':') return 0;
  } else if ((c = strchr(s, ':')) && !strchr(c + 1, ':')) {
    end = (size_t)(c - s);
  }
  if (end < n) {
    uint64_t v;
    if (!scan_u64(s + end + 1, n - end - 1, &v) || !v || v > 65535) return 0;
    *port = (unsigned)v;
  }
  return sb_copyb(host, s, end) && sb_cat0(host);
}

/* Something res_query can be asked about: labels of 1..63 printable
 * bytes without blanks or backslashes, 253 bytes in all. */
static int name_ok(const char *s)
{
  size_t n = strlen(s), label = 0;
  if (n && s[n - 1] == '.') --n;
  if (!n || n > 253) return 0;
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = (unsigned char)s[i];
    if (c == '.') { if (!label) return 0; label = 0; continue; }
    if (c <= 32 || c >= 127 || c == '\\' || ++label > 63) return 0;
  }
  return label > 0;
}

/* AAAA then A records of name. */
static int host_addrs(struct mxlist *out, const char *name, unsigned pref, dns_query_fn q, void *ctx, unsigned char *buf)
{
  static const int types[2] = {ns_t_aaaa, ns_t_a};
  size_t before = out->n;
  int soft = 0, hard = 0;
  for (int t = 0; t < 2; ++t) {
    size_t len = 0;
    int r = q(ctx, name, types[t], buf, DNS_PKTMAX, &len);
    if (r == DNS_OK) r = dns_parse_ip(buf, len, types[t], pref, out);
    if (r == DNS_NOMEM) return DNS_NOMEM;
    if (r == DNS_SOFT) soft = 1;
    if (r == DNS_HARD) hard++;
  }
  if (out->n > before) return DNS_OK;
  if (soft) return DNS_SOFT;
  return hard == 2 ? DNS_HARD : DNS_NODATA;
}

int dns_ip(struct mxlist *out, const char *host, dns_query_fn q, void *ctx)
{
  int family, r;
  unsigned char a[16], *buf;
  if (dns_literal(host, strlen(host), &family, a)) return mxlist_add(out, 0, family, a) ? DNS_OK : DNS_NOMEM;
  if (!name_ok(host)) return DNS_HARD;
  buf = malloc(DNS_PKTMAX);
  if (!buf) return DNS_NOMEM;
  size_t before = out->n;
  r = host_addrs(out, host, 0, q, ctx, buf);
  free(buf);
  if (r == DNS_OK && !mxlist_setname(out, before, host)) r = DNS_NOMEM;
  return r == DNS_NODATA ? DNS_HARD : r;
}

/* splitmix64: good mixing even for small, similar seeds */
static uint64_t nextrand(uint64_t *s)
{
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

int dns_mxip(struct mxlist *out, const char *domain, uint64_t seed, dns_query_fn q, void *ctx)
{
  int family, r, soft = 0;
  unsigned char a[16], *buf = 0;
  struct dns_mx *mx = 0;
  uint64_t *rnd = 0;
  size_t n = 0, len = 0;

  if (domain[0] == '[') {
    if (!dns_literal(domain, strlen(domain), &family, a)) return DNS_HARD;
    return mxlist_add(out, 0, family, a) ? DNS_OK : DNS_NOMEM;
  }
  if (!name_ok(domain)) return DNS_HARD;
  buf = malloc(DNS_PKTMAX);
  mx = calloc(DNS_MAXMX, sizeof *mx);
  rnd = calloc(DNS_MAXMX, sizeof *rnd);
  if (!buf || !mx || !rnd) { r = DNS_NOMEM; goto done; }

  r = q(ctx, domain, ns_t_mx, buf, DNS_PKTMAX, &len);
  if (r == DNS_OK) r = dns_parse_mx(buf, len, mx, DNS_MAXMX, &n);
  if (r == DNS_NODATA || (r == DNS_OK && n == 0)) {
    size_t before = out->n;
    r = host_addrs(out, domain, 0, q, ctx, buf);
    if (r == DNS_OK && !mxlist_setname(out, before, domain)) r = DNS_NOMEM;
    if (r == DNS_NODATA) r = DNS_OK;          /* exists, but nothing to deliver to */
    goto done;
  }
  if (r != DNS_OK) goto done;

  for (size_t i = 0; i < n; ++i) rnd[i] = nextrand(&seed);
  for (size_t i = 1; i < n; ++i)             /* insertion sort by (pref, random) */
    for (size_t j = i; j > 0 && (mx[j].pref < mx[j - 1].pref ||
         (mx[j].pref == mx[j - 1].pref && rnd[j] < rnd[j - 1])); --j) {
      struct dns_mx t = mx[j]; mx[j] = mx[j - 1]; mx[j - 1] = t;
      uint64_t u = rnd[j]; rnd[j] = rnd[j - 1]; rnd[j - 1] = u;
    }
  for (size_t i = 0; i < n; ++i) {
    if (!mx[i].name[0]) continue;             /* null MX: no mail here */
    if (dns_literal(mx[i].name, strlen(mx[i].name), &family, a)) {
      if (!mxlist_add(out, mx[i].pref, family, a)) { r = DNS_NOMEM; goto done; }
      continue;
    }
    if (!name_ok(mx[i].name)) continue;
    size_t before = out->n;
    int k = host_addrs(out, mx[i].name, mx[i].pref, q, ctx, buf);
    if (k == DNS_NOMEM || !mxlist_setname(out, before, mx[i].name)) { r = DNS_NOMEM; goto done; }
    if (k == DNS_SOFT) soft = 1;
  }
  r = (!out->n && soft) ? DNS_SOFT : DNS_OK;
done:
  free(buf);
  free(mx);
  free(rnd);
  return r;
}

int mxps_qmtp(unsigned pref)
{
  return pref >= 12801 && pref <= 13055 && pref % 16 == 1;
}

void mxip_fmt(const struct mxip *ip, char *out, size_t size)
{
  if (!inet_ntop(ip->family, ip->a, out, (socklen_t)size) && size) out[0] = 0;
}
