#include "msgwire.h"
#include <string.h>

void msgscan_init(struct msgscan *m) { memset(m, 0, sizeof *m); m->bol = 1; }

void msgscan_feed(struct msgscan *m, const char *p, size_t n)
{
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = (unsigned char)p[i];
    if (c == '\n' || c == '\r') m->lines++;
    if (c >= 0x80) m->eightbit = 1;
  }
  if (n) m->bol = p[n - 1] == '\n';
  m->bytes += n;
}

uint64_t msgscan_wiresize(const struct msgscan *m)
{
  uint64_t v;
  if (!add_u64(m->bytes, m->lines, &v)) return 0;
  return v;
}

int msgscan_partial(const struct msgscan *m) { return !m->bol; }

void stuff_init(struct stuffer *s) { s->bol = 1; s->cr = 0; }

int stuff_feed(struct stuffer *s, const char *in, size_t n, sb *out)
{
  size_t i = 0;
  while (i < n) {
    if (in[i] == '\r') { s->cr++; ++i; continue; }
    if (s->cr) {
      if (in[i] == '\n') ++i;            /* CR... LF: one line end */
      else {                               /* bare CRs: a line end each */
        for (; s->cr > 1; --s->cr)
          if (!sb_catb(out, "\r\n", 2)) return 0;
      }
      s->cr = 0;
      if (!sb_catb(out, "\r\n", 2)) return 0;
      s->bol = 1;
      continue;
    }
    if (s->bol && in[i] == '.' && !sb_catc(out, '.')) return 0;
    size_t end = i;
    while (end < n && in[end] != '\n' && in[end] != '\r') ++end;
    if (!sb_catb(out, in + i, end - i)) return 0;
    if (end > i) s->bol = 0;
    if (end == n) return 1;
    if (in[end] == '\r') { s->cr = 1; i = end + 1; continue; }
    if (!sb_catb(out, "\r\n", 2)) return 0;
    s->bol = 1;
    i = end + 1;
  }
  return 1;
}

int stuff_end(const struct stuffer *s, sb *out)
{
  if (!s->bol || s->cr) return 0;
  return sb_catb(out, ".\r\n", 3) ? 1 : -1;
}
