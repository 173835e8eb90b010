#include "qlfilter.h"
#include "qmail-ldap.h"
#include <limits.h>
#include <string.h>

static int special(unsigned char c)
{
  return c == '*' || c == '(' || c == ')' || c == '\\' || c < 0x21 || c > 0x7e;
}

int qlf_escape(sb *out, const char *s, size_t n)
{
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = (unsigned char)s[i];
    if (special(c)) {
      char e[3] = {'\\', hex[c >> 4], hex[c & 15]};
      if (!sb_catb(out, e, 3)) return 0;
    } else if (!sb_catc(out, (char)c)) return 0;
  }
  return 1;
}

int qlf_wrap(sb *out, const char *oc, const char *inner)
{
  if (!oc || !*oc) return sb_cats(out, inner);
  if (!sb_cats(out, "(&")) return 0;
  if (oc[0] == '(') {
    if (!sb_cats(out, oc)) return 0;
  } else {
    if (!sb_cats(out, "(" LDAP_OBJECTCLASS "=") || !qlf_escape(out, oc, strlen(oc)) || !sb_catc(out, ')')) return 0;
  }
  return sb_cats(out, inner) && sb_catc(out, ')');
}

int qlf_mail(sb *out, const char *addr, size_t n, const char *oc)
{
  sb in = SB_INIT;
  int ok = sb_cats(&in, "(|(" LDAP_MAIL "=") && qlf_escape(&in, addr, n) &&
           sb_cats(&in, ")(" LDAP_MAILALTERNATE "=") && qlf_escape(&in, addr, n) &&
           sb_cats(&in, "))");
  out->len = 0;
  ok = ok && qlf_wrap(out, oc, in.s);
  sb_free(&in);
  return ok;
}

int qlf_uid(sb *out, const char *uid, size_t n, const char *oc)
{
  sb in = SB_INIT;
  int ok = sb_cats(&in, "(" LDAP_UID "=") && qlf_escape(&in, uid, n) && sb_catc(&in, ')');
  out->len = 0;
  ok = ok && qlf_wrap(out, oc, in.s);
  sb_free(&in);
  return ok;
}

static int cand(sb *out, const char *a, size_t an, const char *b, size_t bn,
                const char *domain, size_t dlen, const char *ext, size_t en)
{
  return sb_catb(out, a, an) && sb_catb(out, b, bn) && sb_catc(out, '@') &&
         sb_catb(out, domain, dlen) && sb_cat0(out) && sb_catb(out, ext, en) && sb_cat0(out);
}

int qlf_candidates(const char *local, size_t llen, const char *domain, size_t dlen,
                   const char *brk, sb *out)
{
  size_t dash[DASH_EXT_LEVELS];
  int nd = 0, count = 0;
  size_t cl = sizeof LDAP_CATCH_ALL - 1;
  char b = brk && *brk ? brk[0] : '-';
  out->len = 0;
  if (!cand(out, local, llen, "", 0, domain, dlen, "", 0)) return -1;
  ++count;
  /* a leading separator never forms a prefix: straight to catchall@ */
  if (llen && local[0] != b) {
    for (size_t i = 0; i < llen && nd < DASH_EXT_LEVELS; ++i)
      if (local[i] == b) dash[nd++] = i;
  }
  for (int k = nd - 1; k >= 0; --k) {
    size_t p = dash[k];           /* prefix is local[0..p] incl. the separator */
    if (!sb_catb(out, local, p + 1) || !cand(out, LDAP_CATCH_ALL, cl, "", 0, domain, dlen, local + p + 1, llen - p - 1))
      return -1;
    ++count;
  }
  if (!cand(out, LDAP_CATCH_ALL, cl, "", 0, domain, dlen, local, llen)) return -1;
  return count + 1;
}

int qlf_mail_chain(sb *out, const char *cands, size_t len, const char *oc)
{
  sb in = SB_INIT;
  int ok = sb_cats(&in, "(|");
  for (size_t i = 0; ok && i < len;) {
    const char *c = cands + i;
    size_t cl = strlen(c);
    i += cl + 1;
    i += strlen(cands + i) + 1;            /* its ext */
    ok = sb_cats(&in, "(|(" LDAP_MAIL "=") && qlf_escape(&in, c, cl) &&
         sb_cats(&in, ")(" LDAP_MAILALTERNATE "=") && qlf_escape(&in, c, cl) && sb_cats(&in, "))");
  }
  ok = ok && sb_catc(&in, ')');
  out->len = 0;
  ok = ok && qlf_wrap(out, oc, in.s);
  sb_free(&in);
  return ok;
}

/* next byte of a value normalized as caseIgnoreIA5Match does; -1 at the end */
static int normc(const char *s, size_t n, size_t *i)
{
  if (*i == 0) while (*i < n && s[*i] == ' ') ++*i;        /* leading spaces */
  if (*i >= n) return -1;
  if (s[*i] == ' ') {
    size_t j = *i;
    while (j < n && s[j] == ' ') ++j;
    if (j >= n) { *i = n; return -1; }                    /* trailing spaces */
    *i = j;                                               /* a run counts as one */
    return ' ';
  }
  unsigned char c = (unsigned char)s[(*i)++];
  return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

int qlf_addr_eq(const char *a, size_t an, const char *b, size_t bn)
{
  size_t i = 0, j = 0;
  for (;;) {
    int x = normc(a, an, &i), y = normc(b, bn, &j);
    if (x != y) return 0;
    if (x < 0) return 1;
  }
}

int qlf_best_candidate(const char *cands, size_t len, const char *const *vals, const size_t *lens, size_t n)
{
  int pos = 0;
  for (size_t i = 0; i < len; ++pos) {
    const char *c = cands + i;
    size_t cl = strlen(c);
    i += cl + 1;
    i += strlen(cands + i) + 1;
    for (size_t k = 0; k < n; ++k)
      if (qlf_addr_eq(c, cl, vals[k], lens[k])) return pos;
  }
  return -1;
}

void qlf_pick_init(struct qlf_pick *p)
{
  p->best = -1;
  p->count = 0;
  p->unmatched = 0;
}

int qlf_pick_add(struct qlf_pick *p, int pos)
{
  if (pos < 0) { p->unmatched = 1; return 0; }
  if (p->best < 0 || pos < p->best) { p->best = pos; p->count = 1; return 1; }
  if (pos == p->best && p->count < UINT_MAX) p->count++;
  return 0;
}

int qlf_pick_result(const struct qlf_pick *p)
{
  if (p->unmatched) return QLF_PICK_UNSURE;
  if (p->best < 0) return QLF_PICK_NONE;
  return p->count > 1 ? QLF_PICK_TOOMANY : QLF_PICK_ONE;
}
