#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "date822.h"

const char *progname = "test_date822";

static void t_table(void **st)
{
  static const struct { time_t t; const char *want; } c[] = {
    {0, "Thu, 1 Jan 1970 00:00:00 +0000"},
    {-1, "Wed, 31 Dec 1969 23:59:59 +0000"},
    {951782400, "Tue, 29 Feb 2000 00:00:00 +0000"},
    {1795501880, "Tue, 24 Nov 2026 06:31:20 +0000"},
    {4102444799, "Thu, 31 Dec 2099 23:59:59 +0000"},
    {4107542400, "Mon, 1 Mar 2100 00:00:00 +0000"},  /* 2100 is no leap year */
  };
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    sb out = SB_INIT;
    assert_true(date822(&out, c[i].t));
    assert_true(sb_cat0(&out));
    if (strcmp(out.s, c[i].want)) fail_msg("%lld: got [%s] want [%s]", (long long)c[i].t, out.s, c[i].want);
    sb_free(&out);
  }
}

/* The same as gmtime_r for every day 1900..2200 and odd seconds. */
static void t_gmtime(void **st)
{
  static const char *const day[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  (void)st;
  for (int64_t t = -2208988800LL; t < 7258118400LL; t += 86400 + 3599) {
    struct tm tm;
    char want[64];
    time_t tt = (time_t)t;
    assert_non_null(gmtime_r(&tt, &tm));
    snprintf(want, sizeof want, "%s, %d %s %d %02d:%02d:%02d +0000", day[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon],
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    sb out = SB_INIT;
    assert_true(date822(&out, tt) && sb_cat0(&out));
    if (strcmp(out.s, want)) fail_msg("%lld: got [%s] want [%s]", (long long)t, out.s, want);
    sb_free(&out);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {cmocka_unit_test(t_table), cmocka_unit_test(t_gmtime)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
