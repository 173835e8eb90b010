#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "sched.h"

const char *progname = "test_sched";

static void t_isqrt(void **st)
{
  (void)st;
  static const struct { uint64_t x, r; } c[] = {
    {0, 0}, {1, 1}, {2, 1}, {3, 1}, {4, 2}, {99, 9}, {100, 10}, {101, 10},
    {4294967295ULL, 65535}, {4294967296ULL, 65536},
    {18446744073709551615ULL, 4294967295ULL}, {18446744065119617025ULL, 4294967295ULL},
    {18446744065119617024ULL, 4294967294ULL},
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i)
    if (sched_isqrt(c[i].x) != c[i].r)
      fail_msg("isqrt(%llu): got %llu want %llu", (unsigned long long)c[i].x,
               (unsigned long long)sched_isqrt(c[i].x), (unsigned long long)c[i].r);
  for (uint64_t x = 0; x < 100000; ++x) {
    uint64_t r = sched_isqrt(x);
    if (r * r > x || (r + 1) * (r + 1) <= x) fail_msg("isqrt(%llu)", (unsigned long long)x);
  }
}

static void t_nextretry(void **st)
{
  (void)st;
  /* qmail's schedule: remote 0, 400, 1600, 3600, 6400 ...; local 0, 100, 400, 900 ... */
  static const struct { int64_t birth, now; unsigned skip; int64_t want; } c[] = {
    {1000, 1000, SCHED_SKIP_REMOTE, 1400}, {1000, 1399, SCHED_SKIP_REMOTE, 2521}, /* 1000 + (19 + 20)^2 */
    {1000, 1400, SCHED_SKIP_REMOTE, 2600}, {1000, 2600, SCHED_SKIP_REMOTE, 4600},
    {1000, 4600, SCHED_SKIP_REMOTE, 7400},
    {1000, 1000, SCHED_SKIP_LOCAL, 1100}, {1000, 1100, SCHED_SKIP_LOCAL, 1400},
    {1000, 1400, SCHED_SKIP_LOCAL, 1900},
    {1000, 500, SCHED_SKIP_LOCAL, 1100},        /* clock went back */
    {0, 0, 0, 0},
    {INT64_MAX - 10, INT64_MAX - 10, SCHED_SKIP_LOCAL, INT64_MAX},   /* saturates */
    {0, INT64_MAX, SCHED_SKIP_REMOTE, INT64_MAX},
    {-1000, -1000, SCHED_SKIP_LOCAL, -900},
    {INT64_MIN, INT64_MIN, SCHED_SKIP_LOCAL, INT64_MIN + 100},
    {INT64_MIN, INT64_MAX, SCHED_SKIP_LOCAL, INT64_MAX},
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    int64_t got = sched_nextretry(c[i].birth, c[i].now, c[i].skip);
    if (got != c[i].want) fail_msg("case %zu: got %lld want %lld", i, (long long)got, (long long)c[i].want);
  }
}

static void t_dying(void **st)
{
  (void)st;
  assert_false(sched_dying(1000, 1000 + 604800, 604800));
  assert_true(sched_dying(1000, 1000 + 604801, 604800));
  assert_false(sched_dying(1000, 999, 0));
  assert_true(sched_dying(1000, 1001, 0));
  assert_false(sched_dying(INT64_MIN, INT64_MAX, UINT64_MAX));
  assert_true(sched_dying(INT64_MIN, INT64_MAX, UINT64_MAX - 1));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_isqrt), cmocka_unit_test(t_nextretry), cmocka_unit_test(t_dying),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
