/* tlspolicy: parsing and per-domain matching of control/tlsdestinations,
 * table-driven (got/want), the smtproutes key rules included. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "sb.h"
#include "tlspolicy.h"

const char *progname = "test_tlspolicy";

/* ctl_list form: entries separated by '\0' */
static void load(sb *l, const char *lines)
{
  l->len = 0;
  for (const char *p = lines; *p; ++p) assert_true(sb_catc(l, *p == '\n' ? 0 : *p));
}

struct lcase { const char *domain; int want; };

static void check(const sb *l, const struct lcase *c, size_t n)
{
  for (size_t i = 0; i < n; ++i) {
    int k = tlspolicy_lookup(l->s, l->len, c[i].domain, strlen(c[i].domain));
    if (k != c[i].want)
      print_error("%s: got %s want %s\n", c[i].domain, tlspolicy_name(k), tlspolicy_name(c[i].want));
    assert_int_equal(k, c[i].want);
  }
}

static void t_words(void **st)
{
  (void)st;
  static const struct { const char *w; int want; } c[] = {
    {"none", TLSP_NONE}, {"may", TLSP_MAY}, {"encrypt", TLSP_ENCRYPT}, {"verify", TLSP_VERIFY},
    {"VERIFY", TLSP_VERIFY}, {" Encrypt\t", TLSP_ENCRYPT}, {"", TLSP_BAD}, {"verif", TLSP_BAD},
    {"verifyy", TLSP_BAD}, {"secure", TLSP_BAD}, {"may encrypt", TLSP_BAD}, {"nonE", TLSP_NONE},
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    int k = tlspolicy_word(c[i].w, strlen(c[i].w));
    if (k != c[i].want) print_error("[%s]: got %d want %d\n", c[i].w, k, c[i].want);
    assert_int_equal(k, c[i].want);
  }
  assert_string_equal(tlspolicy_name(TLSP_NONE), "none");
  assert_string_equal(tlspolicy_name(TLSP_VERIFY), "verify");
  assert_string_equal(tlspolicy_name(TLSP_BAD), "bad");
  assert_string_equal(tlspolicy_name(17), "bad");
}

static void t_walk(void **st)
{
  (void)st;
  sb l = SB_INIT;
  load(&l, "example.com:verify\n.example.com:encrypt\nExempt.Example.Com:none\n"
           ".sub.example.org:verify\n.example.org:encrypt\nexample.org:none\n"
           "[192.0.2.7]:verify\nnocolon\ntypo.example:verfy\nempty.example:\n"
           "first.example:encrypt\nfirst.example:none\n:may\n");
  static const struct lcase c[] = {
    {"example.com", TLSP_VERIFY},
    {"EXAMPLE.com", TLSP_VERIFY},
    {"mx.example.com", TLSP_ENCRYPT},         /* "example.com" is exact, ".example.com" the subdomains */
    {"a.b.example.com", TLSP_ENCRYPT},
    {"exempt.example.com", TLSP_NONE},        /* exact beats the suffix */
    {"x.exempt.example.com", TLSP_ENCRYPT},
    {"x.sub.example.org", TLSP_VERIFY},       /* the longest suffix wins */
    {"sub.example.org", TLSP_ENCRYPT},        /* ".sub.example.org" is not sub.example.org itself */
    {"example.org", TLSP_NONE},
    {"notexample.org", TLSP_MAY},             /* a suffix only at a dot */
    {"[192.0.2.7]", TLSP_VERIFY},
    {"[192.0.2.8]", TLSP_MAY},
    {"typo.example", TLSP_BAD},               /* never weakened to a default */
    {"empty.example", TLSP_BAD},
    {"first.example", TLSP_ENCRYPT},          /* the first of equal keys */
    {"nocolon", TLSP_MAY},                    /* lines without ':' are ignored */
    {"other.example", TLSP_MAY},
    {"", TLSP_MAY},
  };
  check(&l, c, sizeof c / sizeof c[0]);
  sb_free(&l);
}

static void t_default(void **st)
{
  (void)st;
  sb l = SB_INIT;
  static const struct lcase none[] = {{"example.com", TLSP_MAY}, {"", TLSP_MAY}};
  check(&l, none, 2);                                 /* no file: may */
  assert_int_equal(tlspolicy_lookup(0, 0, "x.example", 9), TLSP_MAY);
  load(&l, ":verify\nlegacy.example:none\n.lan:may\n");
  static const struct lcase c[] = {
    {"example.com", TLSP_VERIFY}, {"legacy.example", TLSP_NONE}, {"a.legacy.example", TLSP_VERIFY},
    {"host.lan", TLSP_MAY}, {"lan", TLSP_VERIFY},
  };
  check(&l, c, sizeof c / sizeof c[0]);
  load(&l, ":bogus\nok.example:encrypt\n");
  static const struct lcase b[] = {{"ok.example", TLSP_ENCRYPT}, {"x.example", TLSP_BAD}};
  check(&l, b, 2);
  sb_free(&l);
}

/* a domain of 1000 labels: the walk stays linear and bounded */
static void t_long(void **st)
{
  (void)st;
  sb l = SB_INIT, d = SB_INIT;
  load(&l, ".deep.example:verify\n");
  for (int i = 0; i < 1000; ++i) assert_true(sb_cats(&d, "a."));
  assert_true(sb_cats(&d, "deep.example"));
  assert_int_equal(tlspolicy_lookup(l.s, l.len, d.s, d.len), TLSP_VERIFY);
  d.len -= 13;                                        /* ".deep.example" gone: "a.a....a" */
  assert_int_equal(tlspolicy_lookup(l.s, l.len, d.s, d.len), TLSP_MAY);
  sb_free(&l);
  sb_free(&d);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_words), cmocka_unit_test(t_walk), cmocka_unit_test(t_default), cmocka_unit_test(t_long),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
