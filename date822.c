#include "date822.h"

int date822(sb *out, time_t t)
{
  static const char *const day[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  struct tm tm;
  if (!gmtime_r(&t, &tm)) return 0;
  return sb_fmt(out, "%s, %d %s %d %02d:%02d:%02d +0000", day[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon],
                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}
