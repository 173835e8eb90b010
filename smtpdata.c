#include "smtpdata.h"
#include <string.h>

enum { S_BOL, S_MID, S_DOT, S_DOTCR, S_CR };

static int lc(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int ieqn(const char *a, size_t n, const char *b)
{
  if (strlen(b) != n) return 0;
  for (size_t i = 0; i < n; ++i)
    if (lc((unsigned char)a[i]) != b[i]) return 0;
  return 1;
}

static int iprefix(const char *a, size_t n, const char *b)
{
  size_t m = strlen(b);
  if (n < m) return 0;
  for (size_t i = 0; i < m; ++i)
    if (lc((unsigned char)a[i]) != b[i]) return 0;
  return 1;
}

/* ---- REJECTEXEC scanner ---- */

void execscan_init(struct execscan *x, const char *sigs, size_t siglen)
{
  memset(x, 0, sizeof *x);
  x->sigs = sigs;
  x->siglen = siglen;
  x->mode = X_HEADER;
}

int execscan_sigmatch(const char *line, size_t len, const char *sig, size_t siglen)
{
  if (!siglen || len < siglen) return 0;
  for (size_t i = 0; i < siglen; ++i)
    if (sig[i] != '*' && sig[i] != line[i]) return 0;
  return 1;
}

static int anysig(const struct execscan *x, const char *line, size_t len)
{
  for (size_t i = 0; i < x->siglen;) {
    const char *z = memchr(x->sigs + i, 0, x->siglen - i);
    size_t e = z ? (size_t)(z - x->sigs) : x->siglen;
    if (execscan_sigmatch(line, len, x->sigs + i, e - i)) return 1;
    i = e + 1;
  }
  return 0;
}

static int blank(char c) { return c == ' ' || c == '\t'; }

/* At the end of a header: follow a multipart's boundary or step into a
 * message/rfc822; anything else has a first line worth checking. */
static void endheader(struct execscan *x)
{
  const char *p = x->ct, *e = x->ct + x->ctlen;
  while (p < e && blank(*p)) ++p;
  const char *t = p;
  while (p < e && !blank(*p) && *p != ';') ++p;
  if (ieqn(t, (size_t)(p - t), "message/rfc822")) { x->mode = X_HEADER; x->ctlen = 0; x->cttrunc = 0; return; }
  if (!iprefix(t, (size_t)(p - t), "multipart/")) { x->mode = X_FIRSTLINE; return; }
  /* A multipart this scanner cannot follow (boundary cut off by the
   * length limit, too long, nested too deep) could hide an attachment:
   * it counts as a hit. A multipart without any boundary is just broken. */
  x->mode = X_BODY;
  while (p < e) {
    const char *semi = memchr(p, ';', (size_t)(e - p));
    if (!semi) break;
    p = semi + 1;
    while (p < e && blank(*p)) ++p;
    if (!iprefix(p, (size_t)(e - p), "boundary=")) continue;
    p += 9;
    const char *s = p;
    if (p < e && *p == '"') { s = ++p; while (p < e && *p != '"') ++p; }
    else while (p < e && *p != ';' && !blank(*p)) ++p;
    size_t n = (size_t)(p - s);
    if (!n) break;
    if (n > SD_BOUNDARYLEN || x->depth >= SD_MAXBOUNDARY || (p == e && x->cttrunc)) { x->found = 1; return; }
    x->b[x->depth].s[0] = '-';
    x->b[x->depth].s[1] = '-';
    memcpy(x->b[x->depth].s + 2, s, n);
    x->b[x->depth].len = n + 2;
    x->depth++;
    return;
  }
  if (x->cttrunc) x->found = 1;
}

/* A boundary line of an enclosing multipart: a new part header follows,
 * or, for the closing "--b--", that multipart ends. */
static int boundary(struct execscan *x, const char *line, size_t len)
{
  if (len < 2 || line[0] != '-' || line[1] != '-') return 0;
  for (unsigned k = x->depth; k-- > 0;) {
    size_t bl = x->b[k].len;
    if (len < bl || memcmp(line, x->b[k].s, bl)) continue;
    if (len >= bl + 2 && line[bl] == '-' && line[bl + 1] == '-') {
      x->depth = k;
      x->mode = X_BODY;
    } else {
      x->depth = k + 1;
      x->mode = X_HEADER;
      x->ctlen = 0;
      x->cttrunc = 0;
      x->ctype = 0;
    }
    return 1;
  }
  return 0;
}

static void addct(struct execscan *x, const char *p, size_t n)
{
  size_t room = sizeof x->ct - x->ctlen;
  if (n > room) { n = room; x->cttrunc = 1; }
  memcpy(x->ct + x->ctlen, p, n);
  x->ctlen += n;
}

void execscan_line(struct execscan *x, const char *line, size_t len)
{
  if (x->found) return;
  if (len && line[len - 1] == '\r') --len;
  switch (x->mode) {
  case X_HEADER:
    if (!len) { x->ctype = 0; endheader(x); return; }
    if (blank(line[0])) { if (x->ctype) addct(x, line, len); return; }
    x->ctype = iprefix(line, len, "content-type:");
    if (x->ctype) { x->ctlen = 0; x->cttrunc = 0; addct(x, line + 13, len - 13); }
    return;
  case X_FIRSTLINE:
    if (boundary(x, line, len)) return;
    if (anysig(x, line, len)) x->found = 1;
    x->mode = X_BODY;
    return;
  default:
    boundary(x, line, len);
    return;
  }
}

/* ---- DATA ---- */

void smtpdata_init(struct smtpdata *d, uint64_t limit, struct execscan *exec)
{
  memset(d, 0, sizeof *d);
  d->state = S_BOL;
  d->inheader = 1;
  d->limit = limit;
  d->exec = exec;
}

/* A header field name ends at ':': count the hops. */
static void fieldname(struct smtpdata *d)
{
  if (ieqn(d->name, d->namelen, "received") || ieqn(d->name, d->namelen, "delivered-to"))
    if (++d->hops >= SD_MAXHOPS) d->fail |= SD_HOPS;
  d->namelen = sizeof d->name;   /* done with this line */
}

/* One byte of the message as queued. */
static void emit(struct smtpdata *d, char c, sb *out)
{
  if (d->fail) return;
  if (c == '\n') {
    if (d->inheader) {
      if (!d->linelen) d->inheader = 0;
      d->namelen = 0;
    }
    if (d->exec) {
      execscan_line(d->exec, d->line, d->scanlen);
      if (d->exec->found) d->fail |= SD_EXEC;
      d->scanlen = 0;
    }
    d->linelen = 0;
  } else {
    if (++d->linelen > SD_MAXLINE) { d->fail |= SD_TOOLONG; return; }
    if (d->inheader && d->namelen < sizeof d->name) {
      if (c == ':') fieldname(d);
      else d->name[d->namelen++] = c;
    }
    if (d->exec && d->scanlen < sizeof d->line) d->line[d->scanlen++] = c;
  }
  if (d->fail) return;
  if (d->bytes == UINT64_MAX || (d->limit && d->bytes >= d->limit)) { d->fail |= SD_TOOBIG; return; }
  d->bytes++;
  out->s[out->len++] = c;
}

/* Fast path: a run of ordinary body bytes when nothing needs a look at
 * each of them. Returns how many bytes of in[0..n) it took. */
static size_t run(struct smtpdata *d, const char *in, size_t n, sb *out)
{
  size_t k = 0;
  if (d->fail || d->inheader || d->exec) return 0;
  while (k < n && in[k] != '\r' && in[k] != '\n') ++k;
  if (d->linelen + k > SD_MAXLINE) return 0;
  if (d->limit && (d->bytes > d->limit || k > d->limit - d->bytes)) return 0;
  if (k > UINT64_MAX - d->bytes) return 0;
  memcpy(out->s + out->len, in, k);
  out->len += k;
  d->bytes += k;
  d->linelen += k;
  return k;
}

int smtpdata_feed(struct smtpdata *d, const char *in, size_t n, size_t *used, sb *out)
{
  size_t need;
  if (!add_size(out->len, n, &need) || !add_size(need, 2, &need) || !sb_ready(out, need)) return -1;
  for (size_t i = 0; i < n; ++i) {
    char c = in[i];
    switch (d->state) {
    case S_BOL:
      if (c == '\n') goto barelf;
      if (c == '.') d->state = S_DOT;
      else if (c == '\r') d->state = S_CR;
      else { d->state = S_MID; emit(d, c, out); }
      break;
    case S_MID: {
      size_t k = run(d, in + i, n - i, out);
      if (k) { i += k - 1; break; }
      if (c == '\n') goto barelf;
      if (c == '\r') d->state = S_CR;
      else emit(d, c, out);
      break;
    }
    case S_DOT:
      if (c == '\n') goto barelf;
      if (c == '\r') d->state = S_DOTCR;
      else { d->state = S_MID; emit(d, c, out); }
      break;
    case S_DOTCR:
      if (c == '\n') { *used = i + 1; out->s[out->len] = 0; return SD_END; }
      goto barecr;
    default: /* S_CR */
      if (c == '\n') { emit(d, '\n', out); d->state = S_BOL; }
      else goto barecr;
      break;
    }
    continue;
  barelf:
    *used = i + 1;
    out->s[out->len] = 0;
    return SD_BARELF;
  barecr:
    *used = i + 1;
    out->s[out->len] = 0;
    return SD_BARECR;
  }
  *used = n;
  out->s[out->len] = 0;
  return SD_MORE;
}
