#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "quota.h"

const char *progname = "test_quota";

static void t_parse(void **st)
{
  static const struct { const char *s; int ok; uint64_t size, count; } c[] = {
    {"", 0, 0, 0}, {"100S", 0, 100, 0}, {"10C", 0, 0, 10}, {"100S,10C", 0, 100, 10},
    {"10C,100S", 0, 100, 10}, {"18446744073709551615S", 0, 18446744073709551615ULL, 0},
    {"18446744073709551616S", -1, 0, 0}, {"100", -1, 0, 0}, {"S", -1, 0, 0}, {"100X", -1, 0, 0},
    {"-5S", -1, 0, 0}, {"100S,", 0, 100, 0},
  };
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    struct quota q;
    int r = quota_parse(c[i].s, &q);
    if (r != c[i].ok) fail_msg("%s: rc %d", c[i].s, r);
    if (!r && (q.size != c[i].size || q.count != c[i].count)) fail_msg("%s: values", c[i].s);
  }
}

static void t_file(void **st)
{
  sb def = SB_INIT;
  struct usage u;
  uint64_t n;
  (void)st;
  const char *f = "100S,10C\n50 1\n-20 -1\n4000000000 2\n";
  assert_int_equal(quota_parse_file(f, strlen(f), &def, &u, &n), 0);
  assert_string_equal(def.s, "100S,10C");
  assert_int_equal(u.size, 4000000030LL);
  assert_int_equal(u.count, 2);
  assert_int_equal(n, 4);
  const char *bad[] = {"100S\n5 1", "100S\nx 1\n", "100S\n5\n", "",
                       "1S\n9223372036854775807 1\n1 1\n"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i)
    if (quota_parse_file(bad[i], strlen(bad[i]), &def, &u, &n) != -1) fail_msg("bad %zu accepted", i);
  sb_free(&def);
}

static void t_over(void **st)
{
  struct quota q = {1000, 3};
  struct usage u = {900, 2};
  (void)st;
  assert_false(quota_over(&q, &u, 100));
  assert_true(quota_over(&q, &u, 101));
  u.count = 3;
  assert_true(quota_over(&q, &u, 1));
  struct quota big = {18446744073709551615ULL, 0};
  struct usage bu = {INT64_MAX, 0};
  assert_false(quota_over(&big, &bu, 1000));
  assert_true(quota_over(&big, &bu, 18446744073709551615ULL));
  struct quota none = {0, 0};
  assert_false(quota_over(&none, &bu, 18446744073709551615ULL));
  struct usage h = {700, 1};
  assert_int_equal(quota_percent(&q, &h), 70);
  struct usage c = {0, 3};
  assert_int_equal(quota_percent(&q, &c), 100);
}

static void t_name(void **st)
{
  uint64_t s;
  (void)st;
  assert_int_equal(quota_name_size("123.456.host,S=2048:2,S", &s), 0);
  assert_int_equal(s, 2048);
  assert_int_equal(quota_name_size("123.456.host", &s), -1);
  assert_int_equal(quota_name_size("1.2.h,S=:2,", &s), -1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {cmocka_unit_test(t_parse), cmocka_unit_test(t_file),
                                     cmocka_unit_test(t_over), cmocka_unit_test(t_name)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
