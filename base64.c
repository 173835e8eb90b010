#include "base64.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64_encode(sb *out, const void *p, size_t n)
{
  const unsigned char *s = p;
  for (size_t i = 0; i < n; i += 3) {
    unsigned long v = (unsigned long)s[i] << 16;
    if (i + 1 < n) v |= (unsigned long)s[i + 1] << 8;
    if (i + 2 < n) v |= s[i + 2];
    char q[4] = {alphabet[v >> 18 & 63], alphabet[v >> 12 & 63],
                 i + 1 < n ? alphabet[v >> 6 & 63] : '=', i + 2 < n ? alphabet[v & 63] : '='};
    if (!sb_catb(out, q, 4)) return 0;
  }
  return sb_ready(out, out->len);
}

static int val(char c)
{
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

int b64_decode(sb *out, const char *s, size_t n)
{
  if (n % 4) return 0;
  for (size_t i = 0; i < n; i += 4) {
    int last = i + 4 == n;
    int pad = (s[i + 3] == '=') + (s[i + 2] == '=');
    int a = val(s[i]), b = val(s[i + 1]);
    int c = pad == 2 ? 0 : val(s[i + 2]), d = pad ? 0 : val(s[i + 3]);
    if (a < 0 || b < 0 || c < 0 || d < 0 || (pad && !last)) return 0;
    if (pad == 1 && s[i + 2] == '=') return 0;
    /* canonical (RFC 4648 3.5): the bits padding throws away must be 0,
     * so each byte string has exactly one encoding ("QQ==", not "QR==") */
    if ((pad == 2 && (b & 15)) || (pad == 1 && (c & 3))) return 0;
    unsigned long v = (unsigned long)a << 18 | (unsigned long)b << 12 | (unsigned long)c << 6 | (unsigned long)d;
    char q[3] = {(char)(v >> 16), (char)(v >> 8), (char)v};
    if (!sb_catb(out, q, 3 - (size_t)pad)) return -1;
  }
  return sb_ready(out, out->len) ? 1 : -1;
}
