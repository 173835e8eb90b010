#include "date822.h"
#include <stdint.h>

/* UTC fields by arithmetic (days since 1970-01-01 to a civil date, as in
 * H. Hinnant's days_from_civil inverse): gmtime_r would make glibc load
 * /etc/localtime on the first call, once per short-lived process. */
int date822(sb *out, time_t t)
{
  static const char *const day[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int64_t s = (int64_t)t, days = s / 86400, secs = s % 86400;
  if (secs < 0) { secs += 86400; days -= 1; }
  int wday = (int)((days % 7 + 11) % 7);             /* 1970-01-01 was a Thursday */
  int64_t z = days + 719468;                          /* days since 0000-03-01 */
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;                     /* [0, 146096] */
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;                   /* March = 0 */
  int mday = (int)(doy - (153 * mp + 2) / 5 + 1);
  int month = (int)(mp < 10 ? mp + 3 : mp - 9);       /* 1..12 */
  int64_t year = yoe + era * 400 + (month <= 2);
  return sb_fmt(out, "%s, %d %s %lld %02d:%02d:%02d +0000", day[wday], mday, mon[month - 1], (long long)year,
                (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}
