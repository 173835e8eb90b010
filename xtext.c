#include "xtext.h"

int xtext_encode(sb *out, const char *p, size_t n)
{
  static const char hex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = (unsigned char)p[i];
    if (c >= 33 && c <= 126 && c != '+' && c != '=') {
      if (!sb_catc(out, (char)c)) return 0;
      continue;
    }
    char e[3] = {'+', hex[c >> 4], hex[c & 15]};
    if (!sb_catb(out, e, 3)) return 0;
  }
  return 1;
}
