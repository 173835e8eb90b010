#include "smtpreply.h"
#include <stdint.h>
#include <string.h>
#include <strings.h>

static int digit(char c) { return c >= '0' && c <= '9'; }

int smtpreply_line(const char *line, size_t len, unsigned *code)
{
  if (len < 3 || !digit(line[0]) || !digit(line[1]) || !digit(line[2])) { *code = 0; return 1; }
  *code = (unsigned)(line[0] - '0') * 100 + (unsigned)(line[1] - '0') * 10 + (unsigned)(line[2] - '0');
  return !(len > 3 && line[3] == '-');
}

int smtpreply_class(unsigned code)
{
  if (code >= 200 && code < 400) return 2;
  if (code >= 500 && code < 600) return 5;
  return 4;
}

/* Keep one line of text, within SR_TEXTMAX. */
static int keep(sb *text, const char *p, size_t n)
{
  size_t room = text->len < SR_TEXTMAX ? SR_TEXTMAX - text->len : 0;
  for (size_t i = 0; i < n && room > 1; ++i) {
    char c = p[i];
    if (c == '\r') continue;
    if (!sb_catc(text, c ? c : '?')) return 0;
    --room;
  }
  if (room && !sb_catc(text, '\n')) return 0;
  return 1;
}

int smtpreply_read(struct rd *r, unsigned *code, sb *text)
{
  sb line = SB_INIT, rest = SB_INIT;
  size_t total = 0;
  int k;
  text->len = 0;
  if (!sb_ready(text, 0)) return RD_ERR;
  text->s[0] = 0;
  for (;;) {
    k = rd_line(r, &line, '\n', SR_LINEMAX);
    if (!add_size(total, line.len + 1, &total)) total = SIZE_MAX;
    /* the tail of an overlong line is read in pieces and dropped */
    while (k == RD_TOOLONG && total <= SR_TOTALMAX) {
      k = rd_line(r, &rest, '\n', SR_LINEMAX);
      if (k == RD_EOF) k = RD_PARTIAL;
      if (!add_size(total, rest.len, &total)) total = SIZE_MAX;
    }
    if (total > SR_TOTALMAX) { k = RD_TOOLONG; break; }
    if (k == RD_EOF && text->len) k = RD_PARTIAL;     /* inside a multiline reply */
    if (k != RD_OK) break;
    if (!keep(text, line.s, line.len)) { k = RD_ERR; break; }
    if (smtpreply_line(line.s, line.len, code)) break;
  }
  sb_free(&line);
  sb_free(&rest);
  return k;
}

int smtpreply_ehlo(const char *text, size_t len, const char *kw, const char **param, size_t *plen)
{
  size_t kl = strlen(kw), i = 0;
  while (i < len) {
    const char *nl = memchr(text + i, '\n', len - i);
    size_t end = nl ? (size_t)(nl - text) : len;
    if (end - i > 4) {
      const char *p = text + i + 4;
      size_t n = end - i - 4;
      if (n >= kl && !strncasecmp(p, kw, kl) && (n == kl || p[kl] == ' ' || p[kl] == '\t')) {
        size_t j = kl;
        while (j < n && (p[j] == ' ' || p[j] == '\t')) ++j;
        *param = p + j;
        *plen = n - j;
        return 1;
      }
    }
    i = end + 1;
  }
  return 0;
}

int smtpreply_endswith(const char *text, size_t len, const char *cookie, size_t clen)
{
  if (len && text[len - 1] == '\n') --len;
  while (len && (text[len - 1] == ' ' || text[len - 1] == '\t')) --len;
  if (!clen || len < clen) return 0;
  if (memcmp(text + len - clen, cookie, clen)) return 0;
  /* a whole word: the greeting's last token is the cookie */
  return len == clen || text[len - clen - 1] == ' ' || text[len - clen - 1] == '\t';
}
