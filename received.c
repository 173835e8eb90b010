#include "received.h"
#include "date822.h"
#include <string.h>

static int safe(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (c && strchr(".@%+/=:-_#[]", c));
}

static int put(sb *out, const char *s)
{
  for (; s && *s; ++s)
    if (!sb_catc(out, safe(*s) ? *s : '?')) return 0;
  return 1;
}

int received_fmt(sb *out, const struct received *r, time_t when)
{
  if (!sb_cats(out, "Received: from ") || !put(out, r->remotehost ? r->remotehost : "unknown")) return 0;
  if (r->helo && (!sb_cats(out, " (HELO ") || !put(out, r->helo) || !sb_catc(out, ')'))) return 0;
  if (!sb_cats(out, " (")) return 0;
  if (r->remoteinfo && (!put(out, r->remoteinfo) || !sb_catc(out, '@'))) return 0;
  if (!sb_catc(out, '[') || !put(out, r->remoteip ? r->remoteip : "unknown") || !sb_cats(out, "])\n")) return 0;
  if (!sb_cats(out, "          (envelope-sender <") || !put(out, r->sender)) return 0;
  if (!sb_cats(out, ">)\n          by ") || !put(out, r->local ? r->local : "unknown")) return 0;
  if (!sb_cats(out, " (qmail-ldap-1.03) with ") || !sb_cats(out, r->protocol)) return 0;
  if (!sb_cats(out, "\n          for <") || !put(out, r->rcpt) || !sb_cats(out, ">; ")) return 0;
  return date822(out, when) && sb_catc(out, '\n');
}
