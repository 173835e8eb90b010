#include "qrfmt.h"
#include "date822.h"
#include <string.h>

int qr_info_sender(const char *buf, size_t len, sb *sender)
{
  for (size_t i = 0; i < len;) {
    const char *z = memchr(buf + i, 0, len - i);
    if (!z) return 0;
    size_t n = (size_t)(z - (buf + i));
    if (n && buf[i] == 'F') return sb_copyb(sender, buf + i + 1, n - 1);
    i += n + 1;
  }
  return 0;
}

static int printable(sb *out, const char *s, size_t n)
{
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = (unsigned char)s[i];
    if (!sb_catc(out, c >= 32 && c <= 126 ? (char)c : '_')) return 0;
  }
  return 1;
}

int qr_stats(sb *out, time_t t, uint64_t id, uint64_t size, const char *sender, size_t slen, int bouncing)
{
  sb d = SB_INIT;
  int ok = date822(&d, t);
  /* "Sun, 9 Sep 2001 01:46:40 +0000" -> "9 Sep 2001 01:46:40" */
  ok = ok && d.len > 11 && printable(out, d.s + 5, d.len - 11) &&
       sb_cats(out, " GMT  #") && sb_catu64(out, id) && sb_cats(out, "  ") && sb_catu64(out, size) &&
       sb_cats(out, "  <") && printable(out, sender, slen) && sb_cats(out, "> ") &&
       (!bouncing || sb_cats(out, " bouncing")) && sb_catc(out, '\n');
  sb_free(&d);
  return ok;
}

int qr_rcpt(sb *out, int done, int remote, const char *rcpt, size_t n)
{
  return (!done || sb_cats(out, "  done")) && sb_cats(out, remote ? "\tremote\t" : "\tlocal\t") &&
         printable(out, rcpt, n) && sb_catc(out, '\n');
}
