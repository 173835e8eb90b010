#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "dns.h"

const char *progname = "test_dns";

/* ---- a tiny DNS packet writer for canned answers ---- */
struct pkt { unsigned char b[4096]; size_t n; };

static void u16(struct pkt *p, unsigned v) { p->b[p->n++] = (unsigned char)(v >> 8); p->b[p->n++] = (unsigned char)v; }
static void u32(struct pkt *p, unsigned long v) { u16(p, (unsigned)(v >> 16)); u16(p, (unsigned)(v & 0xffff)); }

static void name(struct pkt *p, const char *s)
{
  while (*s) {
    const char *d = strchr(s, '.');
    size_t l = d ? (size_t)(d - s) : strlen(s);
    p->b[p->n++] = (unsigned char)l;
    memcpy(p->b + p->n, s, l);
    p->n += l;
    s += l + (d != 0);
  }
  p->b[p->n++] = 0;
}

/* header + question; answers are added with rr_* and counted in ancount */
static void start(struct pkt *p, const char *q, int type, unsigned ancount)
{
  p->n = 0;
  u16(p, 0x1234); u16(p, 0x8180); u16(p, 1); u16(p, ancount); u16(p, 0); u16(p, 0);
  name(p, q); u16(p, (unsigned)type); u16(p, ns_c_in);
}

static void rr_head(struct pkt *p, int type, unsigned rdlen)
{
  u16(p, 0xc00c);                  /* owner: pointer to the question name */
  u16(p, (unsigned)type); u16(p, ns_c_in); u32(p, 300); u16(p, rdlen);
}

static void rr_mx(struct pkt *p, unsigned pref, const char *host)
{
  struct pkt t; t.n = 0; name(&t, host);
  rr_head(p, ns_t_mx, (unsigned)t.n + 2);
  u16(p, pref);
  memcpy(p->b + p->n, t.b, t.n); p->n += t.n;
}

static void rr_a(struct pkt *p, const char *ip)
{
  unsigned char a[16];
  int six = strchr(ip, ':') != 0;
  assert_int_equal(inet_pton(six ? AF_INET6 : AF_INET, ip, a), 1);
  rr_head(p, six ? ns_t_aaaa : ns_t_a, six ? 16 : 4);
  memcpy(p->b + p->n, a, six ? 16 : 4); p->n += six ? 16 : 4;
}

/* ---- a canned resolver ---- */
struct answer { const char *name; int type; int rc; struct pkt p; };
struct zone { struct answer a[16]; size_t n; unsigned queries; };

static struct answer *add(struct zone *z, const char *n, int type, int rc)
{
  struct answer *a = &z->a[z->n++];
  a->name = n; a->type = type; a->rc = rc; a->p.n = 0;
  if (rc == DNS_OK) start(&a->p, n, type, 0);
  return a;
}
static void count(struct answer *a, unsigned an) { a->p.b[6] = (unsigned char)(an >> 8); a->p.b[7] = (unsigned char)an; }

static int fake(void *ctx, const char *n, int type, unsigned char *buf, size_t size, size_t *len)
{
  struct zone *z = ctx;
  z->queries++;
  for (size_t i = 0; i < z->n; ++i)
    if (!strcmp(z->a[i].name, n) && z->a[i].type == type) {
      if (z->a[i].rc != DNS_OK) return z->a[i].rc;
      assert_true(z->a[i].p.n <= size);
      memcpy(buf, z->a[i].p.b, z->a[i].p.n);
      *len = z->a[i].p.n;
      return DNS_OK;
    }
  return DNS_HARD;
}

static void fmt(const struct mxlist *l, char *out, size_t size)
{
  size_t o = 0;
  out[0] = 0;
  for (size_t i = 0; i < l->n; ++i) {
    char ip[64];
    mxip_fmt(&l->v[i], ip, sizeof ip);
    o += (size_t)snprintf(out + o, size - o, "%s%u %s", i ? "," : "", l->v[i].pref, ip);
  }
}

static void expect(struct zone *z, const char *domain, uint64_t seed, int rc, const char *want)
{
  struct mxlist l = MXLIST_INIT;
  char got[1024];
  int k = dns_mxip(&l, domain, seed, fake, z);
  fmt(&l, got, sizeof got);
  if (k != rc || (want && strcmp(got, want))) print_error("%s: rc %d want %d, [%s] want [%s]\n", domain, k, rc, got, want ? want : "");
  assert_int_equal(k, rc);
  if (want) assert_string_equal(got, want);
  mxlist_free(&l);
}

static void t_parse_mx(void **st)
{
  (void)st;
  struct pkt p;
  struct dns_mx mx[4];
  size_t n;
  start(&p, "example.com", ns_t_mx, 3);
  rr_mx(&p, 20, "b.example.com"); rr_mx(&p, 10, "a.example.com"); rr_mx(&p, 0, "");
  assert_int_equal(dns_parse_mx(p.b, p.n, mx, 4, &n), DNS_OK);
  assert_int_equal(n, 3);
  assert_int_equal(mx[0].pref, 20);
  assert_string_equal(mx[0].name, "b.example.com");
  assert_string_equal(mx[1].name, "a.example.com");
  assert_string_equal(mx[2].name, "");             /* null MX */
  assert_int_equal(dns_parse_mx(p.b, p.n, mx, 2, &n), DNS_OK);   /* capped */
  assert_int_equal(n, 2);
  for (size_t cut = 0; cut < p.n; ++cut)           /* every truncation is refused */
    assert_int_equal(dns_parse_mx(p.b, cut, mx, 4, &n), DNS_SOFT);
}

static void t_parse_mx_compressed(void **st)
{
  (void)st;
  struct pkt p;
  struct dns_mx mx[2];
  size_t n;
  start(&p, "example.com", ns_t_mx, 1);
  rr_head(&p, ns_t_mx, 2 + 5);
  u16(&p, 5);
  p.b[p.n++] = 2; p.b[p.n++] = 'm'; p.b[p.n++] = 'x';
  u16(&p, 0xc00c);                                 /* mx.<example.com> */
  assert_int_equal(dns_parse_mx(p.b, p.n, mx, 2, &n), DNS_OK);
  assert_int_equal(n, 1);
  assert_string_equal(mx[0].name, "mx.example.com");

  start(&p, "example.com", ns_t_mx, 1);            /* a pointer loop */
  size_t at = p.n;
  rr_head(&p, ns_t_mx, 4);
  u16(&p, 5);
  u16(&p, (unsigned)(0xc000 | (at + 14)));   /* points at itself */
  assert_int_equal(dns_parse_mx(p.b, p.n, mx, 2, &n), DNS_SOFT);

  start(&p, "example.com", ns_t_mx, 1);            /* rdata too short */
  rr_head(&p, ns_t_mx, 2);
  u16(&p, 5);
  assert_int_equal(dns_parse_mx(p.b, p.n, mx, 2, &n), DNS_SOFT);

  start(&p, "example.com", ns_t_mx, 1);            /* trailing bytes inside rdata */
  rr_head(&p, ns_t_mx, 2 + 1 + 2);
  u16(&p, 5); p.b[p.n++] = 0; u16(&p, 0);
  assert_int_equal(dns_parse_mx(p.b, p.n, mx, 2, &n), DNS_SOFT);
}

static void t_parse_ip(void **st)
{
  (void)st;
  struct pkt p;
  struct mxlist l = MXLIST_INIT;
  char got[512];
  start(&p, "h.example", ns_t_a, 3);
  rr_a(&p, "192.0.2.1"); rr_a(&p, "192.0.2.2"); rr_a(&p, "192.0.2.1");
  assert_int_equal(dns_parse_ip(p.b, p.n, ns_t_a, 7, &l), DNS_OK);
  fmt(&l, got, sizeof got);
  assert_string_equal(got, "7 192.0.2.1,7 192.0.2.2");   /* duplicates dropped */
  mxlist_free(&l);
  start(&p, "h.example", ns_t_aaaa, 2);
  rr_a(&p, "2001:db8::5"); rr_a(&p, "::ffff:192.0.2.9");
  assert_int_equal(dns_parse_ip(p.b, p.n, ns_t_aaaa, 0, &l), DNS_OK);
  fmt(&l, got, sizeof got);
  assert_string_equal(got, "0 2001:db8::5,0 192.0.2.9");
  mxlist_free(&l);
  start(&p, "h.example", ns_t_a, 1);                /* A with 16 bytes */
  rr_head(&p, ns_t_a, 16);
  for (int i = 0; i < 16; ++i) p.b[p.n++] = 1;
  assert_int_equal(dns_parse_ip(p.b, p.n, ns_t_a, 0, &l), DNS_SOFT);
  mxlist_free(&l);
}

static void t_literal(void **st)
{
  (void)st;
  static const struct { const char *s; int ok, family; } c[] = {
    {"1.2.3.4", 1, AF_INET}, {"[1.2.3.4]", 1, AF_INET}, {"[::1]", 1, AF_INET6},
    {"[IPv6:2001:db8::1]", 1, AF_INET6}, {"[ipv6:::1]", 1, AF_INET6}, {"2001:db8::1", 1, AF_INET6},
    {"[::ffff:10.0.0.1]", 1, AF_INET}, {"[1.2.3]", 0, 0}, {"[1.2.3.4", 0, 0}, {"host.example", 0, 0},
    {"", 0, 0}, {"[]", 0, 0}, {"[IPv6:1.2.3.4]", 1, AF_INET}, {"1.2.3.4.5", 0, 0},
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    int f = 0;
    unsigned char a[16];
    assert_int_equal(dns_literal(c[i].s, strlen(c[i].s), &f, a), c[i].ok);
    if (c[i].ok) assert_int_equal(f, c[i].family);
  }
}

static void t_mxip(void **st)
{
  (void)st;
  struct zone z = {.n = 0};
  struct answer *a = add(&z, "example.com", ns_t_mx, DNS_OK);
  rr_mx(&a->p, 20, "b.example.com"); rr_mx(&a->p, 10, "a.example.com"); rr_mx(&a->p, 30, "gone.example.com");
  rr_mx(&a->p, 40, "a.example.com");
  count(a, 4);
  a = add(&z, "a.example.com", ns_t_a, DNS_OK); rr_a(&a->p, "192.0.2.10"); count(a, 1);
  a = add(&z, "a.example.com", ns_t_aaaa, DNS_OK); rr_a(&a->p, "2001:db8::10"); count(a, 1);
  add(&z, "b.example.com", ns_t_aaaa, DNS_NODATA);
  a = add(&z, "b.example.com", ns_t_a, DNS_OK); rr_a(&a->p, "192.0.2.20"); count(a, 1);
  /* gone.example.com: NXDOMAIN (skipped) */
  expect(&z, "example.com", 1, DNS_OK, "10 2001:db8::10,10 192.0.2.10,20 192.0.2.20");
}

static void t_nomx(void **st)
{
  (void)st;
  struct zone z = {.n = 0};
  add(&z, "plain.example", ns_t_mx, DNS_NODATA);
  struct answer *a = add(&z, "plain.example", ns_t_a, DNS_OK); rr_a(&a->p, "192.0.2.30"); count(a, 1);
  add(&z, "plain.example", ns_t_aaaa, DNS_NODATA);
  expect(&z, "plain.example", 1, DNS_OK, "0 192.0.2.30");
  add(&z, "empty.example", ns_t_mx, DNS_OK);               /* NOERROR, no answers */
  add(&z, "empty.example", ns_t_a, DNS_NODATA);
  add(&z, "empty.example", ns_t_aaaa, DNS_NODATA);
  expect(&z, "empty.example", 1, DNS_OK, "");
  expect(&z, "nxdomain.example", 1, DNS_HARD, "");
  add(&z, "soft.example", ns_t_mx, DNS_SOFT);
  expect(&z, "soft.example", 1, DNS_SOFT, "");
  add(&z, "softa.example", ns_t_mx, DNS_NODATA);
  add(&z, "softa.example", ns_t_a, DNS_SOFT);
  add(&z, "softa.example", ns_t_aaaa, DNS_NODATA);
  expect(&z, "softa.example", 1, DNS_SOFT, "");
}

static void t_mxsoft(void **st)
{
  (void)st;
  struct zone z = {.n = 0};
  struct answer *a = add(&z, "d.example", ns_t_mx, DNS_OK);
  rr_mx(&a->p, 10, "down.example"); count(a, 1);
  add(&z, "down.example", ns_t_a, DNS_SOFT);
  add(&z, "down.example", ns_t_aaaa, DNS_SOFT);
  expect(&z, "d.example", 1, DNS_SOFT, "");               /* nothing found, trouble: retry */
  a = add(&z, "e.example", ns_t_mx, DNS_OK);
  rr_mx(&a->p, 10, "down.example"); rr_mx(&a->p, 20, "up.example"); count(a, 2);
  a = add(&z, "up.example", ns_t_a, DNS_OK); rr_a(&a->p, "192.0.2.40"); count(a, 1);
  add(&z, "up.example", ns_t_aaaa, DNS_NODATA);
  expect(&z, "e.example", 1, DNS_OK, "20 192.0.2.40");    /* partial answers are used */
  a = add(&z, "null.example", ns_t_mx, DNS_OK);
  rr_mx(&a->p, 0, ""); count(a, 1);
  expect(&z, "null.example", 1, DNS_OK, "");              /* RFC 7505 null MX */
}

static void t_shuffle(void **st)
{
  (void)st;
  struct zone z = {.n = 0};
  struct answer *a = add(&z, "eq.example", ns_t_mx, DNS_OK);
  rr_mx(&a->p, 10, "x.example"); rr_mx(&a->p, 10, "y.example"); rr_mx(&a->p, 5, "w.example"); count(a, 3);
  a = add(&z, "x.example", ns_t_a, DNS_OK); rr_a(&a->p, "192.0.2.1"); count(a, 1);
  a = add(&z, "y.example", ns_t_a, DNS_OK); rr_a(&a->p, "192.0.2.2"); count(a, 1);
  a = add(&z, "w.example", ns_t_a, DNS_OK); rr_a(&a->p, "192.0.2.5"); count(a, 1);
  int seen12 = 0, seen21 = 0;
  for (uint64_t seed = 1; seed < 64; ++seed) {
    struct mxlist l = MXLIST_INIT;
    char got[256];
    assert_int_equal(dns_mxip(&l, "eq.example", seed, fake, &z), DNS_OK);
    fmt(&l, got, sizeof got);
    if (!strcmp(got, "5 192.0.2.5,10 192.0.2.1,10 192.0.2.2")) seen12 = 1;
    else if (!strcmp(got, "5 192.0.2.5,10 192.0.2.2,10 192.0.2.1")) seen21 = 1;
    else fail_msg("unexpected order %s", got);
    char again[256];
    mxlist_free(&l);
    assert_int_equal(dns_mxip(&l, "eq.example", seed, fake, &z), DNS_OK);
    fmt(&l, again, sizeof again);
    assert_string_equal(got, again);                    /* same seed, same order */
    mxlist_free(&l);
  }
  assert_true(seen12 && seen21);
}

static void t_literal_domains(void **st)
{
  (void)st;
  struct zone z = {.n = 0};
  expect(&z, "[192.0.2.99]", 1, DNS_OK, "0 192.0.2.99");
  expect(&z, "[IPv6:2001:db8::99]", 1, DNS_OK, "0 2001:db8::99");
  expect(&z, "[192.0.2]", 1, DNS_HARD, "");
  expect(&z, "a..b", 1, DNS_HARD, "");
  expect(&z, "", 1, DNS_HARD, "");
  expect(&z, "bad name.example", 1, DNS_HARD, "");
  assert_int_equal(z.queries, 0);                          /* none of these asked DNS */
}

static void t_ip(void **st)
{
  (void)st;
  struct zone z = {.n = 0};
  struct mxlist l = MXLIST_INIT;
  char got[256];
  struct answer *a = add(&z, "relay.example", ns_t_a, DNS_OK); rr_a(&a->p, "192.0.2.50"); count(a, 1);
  a = add(&z, "relay.example", ns_t_aaaa, DNS_OK); rr_a(&a->p, "2001:db8::50"); count(a, 1);
  assert_int_equal(dns_ip(&l, "relay.example", fake, &z), DNS_OK);
  fmt(&l, got, sizeof got);
  assert_string_equal(got, "0 2001:db8::50,0 192.0.2.50");
  mxlist_free(&l);
  assert_int_equal(dns_ip(&l, "127.0.0.1", fake, &z), DNS_OK);
  assert_int_equal(l.n, 1);
  mxlist_free(&l);
  assert_int_equal(dns_ip(&l, "[::1]", fake, &z), DNS_OK);
  mxlist_free(&l);
  assert_int_equal(dns_ip(&l, "nothere.example", fake, &z), DNS_HARD);
  add(&z, "noaddr.example", ns_t_a, DNS_NODATA);
  add(&z, "noaddr.example", ns_t_aaaa, DNS_NODATA);
  assert_int_equal(dns_ip(&l, "noaddr.example", fake, &z), DNS_HARD);
  add(&z, "flaky.example", ns_t_a, DNS_SOFT);
  assert_int_equal(dns_ip(&l, "flaky.example", fake, &z), DNS_SOFT);
  mxlist_free(&l);
}

/* Each address keeps the host name it was found for (qmail-remote checks
 * TLS certificates against it); literals have none. */
static void t_names(void **st)
{
  (void)st;
  struct zone z = {.n = 0};
  struct mxlist l = MXLIST_INIT;
  struct answer *a = add(&z, "example.com", ns_t_mx, DNS_OK);
  rr_mx(&a->p, 10, "a.example.com"); rr_mx(&a->p, 20, "b.example.com"); rr_mx(&a->p, 30, "192.0.2.99");
  rr_mx(&a->p, 40, "b2.example.com");
  count(a, 4);
  a = add(&z, "a.example.com", ns_t_a, DNS_OK); rr_a(&a->p, "192.0.2.10"); count(a, 1);
  a = add(&z, "a.example.com", ns_t_aaaa, DNS_OK); rr_a(&a->p, "2001:db8::10"); count(a, 1);
  a = add(&z, "b.example.com", ns_t_a, DNS_OK); rr_a(&a->p, "192.0.2.20"); count(a, 1);
  a = add(&z, "b2.example.com", ns_t_a, DNS_OK); rr_a(&a->p, "192.0.2.20"); count(a, 1);   /* seen: stays b */
  assert_int_equal(dns_mxip(&l, "example.com", 1, fake, &z), DNS_OK);
  assert_int_equal(l.n, 4);
  static const char *const want[] = {"a.example.com", "a.example.com", "b.example.com", 0};
  for (size_t i = 0; i < 4; ++i) {
    if (want[i]) assert_string_equal(mxlist_name(&l, i), want[i]);
    else assert_null(mxlist_name(&l, i));
  }
  assert_null(mxlist_name(&l, 4));
  mxlist_free(&l);
  add(&z, "plain.example", ns_t_mx, DNS_NODATA);
  a = add(&z, "plain.example", ns_t_a, DNS_OK); rr_a(&a->p, "192.0.2.30"); count(a, 1);
  assert_int_equal(dns_mxip(&l, "plain.example", 1, fake, &z), DNS_OK);
  assert_string_equal(mxlist_name(&l, 0), "plain.example");      /* no MX: the domain itself */
  mxlist_free(&l);
  assert_int_equal(dns_ip(&l, "b.example.com", fake, &z), DNS_OK);
  assert_string_equal(mxlist_name(&l, 0), "b.example.com");
  mxlist_free(&l);
  assert_int_equal(dns_mxip(&l, "[192.0.2.1]", 1, fake, &z), DNS_OK);
  assert_null(mxlist_name(&l, 0));
  mxlist_free(&l);
}

static void t_mxps(void **st)
{
  (void)st;
  static const struct { unsigned pref; int qmtp; } c[] = {
    {0, 0}, {1, 0}, {17, 0}, {12800, 0}, {12801, 1}, {12816, 0}, {12817, 1}, {13041, 1},
    {13055, 0}, {13057, 0}, {65535, 0},
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) assert_int_equal(mxps_qmtp(c[i].pref), c[i].qmtp);
}

static void t_hostport(void **st)
{
  (void)st;
  static const struct { const char *in; int ok; const char *host; unsigned port; } c[] = {
    {"10.0.0.1", 1, "10.0.0.1", 628}, {"10.0.0.1:6628", 1, "10.0.0.1", 6628},
    {"[::1]", 1, "[::1]", 628}, {"[::1]:7", 1, "[::1]", 7}, {"::1", 1, "::1", 628},
    {"2001:db8::1", 1, "2001:db8::1", 628}, {"qmqp.example:99", 1, "qmqp.example", 99},
    {"host:", 0, 0, 0}, {"host:0", 0, 0, 0}, {"host:65536", 0, 0, 0}, {"host:x", 0, 0, 0},
    {"[::1", 0, 0, 0}, {"[::1]x", 0, 0, 0}, {"[::1]:", 0, 0, 0},
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    sb h = SB_INIT;
    unsigned port = 628;
    assert_int_equal(dns_hostport(c[i].in, &h, &port), c[i].ok);
    if (c[i].ok) { assert_string_equal(h.s, c[i].host); assert_int_equal(port, c[i].port); }
    sb_free(&h);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_parse_mx), cmocka_unit_test(t_parse_mx_compressed), cmocka_unit_test(t_parse_ip),
    cmocka_unit_test(t_literal), cmocka_unit_test(t_mxip), cmocka_unit_test(t_nomx),
    cmocka_unit_test(t_mxsoft), cmocka_unit_test(t_shuffle), cmocka_unit_test(t_literal_domains),
    cmocka_unit_test(t_ip), cmocka_unit_test(t_names), cmocka_unit_test(t_mxps), cmocka_unit_test(t_hostport),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
