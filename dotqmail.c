#include "dotqmail.h"
#include "quote.h"
#include <string.h>

void dq_classify(const char *line, size_t len, struct dq_line *out)
{
  const char *z = memchr(line, 0, len);
  if (z) len = (size_t)(z - line);
  while (len && (line[len - 1] == ' ' || line[len - 1] == '\t')) --len;
  out->s = line; out->len = len;
  if (!len) { out->kind = DQ_BLANK; return; }
  switch (line[0]) {
  case '#': out->kind = DQ_COMMENT; break;
  case '|': out->kind = DQ_PROGRAM; out->s++; out->len--; break;
  case '+': out->kind = DQ_PLUS; out->s++; out->len--; break;
  case '.': case '/': out->kind = line[len - 1] == '/' ? DQ_MAILDIR : DQ_MBOX; break;
  case '&': out->kind = DQ_FORWARD; out->s++; out->len--; break;
  default: out->kind = DQ_FORWARD; break;
  }
}

int dq_next(const char *buf, size_t len, size_t *pos, struct dq_line *out)
{
  const char *nl;
  size_t n;
  if (*pos >= len) return 0;
  nl = memchr(buf + *pos, '\n', len - *pos);
  n = nl ? (size_t)(nl - (buf + *pos)) : len - *pos;
  dq_classify(buf + *pos, n, out);
  *pos += n + (nl ? 1 : 0);
  return 1;
}

int dq_safeext(sb *out, const char *ext)
{
  if (!sb_copys(out, ext)) return 0;
  sb_lower(out);
  for (size_t i = 0; i < out->len; ++i)
    if (out->s[i] == '.') out->s[i] = ':';
  return 1;
}

static int build(sb *name, const char *dash, const char *ext, size_t n, const char *tail)
{
  return sb_copys(name, ".qmail") && sb_cats(name, dash) && sb_catb(name, ext, n) && sb_cats(name, tail);
}

int dq_search(const char *dash, const char *ext, int (*try)(void *ctx, const char *name),
              void *ctx, size_t *defpos)
{
  sb safe = SB_INIT, name = SB_INIT;
  size_t extlen = strlen(ext);
  int r = -1;
  *defpos = SIZE_MAX;
  if (!dq_safeext(&safe, ext) || !build(&name, dash, safe.s, safe.len, "")) goto out;
  r = try(ctx, name.s);
  if (r) {
    /* qmail: a literal .qmail-...default also sets $DEFAULT */
    if (r == 1 && safe.len >= 7 && !memcmp(safe.s + safe.len - 7, "default", 7)) *defpos = safe.len - 7;
    goto out;
  }
  for (size_t i = safe.len + 1; i-- > 0;) {
    if (i && safe.s[i - 1] != '-') continue;
    r = -1;
    if (!build(&name, dash, safe.s, i, "default")) goto out;
    r = try(ctx, name.s);
    if (r == 1 && i <= extlen) *defpos = i;
    if (r) goto out;
  }
  r = 0;
out:
  sb_free(&safe); sb_free(&name);
  return r;
}

int dq_newsender(sb *out, const char *sender, const char *local, const char *host,
                 const char *dash, const char *safeext,
                 int (*exists)(void *ctx, const char *name), void *ctx)
{
  sb name = SB_INIT;
  int r = -1, e;
  if (!sb_copys(out, sender)) goto out;
  if (!*sender || !strcmp(sender, "#@[]")) { r = 0; goto out; }
  if (!sb_copys(&name, ".qmail") || !sb_cats(&name, dash) || !sb_cats(&name, safeext) ||
      !sb_cats(&name, "-owner")) goto out;
  e = exists(ctx, name.s);
  if (e <= 0) { r = e; goto out; }
  if (!sb_cats(&name, "-default")) goto out;
  e = exists(ctx, name.s);
  if (e < 0) goto out;
  if (!sb_copys(out, local) || !sb_cats(out, e ? "-owner-@" : "-owner@") || !sb_cats(out, host) ||
      (e && !sb_cats(out, "-@[]"))) goto out;
  r = 0;
out:
  sb_free(&name);
  return r;
}

static void newline_to(sb *b, size_t from, char c)
{
  for (size_t i = from; i < b->len; ++i)
    if (b->s[i] == '\n') b->s[i] = c;
}

int dq_dtline(sb *out, const char *local, const char *host)
{
  if (!sb_copys(out, "Delivered-To: ") || !sb_cats(out, local) || !sb_catc(out, '@') ||
      !sb_cats(out, host)) return 0;
  newline_to(out, 0, '_');
  return sb_catc(out, '\n');
}

int dq_rpline(sb *out, const char *sender)
{
  if (!sb_copys(out, "Return-Path: <") || !quote_addr(out, sender, strlen(sender))) return 0;
  newline_to(out, 0, '_');
  return sb_cats(out, ">\n");
}

int dq_ufline(sb *out, const char *sender, time_t when)
{
  static const char day[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char mon[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  struct tm tm;
  size_t from;
  if (!sb_copys(out, "From ")) return 0;
  from = out->len;
  if (!sb_cats(out, *sender ? sender : "MAILER-DAEMON")) return 0;
  for (size_t i = from; i < out->len; ++i)
    if (out->s[i] == ' ' || out->s[i] == '\t' || out->s[i] == '\n') out->s[i] = '-';
  if (!gmtime_r(&when, &tm)) memset(&tm, 0, sizeof tm);
  return sb_fmt(out, " %s %s %2d %02d:%02d:%02d %d\n", day[tm.tm_wday % 7], mon[tm.tm_mon % 12],
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
}

const char *dq_extn(const char *ext, int n)
{
  for (int i = 1; i < n; ++i) {
    const char *d = strchr(ext, '-');
    if (!d) return ext + strlen(ext);
    ext = d + 1;
  }
  return ext;
}

int dq_hostn(sb *out, const char *host, int n)
{
  size_t i = strlen(host);
  for (int k = 1; k < n; ++k) {          /* qmail: no dot left keeps i */
    size_t j = i;
    while (j && host[j - 1] != '.') --j;
    if (j) i = j - 1;
  }
  return sb_copyb(out, host, i);
}

int dq_is_loop(const char *line, size_t len, const sb *dtline)
{
  return dtline->len && len == dtline->len - 1 && dtline->s[len] == '\n' && !memcmp(line, dtline->s, len);
}

int dq_prog_exit(int code)
{
  switch (code) {
  case 0: return DQ_PROG_OK;
  case 99: return DQ_PROG_STOP;
  case 100: case 64: case 65: case 70: case 76: case 77: case 78: case 112: return DQ_PROG_HARD;
  default: return DQ_PROG_SOFT;
  }
}
