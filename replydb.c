#include "replydb.h"
#include <string.h>
#include <strings.h>

static int hexval(const char *s, size_t n, uint64_t *v)
{
  uint64_t x = 0;
  if (!n || n > 16) return 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[i];
    unsigned d;
    if (c >= '0' && c <= '9') d = (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') d = (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') d = (unsigned)(c - 'A' + 10);
    else return 0;
    x = x << 4 | d;
  }
  *v = x;
  return 1;
}

int replydb_update(const char *db, size_t len, const char *texthash, const char *sender,
                   time_t now, time_t interval, sb *out)
{
  sb keep = SB_INIT;
  size_t i = 0, sl = strlen(sender);
  int same = 0;
  const char *nl = memchr(db, '\n', len);
  if (nl && (size_t)(nl - db) == 7 + strlen(texthash) && !strncmp(db, "QRDBv1:", 7) &&
      !strncmp(db + 7, texthash, strlen(texthash))) {
    same = 1;
    i = (size_t)(nl - db) + 1;
  }
  while (same && i < len) {
    const char *l = db + i;
    const char *e = memchr(l, '\n', len - i);
    if (!e) break;
    size_t ll = (size_t)(e - l);
    i += ll + 1;
    const char *colon = memrchr(l, ':', ll);
    uint64_t t;
    if (!colon || !hexval(colon + 1, ll - (size_t)(colon - l) - 1, &t)) continue;
    /* in unsigned arithmetic: a time from an edited file may be beyond
     * time_t (16 hex digits), and now - t must not overflow */
    if (now < 0 || t > (uint64_t)now || (uint64_t)now - t >= (uint64_t)(interval < 0 ? 0 : interval))
      continue;                                                          /* future or expired */
    if ((size_t)(colon - l) == sl && !strncasecmp(l, sender, sl)) { sb_free(&keep); return 0; }
    if (!sb_catb(&keep, l, ll + 1)) { sb_free(&keep); return -1; }
  }
  out->len = 0;
  if (!sb_cats(out, "QRDBv1:") || !sb_cats(out, texthash) || !sb_catc(out, '\n')) { sb_free(&keep); return -1; }
  /* drop the oldest lines (at the front) to stay under the limit */
  size_t start = 0, need = out->len + sl + 20;
  while (keep.len - start + need > REPLYDB_MAX) {
    const char *e = memchr(keep.s + start, '\n', keep.len - start);
    if (!e) { start = keep.len; break; }
    start = (size_t)(e - keep.s) + 1;
  }
  int ok = sb_catb(out, keep.s ? keep.s + start : "", keep.len - start) && sb_cats(out, sender) &&
           sb_fmt(out, ":%llx\n", (unsigned long long)now);
  sb_free(&keep);
  return ok ? 1 : -1;
}
