#include "quote.h"
#include <string.h>

/* RFC 5322 atext plus RFC 6531's UTF-8 (any byte >= 0x80): a UTF-8 local
 * part goes out as written, not quoted */
static int atext(unsigned char c)
{
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80) return 1;
  return c && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL;
}

int quote_need(const char *s, size_t n)
{
  if (!n) return 1;
  for (size_t i = 0; i < n; ++i)
    if (!atext((unsigned char)s[i])) return 1;
  if (s[0] == '.' || s[n - 1] == '.') return 1;
  for (size_t i = 0; i + 1 < n; ++i)
    if (s[i] == '.' && s[i + 1] == '.') return 1;
  return 0;
}

int quote_addr(sb *out, const char *addr, size_t n)
{
  size_t at = n;
  if (!n) return sb_ready(out, out->len);
  for (size_t i = n; i > 0; --i)
    if (addr[i - 1] == '@') { at = i - 1; break; }
  if (!quote_need(addr, at)) return sb_catb(out, addr, n);
  if (!sb_catc(out, '"')) return 0;
  for (size_t i = 0; i < at; ++i) {
    char c = addr[i];
    if ((c == '\r' || c == '\n' || c == '"' || c == '\\') && !sb_catc(out, '\\')) return 0;
    if (!sb_catc(out, c)) return 0;
  }
  if (!sb_catc(out, '"')) return 0;
  return sb_catb(out, addr + at, n - at);
}
