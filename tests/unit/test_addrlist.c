#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "addrlist.h"

const char *progname = "test_addrlist";

static const char list[] = "Joe@Example.COM\0@spam.example\0bad@\0catchall@catch.example\0"
                           "plain\0\0zed@z.example\0";

static void t_match(void **st)
{
  enum { F = AL_FULL, D = AL_DOMAIN, U = AL_USER, C = AL_CATCHALL, ALL = F | D | U };
  static const struct { const char *addr; unsigned forms; int want; } c[] = {
    {"joe@example.com", F, 1}, {"JOE@EXAMPLE.COM", F, 1}, {"joe@example.com", D | U, 0},
    {"joe@example.co", ALL, 0}, {"xjoe@example.com", ALL, 0},
    {"anyone@spam.example", D, 1}, {"anyone@SPAM.example", D, 1}, {"anyone@spam.example", F | U, 0},
    {"anyone@sub.spam.example", ALL, 0}, {"a@b@spam.example", D, 1},
    {"bad@anywhere.example", U, 1}, {"BAD@x", U, 1}, {"bad@anywhere.example", F | D, 0}, {"bad", ALL, 0},
    {"plain", F, 1}, {"plain", D | U, 0}, {"Plain", F, 1},
    {"x@catch.example", C, 1}, {"x@catch.example", ALL, 0}, {"catchall@catch.example", F, 1},
    {"zed@z.example", F, 1}, {"", ALL | C, 0}, {"@", ALL | C, 0}, {"@spam.example", D, 1},
  };
  struct addrlist l = ADDRLIST_INIT;
  (void)st;
  assert_true(addrlist_init(&l, list, sizeof list - 1));
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    int got = addrlist_match(&l, c[i].addr, strlen(c[i].addr), c[i].forms);
    if (got != c[i].want) fail_msg("case %zu %s forms %u: got %d want %d", i, c[i].addr, c[i].forms, got, c[i].want);
  }
  addrlist_free(&l);
}

static void t_edges(void **st)
{
  struct addrlist l = ADDRLIST_INIT;
  (void)st;
  assert_true(addrlist_init(&l, "", 0));
  assert_int_equal(addrlist_match(&l, "a@b", 3, AL_FULL), 0);
  /* no final NUL; re-init replaces */
  assert_true(addrlist_init(&l, "a@b\0c@d", 7));
  assert_int_equal(addrlist_match(&l, "c@d", 3, AL_FULL), 1);
  assert_true(addrlist_init(&l, "x@y", 3));
  assert_int_equal(addrlist_match(&l, "c@d", 3, AL_FULL), 0);
  assert_int_equal(addrlist_match(&l, "x@y", 3, AL_FULL), 1);
  /* binary address bytes and a big list stay searchable */
  sb big = SB_INIT;
  for (int i = 0; i < 5000; ++i) { sb_fmt(&big, "user%d@dom%d.example", i, i % 7); sb_cat0(&big); }
  assert_true(addrlist_init(&l, big.s, big.len));
  assert_int_equal(l.n, 5000);
  assert_int_equal(addrlist_match(&l, "USER4999@dom1.example", 21, AL_FULL), 1);
  assert_int_equal(addrlist_match(&l, "user5000@dom2.example", 21, AL_FULL), 0);
  assert_int_equal(addrlist_match(&l, "a\0b@c", 5, AL_FULL), 0);
  sb_free(&big);
  addrlist_free(&l);
}

int main(void)
{
  const struct CMUnitTest tests[] = { cmocka_unit_test(t_match), cmocka_unit_test(t_edges) };
  return cmocka_run_group_tests(tests, 0, 0);
}
