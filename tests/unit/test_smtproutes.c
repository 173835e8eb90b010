#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "smtproutes.h"

const char *progname = "test_smtproutes";

/* ctl_list form: entries separated by '\0' */
static void load(struct routes *rt, const char *lines)
{
  sb l = SB_INIT;
  for (const char *p = lines; *p; ++p) assert_true(sb_catc(&l, *p == '\n' ? 0 : *p));
  assert_true(routes_parse(rt, l.s, l.len));
  sb_free(&l);
}

struct lcase { const char *domain; int want; const char *host; unsigned port; const char *user, *pass; };

static void check(const struct routes *rt, const struct lcase *c, size_t n)
{
  for (size_t i = 0; i < n; ++i) {
    struct route r;
    memset(&r, 0, sizeof r);
    int k = routes_lookup(rt, c[i].domain, strlen(c[i].domain), 25, &r);
    if (k != c[i].want) print_error("%s: got %d want %d\n", c[i].domain, k, c[i].want);
    assert_int_equal(k, c[i].want);
    if (k != 1) continue;
    if (r.hostlen != strlen(c[i].host) || memcmp(r.host, c[i].host, r.hostlen))
      print_error("%s: host %.*s want %s\n", c[i].domain, (int)r.hostlen, r.host, c[i].host);
    assert_int_equal(r.hostlen, strlen(c[i].host));
    assert_memory_equal(r.host, c[i].host, r.hostlen);
    assert_int_equal(r.port, c[i].port);
    assert_int_equal(r.userlen, c[i].user ? strlen(c[i].user) : 0);
    if (c[i].user) assert_memory_equal(r.user, c[i].user, r.userlen);
    assert_int_equal(r.passlen, c[i].pass ? strlen(c[i].pass) : 0);
    if (c[i].pass) assert_memory_equal(r.pass, c[i].pass, r.passlen);
  }
}

static void t_walk(void **st)
{
  (void)st;
  struct routes rt = ROUTES_INIT;
  load(&rt, "example.com:relay.example.net\n.sub.example.org:127.0.0.1:2525\n"
            "Exempt.Example.Org:\n.example.org:[10.1.2.3]\nsix.example:[::1]:26\n"
            "lit.example:[IPv6:2001:db8::1]\n[192.0.2.7]:[192.0.2.8]:2626\n"
            "auth.example:smarthost:587 joe secret with blanks\nnocolon\n:default.relay:24\n");
  static const struct lcase c[] = {
    {"example.com", 1, "relay.example.net", 25, 0, 0},
    {"EXAMPLE.COM", 1, "relay.example.net", 25, 0, 0},
    {"a.example.com", 1, "default.relay", 24, 0, 0},       /* "example.com" is exact */
    {"x.sub.example.org", 1, "127.0.0.1", 2525, 0, 0},
    {"a.b.sub.example.org", 1, "127.0.0.1", 2525, 0, 0},
    {"sub.example.org", 1, "[10.1.2.3]", 25, 0, 0},       /* via .example.org */
    {"exempt.example.org", 0, 0, 0, 0, 0},                 /* empty relay: MX */
    {"example.org", 1, "default.relay", 24, 0, 0},
    {"six.example", 1, "[::1]", 26, 0, 0},
    {"lit.example", 1, "[IPv6:2001:db8::1]", 25, 0, 0},
    {"[192.0.2.7]", 1, "[192.0.2.8]", 2626, 0, 0},
    {"auth.example", 1, "smarthost", 587, "joe", "secret with blanks"},
    {"nocolon", 1, "default.relay", 24, 0, 0},
    {"", 1, "default.relay", 24, 0, 0},
  };
  check(&rt, c, sizeof c / sizeof c[0]);
  routes_free(&rt);
}

static void t_nodefault(void **st)
{
  (void)st;
  struct routes rt = ROUTES_INIT;
  load(&rt, "example.com:relay\n# comments are gone in ctl_list form\n");
  static const struct lcase c[] = {
    {"example.com", 1, "relay", 25, 0, 0},
    {"other.com", 0, 0, 0, 0, 0},
    {"com", 0, 0, 0, 0, 0},
  };
  check(&rt, c, sizeof c / sizeof c[0]);
  routes_free(&rt);
  load(&rt, "");
  check(&rt, c + 1, 2);
  routes_free(&rt);
}

static void t_bad(void **st)
{
  (void)st;
  struct routes rt = ROUTES_INIT;
  load(&rt, "p0.example:relay:0\np1.example:relay:65536\np2.example:relay:x\np3.example:[::1\n"
            "p4.example:[::1]x\np5.example::25\np6.example:relay:25 useronly\np7.example:relay:\n"
            "first.example:one\nfirst.example:two\n");
  static const struct lcase c[] = {
    {"p0.example", -1, 0, 0, 0, 0}, {"p1.example", -1, 0, 0, 0, 0}, {"p2.example", -1, 0, 0, 0, 0},
    {"p3.example", -1, 0, 0, 0, 0}, {"p4.example", -1, 0, 0, 0, 0}, {"p5.example", -1, 0, 0, 0, 0},
    {"p6.example", -1, 0, 0, 0, 0}, {"p7.example", -1, 0, 0, 0, 0},
    {"first.example", 1, "one", 25, 0, 0},                 /* first entry wins */
  };
  check(&rt, c, sizeof c / sizeof c[0]);
  routes_free(&rt);
}

/* Reparsing replaces the old table. */
static void t_reparse(void **st)
{
  (void)st;
  struct routes rt = ROUTES_INIT;
  load(&rt, "a.example:one\n");
  load(&rt, "b.example:two:99\n");
  static const struct lcase c[] = {{"a.example", 0, 0, 0, 0, 0}, {"b.example", 1, "two", 99, 0, 0}};
  check(&rt, c, 2);
  routes_free(&rt);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_walk), cmocka_unit_test(t_nodefault), cmocka_unit_test(t_bad),
    cmocka_unit_test(t_reparse),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
