#include "bounce.h"
#include "date822.h"
#include <string.h>

enum bounce_kind bounce_kind(const char *sender, const char *doublebounceto)
{
  if (!strcmp(sender, "#@[]")) return BOUNCE_TRIPLE;
  if (*sender) return BOUNCE_SENDER;
  if (!doublebounceto || !*doublebounceto) return BOUNCE_DISCARD;
  return BOUNCE_DOUBLE;
}

int bounce_block(sb *out, const char *rcpt, const char *report, size_t n)
{
  size_t start = out->len, body;
  if (!sb_catc(out, '<')) return 0;
  body = out->len;
  if (!sb_cats(out, rcpt)) return 0;
  for (size_t i = body; i < out->len; ++i)
    if (out->s[i] == '\n') out->s[i] = '_';
  if (!sb_cats(out, ">:\n")) return 0;
  body = out->len;
  if (!sb_catb(out, report, n)) return 0;
  for (size_t i = body; i < out->len; ++i)
    if (!out->s[i]) out->s[i] = '_';
  while (out->len > body && out->s[out->len - 1] == '\n') sb_trunc(out, out->len - 1);
  if (out->len > body && !sb_catc(out, '\n')) return 0;
  /* no blank lines inside the block: the second newline becomes '/' */
  for (size_t i = out->len - 1; i > start + 1; --i)
    if (out->s[i - 1] == '\n' && out->s[i - 2] == '\n') out->s[i - 1] = '/';
  return sb_catc(out, '\n');
}

int bounce_lifetime(sb *report)
{
  if (report->len && report->s[report->len - 1] != '\n' && !sb_catc(report, '\n')) return 0;
  return sb_cats(report, BOUNCE_LIFETIME) && sb_catc(report, '\n');
}

int bounce_custom(sb *out, const char *raw, size_t n)
{
  size_t i = 0;
  out->len = 0;
  if (!sb_ready(out, 0)) return 0;
  out->s[0] = 0;
  while (i < n) {
    const char *nl = memchr(raw + i, '\n', n - i);
    size_t e = nl ? (size_t)(nl - raw) : n, t = e;
    while (t > i && (raw[t - 1] == ' ' || raw[t - 1] == '\t' || raw[t - 1] == '\r')) --t;
    if (t > i && raw[i] != '#') {
      if (!sb_catb(out, raw + i, t - i) || !sb_catc(out, '\n')) return 0;
      for (size_t k = out->len - 1 - (t - i); k < out->len - 1; ++k)
        if (!out->s[k]) out->s[k] = ' ';
    }
    i = e + 1;
  }
  return 1;
}

static int atext(unsigned char c)
{
  if (c >= 'a' && c <= 'z') return 1;
  if (c >= 'A' && c <= 'Z') return 1;
  if (c >= '0' && c <= '9') return 1;
  return c && strchr("!#$%&'*+-/=?^_`{|}~", c) != 0;
}

static int dotatom(const char *s, size_t n)
{
  if (!n || s[0] == '.' || s[n - 1] == '.') return 0;
  for (size_t i = 0; i < n; ++i) {
    if (s[i] == '.') { if (s[i + 1] == '.') return 0; continue; }
    if (!atext((unsigned char)s[i])) return 0;
  }
  return 1;
}

int bounce_quote(sb *out, const char *addr)
{
  size_t n = strlen(addr), at = n;
  while (at > 0 && addr[at - 1] != '@') --at;
  at = at ? at - 1 : n;                 /* index of the last '@', or n */
  if (!n) return 1;
  if (dotatom(addr, at)) return sb_cats(out, addr);
  if (!sb_catc(out, '"')) return 0;
  for (size_t i = 0; i < at; ++i) {
    if ((addr[i] == '"' || addr[i] == '\\') && !sb_catc(out, '\\')) return 0;
    if (!sb_catc(out, addr[i] == '\n' ? '_' : addr[i])) return 0;
  }
  if (!sb_catc(out, '"')) return 0;
  return sb_cats(out, addr + at);
}

int bounce_head(sb *out, const struct bounce_msg *b, time_t now)
{
  if (!sb_cats(out, "Date: ") || !date822(out, now)) return 0;
  if (!sb_cats(out, "\nFrom: ") || !bounce_quote(out, b->bouncefrom) ||
      !sb_catc(out, '@') || !sb_cats(out, b->bouncehost)) return 0;
  if (!sb_cats(out, "\nTo: ") || !bounce_quote(out, b->to)) return 0;
  if (!sb_cats(out, "\nSubject: failure notice\n\nHi. This is the qmail-send program at ") ||
      !sb_cats(out, b->bouncehost)) return 0;
  if (!sb_cats(out, b->dbl
        ? ".\nI tried to deliver a bounce message to this address, but the bounce bounced!\n\n"
        : ".\nI'm afraid I wasn't able to deliver your message to the following addresses.\n"
          "This is a permanent error; I've given up. Sorry it didn't work out.\n\n")) return 0;
  if (b->custom && b->custom->len)
    if (!sb_catsb(out, b->custom) || !sb_catc(out, '\n')) return 0;
  return 1;
}

int bounce_tail(sb *out, const struct bounce_msg *b)
{
  if (!sb_cats(out, b->dbl ? "--- Below this line is the original bounce.\n\n"
                           : "--- Below this line is a copy of the message.\n\n")) return 0;
  if (!sb_cats(out, "Return-Path: <") || !bounce_quote(out, b->sender)) return 0;
  return sb_cats(out, ">\n");
}
