#include "qslog.h"
#include <string.h>

int qslog_safe(sb *out, const char *s, size_t n)
{
  size_t start = out->len;
  if (!sb_catb(out, s, n)) return 0;
  for (size_t i = start; i < out->len; ++i) {
    unsigned char c = (unsigned char)out->s[i];
    if (c == '\n') out->s[i] = '/';
    else if (c < 33 || c > 126 || c == '%') out->s[i] = '_';
  }
  return 1;
}

int qslog_safes(sb *out, const char *s) { return qslog_safe(out, s, strlen(s)); }
