#include "rfc822.h"
#include "quote.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- header field names ---- */

static const char *const hfname[HF_NUM] = {
  "", "sender", "from", "reply-to", "to", "cc", "bcc", "date", "message-id",
  "subject", "resent-sender", "resent-from", "resent-reply-to", "resent-to",
  "resent-cc", "resent-bcc", "resent-date", "resent-message-id",
  "return-receipt-to", "errors-to", "apparently-to", "received", "return-path",
  "delivered-to", "content-length", "content-type", "content-transfer-encoding",
  "notice-requested-upon-delivery-to", "mail-followup-to",
};

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int hmatch(const char *s, size_t n, const char *name)
{
  size_t i;
  for (i = 0; name[i]; ++i)
    if (i >= n || lower((unsigned char)s[i]) != name[i]) return 0;
  for (; i < n; ++i) {
    if (s[i] == ':') return 1;
    if (s[i] != ' ' && s[i] != '\t') return 0;
  }
  return 0;
}

int rfc822_hf_known(const char *s, size_t n)
{
  for (int h = 1; h < HF_NUM; ++h)
    if (hmatch(s, n, hfname[h])) return h;
  return HF_OTHER;
}

size_t rfc822_hf_namelen(const char *s, size_t n)
{
  const char *c = memchr(s, ':', n);
  size_t j = c ? (size_t)(c - s) : 0;
  while (j && (s[j - 1] == ' ' || s[j - 1] == '\t')) --j;
  return j;
}

size_t rfc822_hf_bodyoff(const char *s, size_t n)
{
  const char *c = memchr(s, ':', n);
  return c ? (size_t)(c - s) + 1 : 0;
}

int rfc822_hf_valid(const char *s, size_t n)
{
  size_t j;
  if (!memchr(s, ':', n)) return 0;
  j = rfc822_hf_namelen(s, n);
  if (!j) return 0;
  for (size_t i = 0; i < j; ++i) {
    unsigned char c = (unsigned char)s[i];
    if (c <= 32 || c >= 127) return 0;
  }
  return 1;
}

/* ---- tokens ---- */

void rfc_toks_init(struct rfc_toks *l) { memset(l, 0, sizeof *l); }

void rfc_toks_free(struct rfc_toks *l)
{
  free(l->t);
  sb_free(&l->text);
  rfc_toks_init(l);
}

static int tok_add(struct rfc_toks *l, int type, char c, size_t off, size_t len)
{
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap : 8;
    if (cap > SIZE_MAX / 2 / sizeof *l->t) return 0;
    cap *= 2;
    struct rfc_tok *t = realloc(l->t, cap * sizeof *t);
    if (!t) return 0;
    l->t = t;
    l->cap = cap;
  }
  l->t[l->n].type = type;
  l->t[l->n].c = c;
  l->t[l->n].sp = 0;
  l->t[l->n].off = off;
  l->t[l->n].len = len;
  l->n++;
  return 1;
}

static int tok_push(struct rfc_toks *l, int type, char c, const char *s, size_t n)
{
  size_t off = l->text.len;
  if (!sb_catb(&l->text, s, n)) return 0;
  return tok_add(l, type, c, off, n);
}

static const char *tok_s(const struct rfc_toks *l, size_t i) { return l->text.s + l->t[i].off; }

static int tok_copy(struct rfc_toks *dst, const struct rfc_toks *src, size_t i)
{
  if (!tok_push(dst, src->t[i].type, src->t[i].c, tok_s(src, i), src->t[i].len)) return 0;
  dst->t[dst->n - 1].sp = src->t[i].sp;
  return 1;
}

static int is_special(int c) { return c && strchr("()<>@,;:\".[]", c) != NULL; }
static int is_blank(int c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* comment starting after '(' at s[*i]; raw text kept, line breaks unfolded */
static int tok_comment(struct rfc_toks *l, const char *s, size_t n, size_t *i)
{
  size_t off = l->text.len;
  int depth = 1;
  for (;;) {
    if (*i >= n || !s[*i]) return RFC_SYNTAX;
    char c = s[(*i)++];
    if (c == '\\') {
      if (*i >= n || !s[*i]) return RFC_SYNTAX;
      if (!sb_catc(&l->text, c) || !sb_catc(&l->text, s[(*i)++])) return RFC_NOMEM;
      continue;
    }
    if (c == '(') ++depth;
    else if (c == ')' && --depth == 0) break;
    if (c == '\r' || c == '\n') continue;
    if (!sb_catc(&l->text, c)) return RFC_NOMEM;
  }
  return tok_add(l, TK_COMMENT, 0, off, l->text.len - off) ? RFC_OK : RFC_NOMEM;
}

/* quoted string or domain literal; text decoded */
static int tok_quoted(struct rfc_toks *l, const char *s, size_t n, size_t *i, char end, int type)
{
  size_t off = l->text.len;
  for (;;) {
    if (*i >= n || !s[*i]) return RFC_SYNTAX;
    char c = s[(*i)++];
    if (c == end) break;
    if (c == '\\') {
      if (*i >= n || !s[*i]) return RFC_SYNTAX;
      c = s[(*i)++];
    } else if (c == '\r' || c == '\n') continue;
    if (!sb_catc(&l->text, c)) return RFC_NOMEM;
  }
  return tok_add(l, type, 0, off, l->text.len - off) ? RFC_OK : RFC_NOMEM;
}

int rfc822_tokenize(struct rfc_toks *l, const char *s, size_t n)
{
  size_t i = 0;
  int blank = 0;
  l->n = 0;
  l->text.len = 0;
  if (!sb_ready(&l->text, 0)) return RFC_NOMEM;
  while (i < n) {
    char c = s[i];
    int r = RFC_OK;
    size_t before = l->n;
    if (!c) return RFC_SYNTAX;
    if (is_blank(c)) { ++i; blank = 1; continue; }
    if (c == '(') { ++i; r = tok_comment(l, s, n, &i); }
    else if (c == '"') { ++i; r = tok_quoted(l, s, n, &i, '"', TK_QUOTE); }
    else if (c == '[') { ++i; r = tok_quoted(l, s, n, &i, ']', TK_LITERAL); }
    else if (c == ')' || c == ']') return RFC_SYNTAX;
    else if (is_special(c)) { ++i; if (!tok_push(l, TK_SPECIAL, c, "", 0)) r = RFC_NOMEM; }
    else {
      size_t st = i;
      while (i < n && s[i] && !is_blank(s[i]) && !is_special(s[i])) ++i;
      if (!tok_push(l, TK_ATOM, 0, s + st, i - st)) r = RFC_NOMEM;
    }
    if (r != RFC_OK) return r;
    if (l->n > before) l->t[before].sp = (char)blank;
    blank = 0;
  }
  return RFC_OK;
}

/* ---- qualification ---- */

void rfc822_qual_init(struct rfc822_qual *q)
{
  rfc_toks_init(&q->host);
  rfc_toks_init(&q->domain);
  rfc_toks_init(&q->plus);
}

void rfc822_qual_free(struct rfc822_qual *q)
{
  rfc_toks_free(&q->host);
  rfc_toks_free(&q->domain);
  rfc_toks_free(&q->plus);
}

static int qual_one(struct rfc_toks *l, char lead, const char *name)
{
  sb t = SB_INIT;
  int r;
  if (!sb_catc(&t, lead) || !sb_cats(&t, name)) { sb_free(&t); return RFC_NOMEM; }
  r = rfc822_tokenize(l, t.s, t.len);
  sb_free(&t);
  if (r != RFC_OK) return r;
  for (size_t i = 0; i < l->n; ++i)
    if (l->t[i].type == TK_COMMENT) return RFC_SYNTAX;
  return RFC_OK;
}

int rfc822_qual_set(struct rfc822_qual *q, const char *defaulthost,
                    const char *defaultdomain, const char *plusdomain)
{
  int r = qual_one(&q->host, '@', defaulthost);
  if (r == RFC_OK) r = qual_one(&q->domain, '.', defaultdomain);
  if (r == RFC_OK) r = qual_one(&q->plus, '.', plusdomain);
  return r;
}

static int is_sp(const struct rfc_toks *a, size_t i, char c)
{
  return i < a->n && a->t[i].type == TK_SPECIAL && a->t[i].c == c;
}

static int append_all(struct rfc_toks *a, const struct rfc_toks *src)
{
  for (size_t i = 0; i < src->n; ++i)
    if (!tok_copy(a, src, i)) return 0;
  return 1;
}

static void drop_front(struct rfc_toks *a, size_t k)
{
  memmove(a->t, a->t + k, (a->n - k) * sizeof *a->t);
  a->n -= k;
}

/* qmail-inject's rewriting of one address (comment-free tokens). */
static int rewrite(const struct rfc822_qual *q, struct rfc_toks *a)
{
  size_t i;
  if (!a->n) return 1;                               /* <> */
  if (a->n >= 2 && a->t[a->n - 1].type == TK_LITERAL && !a->t[a->n - 1].len && is_sp(a, a->n - 2, '@'))
    return 1;                                        /* <x@[]> */
  if (is_sp(a, 0, '@')) {                            /* source route */
    for (i = 0; i < a->n && !is_sp(a, i, ':'); ++i) {}
    if (i == a->n) { a->n = 0; return 1; }
    drop_front(a, i + 1);
    if (!a->n) return 1;
  }
  if (is_sp(a, a->n - 1, '.') && !--a->n) return 1;
  if (is_sp(a, a->n - 1, '@') && !--a->n) return 1;
  for (i = 0; i < a->n && !is_sp(a, i, '@'); ++i) {}
  if (i == a->n && !append_all(a, &q->host)) return 0;
  struct rfc_tok *last = &a->t[a->n - 1];
  if (last->type == TK_ATOM && last->len && a->text.s[last->off + last->len - 1] == '+') {
    last->len--;
    if (!append_all(a, &q->plus)) return 0;
  }
  for (i = a->n; i-- > 0;) {
    if (is_sp(a, i, '@')) break;
    if (is_sp(a, i, '.') || a->t[i].type == TK_LITERAL) return 1;
  }
  return append_all(a, &q->domain);
}

static int cat_escaped(sb *out, const char *s, size_t n, const char *esc)
{
  for (size_t i = 0; i < n; ++i) {
    if (strchr(esc, s[i]) && s[i] && !sb_catc(out, '\\')) return 0;
    if (!sb_catc(out, s[i])) return 0;
  }
  return 1;
}

int rfc822_quote(sb *out, const char *s, size_t n)
{
  return sb_catc(out, '"') && cat_escaped(out, s, n, "\"\\") && sb_catc(out, '"');
}

/* header form of one token */
static int unparse_tok(sb *out, const struct rfc_toks *a, size_t i)
{
  const char *s = tok_s(a, i);
  size_t n = a->t[i].len;
  switch (a->t[i].type) {
  case TK_ATOM: return sb_catb(out, s, n);
  case TK_QUOTE: return rfc822_quote(out, s, n);
  case TK_LITERAL: return sb_catc(out, '[') && cat_escaped(out, s, n, "[]\\") && sb_catc(out, ']');
  case TK_COMMENT: return sb_catc(out, '(') && sb_catb(out, s, n) && sb_catc(out, ')');
  default: return sb_catc(out, a->t[i].c);
  }
}

/* envelope form: quotes removed */
static int unquote(sb *out, const struct rfc_toks *a)
{
  for (size_t i = 0; i < a->n; ++i) {
    const char *s = tok_s(a, i);
    size_t n = a->t[i].len;
    int ok;
    switch (a->t[i].type) {
    case TK_ATOM: case TK_QUOTE: ok = sb_catb(out, s, n); break;
    case TK_LITERAL: ok = sb_catc(out, '[') && sb_catb(out, s, n) && sb_catc(out, ']'); break;
    case TK_COMMENT: ok = 1; break;
    default: ok = sb_catc(out, a->t[i].c);
    }
    if (!ok) return 0;
  }
  return 1;
}

static int is_word(const struct rfc_tok *t)
{
  return t->type == TK_ATOM || t->type == TK_QUOTE || t->type == TK_LITERAL;
}

/* ---- address lists ---- */

enum { SEP_NONE, SEP_COMMA, SEP_SPACE };
struct emit { sb *out; sb *addrs; size_t col; int sep; sb item; struct rfc_toks cur; };

#define FOLDCOL 78

static int emit_item(struct emit *e)
{
  size_t n = e->item.len;
  if (e->sep == SEP_COMMA) {
    if (e->col + 2 + n > FOLDCOL) { if (!sb_cats(e->out, ",\n  ")) return 0; e->col = 2; }
    else { if (!sb_cats(e->out, ", ")) return 0; e->col += 2; }
  } else if (e->sep == SEP_SPACE) {
    if (e->col + 1 + n > FOLDCOL) { if (!sb_cats(e->out, "\n  ")) return 0; e->col = 2; }
    else { if (!sb_catc(e->out, ' ')) return 0; e->col += 1; }
  }
  if (!sb_catsb(e->out, &e->item)) return 0;
  e->col += n;
  e->sep = SEP_COMMA;
  e->item.len = 0;
  return 1;
}

/* phrase: one blank where the input had blanks, and between words */
static int phrase(sb *out, const struct rfc_toks *l, size_t i, size_t j)
{
  for (size_t k = i; k < j; ++k) {
    int space = k > i && (l->t[k].sp || (l->t[k].type != TK_SPECIAL && l->t[k - 1].type != TK_SPECIAL));
    if (space && !sb_catc(out, ' ')) return 0;
    if (!unparse_tok(out, l, k)) return 0;
  }
  return 1;
}

/* rewrite e->cur, add its header form to e->item and its envelope form to
 * addrs. A bare address that rewrites to nothing ("@r.org", ".", "@") is
 * no address: its header form is empty, so "" in addrs would be a
 * recipient the header does not show; "" is only for a written <>. */
static int finish_addr(const struct rfc822_qual *q, struct emit *e, int bare)
{
  if (!rewrite(q, &e->cur)) return 0;
  if (bare && !e->cur.n) return 1;
  for (size_t k = 0; k < e->cur.n; ++k)
    if (!unparse_tok(&e->item, &e->cur, k)) return 0;
  if (e->addrs && (!unquote(e->addrs, &e->cur) || !sb_cat0(e->addrs))) return 0;
  return 1;
}

static int add_comments(struct emit *e, const struct rfc_toks *l, size_t i, size_t j)
{
  for (size_t k = i; k < j; ++k) {
    if (l->t[k].type != TK_COMMENT) continue;
    if (e->item.len && !sb_catc(&e->item, ' ')) return 0;
    if (!unparse_tok(&e->item, l, k)) return 0;
  }
  return 1;
}

/* phrase <addr> (comments) */
static int seg_angle(const struct rfc822_qual *q, struct emit *e, const struct rfc_toks *l,
                     size_t i, size_t lt, size_t gt, size_t j)
{
  for (size_t k = gt + 1; k < j; ++k)
    if (l->t[k].type != TK_COMMENT) return RFC_SYNTAX;
  e->cur.n = 0;
  e->cur.text.len = 0;
  for (size_t k = lt + 1; k < gt; ++k)
    if (l->t[k].type != TK_COMMENT && !tok_copy(&e->cur, l, k)) return RFC_NOMEM;
  if (!phrase(&e->item, l, i, lt)) return RFC_NOMEM;
  if (lt > i && !sb_catc(&e->item, ' ')) return RFC_NOMEM;
  if (!sb_catc(&e->item, '<') || !finish_addr(q, e, 0) || !sb_catc(&e->item, '>')) return RFC_NOMEM;
  if (!add_comments(e, l, lt + 1, gt) || !add_comments(e, l, gt + 1, j)) return RFC_NOMEM;
  return emit_item(e) ? RFC_OK : RFC_NOMEM;
}

/* bare addr-spec(s); adjacent words start a new address */
static int seg_bare(const struct rfc822_qual *q, struct emit *e, const struct rfc_toks *l, size_t i, size_t j)
{
  size_t start = i;
  int prevword = 0;
  e->cur.n = 0;
  e->cur.text.len = 0;
  for (size_t k = i; k <= j; ++k) {
    int end = k == j;
    if (!end && l->t[k].type == TK_COMMENT) continue;
    int w = !end && is_word(&l->t[k]);
    if (end || (w && prevword)) {
      if (e->cur.n && !finish_addr(q, e, 1)) return RFC_NOMEM;
      if (!add_comments(e, l, start, k)) return RFC_NOMEM;
      if (e->item.len && !emit_item(e)) return RFC_NOMEM;
      e->cur.n = 0;
      e->cur.text.len = 0;
      start = k;
      if (end) break;
    }
    if (!tok_copy(&e->cur, l, k)) return RFC_NOMEM;
    prevword = w;
  }
  return RFC_OK;
}

/* can tokens i..j be a group name? (words, dots and comments, one word at least) */
static int group_name(const struct rfc_toks *l, size_t i, size_t j)
{
  int words = 0;
  for (size_t k = i; k < j; ++k) {
    if (is_word(&l->t[k])) words = 1;
    else if (l->t[k].type != TK_COMMENT && !is_sp(l, k, '.')) return 0;
  }
  return words;
}

static int addrlist(const struct rfc822_qual *q, const struct rfc_toks *l, struct emit *e)
{
  size_t i = 0;
  int ingroup = 0;
  while (i < l->n) {
    size_t j, lt = 0, gt = 0, colon = 0;
    int depth = 0, sawlt = 0, isgroup = 0;
    for (j = i; j < l->n; ++j) {
      if (l->t[j].type != TK_SPECIAL) continue;
      char c = l->t[j].c;
      if (c == '<') { if (depth || sawlt) return RFC_SYNTAX; depth = 1; sawlt = 1; lt = j; }
      else if (c == '>') { if (!depth) return RFC_SYNTAX; depth = 0; gt = j; }
      else if (depth) continue;
      else if (c == ',' || c == ';') break;
      else if (c == ':' && !ingroup && !sawlt && group_name(l, i, j)) { isgroup = 1; colon = j; break; }
    }
    if (depth) return RFC_SYNTAX;
    if (isgroup) {
      if (!phrase(&e->item, l, i, colon) || !sb_catc(&e->item, ':') || !emit_item(e)) return RFC_NOMEM;
      e->sep = SEP_SPACE;
      ingroup = 1;
      i = colon + 1;
      continue;
    }
    int r = sawlt ? seg_angle(q, e, l, i, lt, gt, j) : seg_bare(q, e, l, i, j);
    if (r != RFC_OK) return r;
    if (j < l->n && l->t[j].c == ';') {
      if (!ingroup) return RFC_SYNTAX;
      if (!sb_cats(e->out, e->sep == SEP_SPACE ? " ;" : ";")) return RFC_NOMEM;
      e->col += e->sep == SEP_SPACE ? 2 : 1;
      e->sep = SEP_COMMA;
      ingroup = 0;
    }
    i = j < l->n ? j + 1 : j;
  }
  if (ingroup) {
    if (!sb_cats(e->out, e->sep == SEP_SPACE ? " ;" : ";")) return RFC_NOMEM;
  }
  return RFC_OK;
}

int rfc822_addrlist(const struct rfc822_qual *q, const char *s, size_t n,
                    size_t col, sb *out, sb *addrs)
{
  struct rfc_toks l;
  struct emit e;
  int r;
  rfc_toks_init(&l);
  memset(&e, 0, sizeof e);
  rfc_toks_init(&e.cur);
  e.out = out;
  e.addrs = addrs;
  e.col = col;
  e.sep = SEP_NONE;
  if (!sb_ready(out, out->len) || (addrs && !sb_ready(addrs, addrs->len))) return RFC_NOMEM;
  out->s[out->len] = 0;
  r = rfc822_tokenize(&l, s, n);
  if (r == RFC_OK) r = addrlist(q, &l, &e);
  rfc_toks_free(&l);
  rfc_toks_free(&e.cur);
  sb_free(&e.item);
  return r;
}

int rfc822_addr_text(const struct rfc822_qual *q, const char *s, size_t n, sb *out)
{
  struct rfc_toks l, a;
  size_t i = 0, j, k;
  int r;
  rfc_toks_init(&l);
  rfc_toks_init(&a);
  r = rfc822_tokenize(&l, s, n);
  if (r != RFC_OK) goto done;
  j = l.n;
  for (k = 0; k < l.n; ++k)
    if (is_sp(&l, k, '<')) break;
  if (k < l.n) {                          /* phrase <addr>: take what is inside */
    i = k + 1;
    for (j = i; j < l.n && !is_sp(&l, j, '>'); ++j) {}
    if (j == l.n) { r = RFC_SYNTAX; goto done; }
    for (k = j + 1; k < l.n; ++k)
      if (l.t[k].type != TK_COMMENT) { r = RFC_SYNTAX; goto done; }
  }
  for (k = i; k < j; ++k) {
    if (l.t[k].type == TK_COMMENT) continue;
    if (is_sp(&l, k, ',') || is_sp(&l, k, ';') || is_sp(&l, k, '<') || is_sp(&l, k, '>') ||
        (is_word(&l.t[k]) && a.n && is_word(&a.t[a.n - 1]))) { r = RFC_SYNTAX; goto done; }
    if (!tok_copy(&a, &l, k)) { r = RFC_NOMEM; goto done; }
  }
  if (!rewrite(q, &a) || !unquote(out, &a)) r = RFC_NOMEM;
done:
  rfc_toks_free(&l);
  rfc_toks_free(&a);
  return r;
}

int rfc822_addr_arg(const struct rfc822_qual *q, const char *arg, sb *out)
{
  sb t = SB_INIT;
  int r;
  if (!*arg) return RFC_SYNTAX;
  if (!quote_addr(&t, arg, strlen(arg))) { sb_free(&t); return RFC_NOMEM; }
  r = rfc822_addr_text(q, t.s, t.len, out);
  sb_free(&t);
  return r;
}
