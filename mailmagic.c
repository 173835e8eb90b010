#include "mailmagic.h"
#include <string.h>
#include <strings.h>

/* length of the header block, up to and including the newline that
 * precedes the empty line */
static size_t hdrlen(const char *h, size_t len)
{
  if (len && h[0] == '\n') return 0;
  for (size_t i = 0; i + 1 < len; ++i)
    if (h[i] == '\n' && (h[i + 1] == '\n' || (h[i + 1] == '\r' && i + 2 < len && h[i + 2] == '\n')))
      return i + 1;
  return len;
}

int mm_header(const char *hdr, size_t len, const char *name, sb *value)
{
  size_t n = strlen(name), end = hdrlen(hdr, len), i = 0;
  value->len = 0;
  if (!sb_catb(value, "", 0)) return 0;
  while (i < end) {
    const char *l = hdr + i;
    const char *nl = memchr(l, '\n', end - i);
    size_t ll = nl ? (size_t)(nl - l) : end - i;
    i += ll + 1;
    if (ll > n && l[n] == ':' && !strncasecmp(l, name, n)) {
      size_t s = n + 1;
      while (s < ll && (l[s] == ' ' || l[s] == '\t')) ++s;
      size_t e = ll;
      if (e > s && l[e - 1] == '\r') --e;
      if (!sb_catb(value, l + s, e - s)) return 0;
      /* continuation lines */
      while (i < end && (hdr[i] == ' ' || hdr[i] == '\t')) {
        const char *c = hdr + i;
        const char *cn = memchr(c, '\n', end - i);
        size_t cl = cn ? (size_t)(cn - c) : end - i;
        i += cl + 1;
        if (cl && c[cl - 1] == '\r') --cl;
        if (!sb_catb(value, c, cl)) return 0;
      }
      return 1;
    }
  }
  return 0;
}

static int word_in(const char *v, const char *w)
{
  size_t n = strlen(w);
  while (*v == ' ' || *v == '\t') ++v;
  return !strncasecmp(v, w, n) && (v[n] == 0 || strchr(" \t;,", v[n]));
}

int mm_is_bulk(const char *hdr, size_t len)
{
  sb v = SB_INIT;
  int bulk = 0;
  if (mm_header(hdr, len, "Precedence", &v) &&
      (word_in(v.s, "junk") || word_in(v.s, "bulk") || word_in(v.s, "list")))
    bulk = 1;
  else if (mm_header(hdr, len, "Mailing-List", &v) || mm_header(hdr, len, "List-Id", &v) ||
           mm_header(hdr, len, "X-RBL", &v))
    bulk = 1;
  else if (mm_header(hdr, len, "X-Spam-Status", &v) && word_in(v.s, "yes"))
    bulk = 1;
  else if (mm_header(hdr, len, "Auto-Submitted", &v) && !word_in(v.s, "no"))
    bulk = 1;
  sb_free(&v);
  return bulk;
}

static const char builtin[] =
  "-request\0daemon\0-daemon\0uucp\0mailer-daemon\0mailer\0postmaster\0root\0-relay\0";

static int match(const char *sender, const char *pat)
{
  const char *at = strrchr(sender, '@');
  size_t llen = at ? (size_t)(at - sender) : strlen(sender);
  size_t pl = strlen(pat);
  if (!pl) return 0;
  if (!strcasecmp(sender, pat)) return 1;
  if (pat[0] == '@') return at && !strcasecmp(at, pat);
  if (pat[0] == '-') return llen >= pl && !strncasecmp(sender + llen - pl, pat, pl);
  return llen == pl && !strncasecmp(sender, pat, pl);
}

int mm_sender_junk(const char *sender, const char *extra, size_t extralen)
{
  if (!*sender || !strcmp(sender, "#@[]") || !strchr(sender, '@')) return 1;
  for (const char *p = builtin; *p; p += strlen(p) + 1)
    if (match(sender, p)) return 1;
  for (size_t i = 0; extra && i < extralen; i += strlen(extra + i) + 1)
    if (match(sender, extra + i)) return 1;
  return 0;
}

static int allowed(const char *l, size_t n)
{
  static const char *const ok[] = {"From:", "Subject:", "Content-Type:", "Content-Transfer-Encoding:", 0};
  for (unsigned i = 0; ok[i]; ++i)
    if (n >= strlen(ok[i]) && !strncasecmp(l, ok[i], strlen(ok[i]))) return 1;
  return n > 2 && !strncasecmp(l, "X-", 2) && memchr(l, ':', n) && strncasecmp(l, "X-Mailer:", 9);
}

int mm_split_text(const char *text, size_t len, sb *headers, sb *body)
{
  size_t i = 0;
  headers->len = 0; body->len = 0;
  if (!sb_catb(headers, "", 0) || !sb_catb(body, "", 0)) return 0;
  if (len >= 8 && !strncmp(text, "%HEADER%", 8) && (len == 8 || text[8] == '\n' || text[8] == '\r')) {
    int keep = 0;
    i = 8;
    while (i < len && text[i] != '\n') ++i;
    if (i < len) ++i;
    while (i < len) {
      const char *l = text + i;
      const char *nl = memchr(l, '\n', len - i);
      size_t ll = nl ? (size_t)(nl - l) : len - i;
      size_t cl = ll && l[ll - 1] == '\r' ? ll - 1 : ll;
      i += ll + (nl ? 1 : 0);
      if (!cl) break;
      if (l[0] == ' ' || l[0] == '\t') {
        if (keep && (!sb_catb(headers, l, cl) || !sb_catc(headers, '\n'))) return 0;
        continue;
      }
      keep = allowed(l, cl);
      if (keep && (!sb_catb(headers, l, cl) || !sb_catc(headers, '\n'))) return 0;
    }
  }
  return sb_catb(body, text + i, len - i);
}

int mm_subst(const char *s, const char *key, const char *val, sb *out)
{
  size_t kl = strlen(key);
  out->len = 0;
  if (!sb_catb(out, "", 0)) return 0;
  while (*s) {
    const char *k = strstr(s, key);
    if (!k) return sb_cats(out, s);
    if (!sb_catb(out, s, (size_t)(k - s)) || !sb_cats(out, val)) return 0;
    s = k + kl;
  }
  return 1;
}
