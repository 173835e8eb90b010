/* fuzz_qlfilter: LDAP filter building and the catch-all chain
 * (qlfilter.h). The input is an address (or any bytes) as a client may
 * send it. Properties: qlf_escape's output has no raw * ( ) \ NUL and
 * nothing outside printable ASCII, every '\' starts a \hh escape, and it
 * unescapes back to the input; the filters made from it have balanced
 * parentheses, every one of them written by qlfilter itself; the
 * candidate chain holds the exact address first and catchall@ last,
 * each candidate's ext is a tail of the local part; address equality is
 * reflexive and symmetric; the pick of a chain search agrees with a
 * straightforward model. */
#include "fuzz.h"
#include "qlfilter.h"
#include "qmail-ldap.h"

static int hexv(char c)
{
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* parentheses outside \hh escapes: balanced, never below zero */
static void balanced(const sb *f)
{
  long depth = 0;
  for (size_t i = 0; i < f->len; ++i) {
    unsigned char c = (unsigned char)f->s[i];
    FZ_CHECK(c > 0x20 && c < 0x7f);
    if (c == '\\') {
      FZ_CHECK(i + 2 < f->len && hexv(f->s[i + 1]) >= 0 && hexv(f->s[i + 2]) >= 0);
      i += 2;
    } else if (c == '(') ++depth;
    else if (c == ')') FZ_CHECK(--depth >= 0);
    else FZ_CHECK(c != '*');   /* no wildcard: every filter here is an equality */
  }
  FZ_CHECK(depth == 0);
}

static void escape(const char *s, size_t n)
{
  sb e = SB_INIT, back = SB_INIT;
  FZ_MEM(qlf_escape(&e, s, n));
  for (size_t i = 0; i < e.len; ++i) {
    unsigned char c = (unsigned char)e.s[i];
    FZ_CHECK(c > 0x20 && c < 0x7f && c != '*' && c != '(' && c != ')');
    if (c == '\\') {
      FZ_CHECK(i + 2 < e.len);
      int a = hexv(e.s[i + 1]), b = hexv(e.s[i + 2]);
      FZ_CHECK(a >= 0 && b >= 0);
      FZ_MEM(sb_catc(&back, (char)(a << 4 | b)));
      i += 2;
    } else FZ_MEM(sb_catc(&back, (char)c));
  }
  FZ_CHECK(back.len == n && (!n || !memcmp(back.s, s, n)));
  sb_free(&e);
  sb_free(&back);
}

/* qlf_pick against the rule: the earliest candidate wins; two entries
 * on it are too many; an entry matching none makes it unsure */
static void pick(const uint8_t *p, size_t n)
{
  struct qlf_pick k;
  int best = -1, unmatched = 0;
  unsigned count = 0;
  qlf_pick_init(&k);
  for (size_t i = 0; i < n && i < 64; ++i) {
    int pos = (int)(p[i] % 9) - 1;
    int nb = qlf_pick_add(&k, pos);
    if (pos < 0) { unmatched = 1; FZ_CHECK(!nb); continue; }
    if (best < 0 || pos < best) { best = pos; count = 1; FZ_CHECK(nb); }
    else { if (pos == best) ++count; FZ_CHECK(!nb); }
  }
  int r = qlf_pick_result(&k);
  int want = unmatched ? QLF_PICK_UNSURE : best < 0 ? QLF_PICK_NONE : count > 1 ? QLF_PICK_TOOMANY : QLF_PICK_ONE;
  FZ_CHECK(r == want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *s = (const char *)data;
  sb f = SB_INIT, cands = SB_INIT;
  if (size > 4096) return 0;
  escape(s, size);
  static const char *const ocs[] = {NULL, "", "qmailUser", "(objectClass=qldapAdmin)"};
  for (size_t i = 0; i < 4; ++i) {
    FZ_MEM(qlf_mail(&f, s, size, ocs[i]));
    balanced(&f);
    FZ_MEM(qlf_uid(&f, s, size, ocs[i]));
    balanced(&f);
  }
  /* the input as an objectClass value: escaped, so still balanced unless
   * it starts with '(' (an administrator's filter, used verbatim) */
  char *oc = fz_str(s, size);
  if (oc[0] != '(') {
    f.len = 0;
    FZ_MEM(qlf_wrap(&f, oc, "(uid=x)"));
    balanced(&f);
  }
  free(oc);

  /* local@domain at the last '@' (or all local). An address never has a
   * NUL here (the envelope and qmail-verify's requests are NUL-delimited,
   * SMTP refuses it): the candidate list is NUL-separated. */
  if (memchr(s, 0, size)) { pick(data, size); sb_free(&f); return 0; }
  const char *at = NULL;
  for (size_t i = size; i-- > 0;) if (s[i] == '@') { at = s + i; break; }
  size_t ll = at ? (size_t)(at - s) : size;
  const char *dom = at ? at + 1 : "example.org";
  size_t dl = at ? size - ll - 1 : strlen(dom);
  const char *brk = size & 1 ? "-" : "+";
  int nc = qlf_candidates(s, ll, dom, dl, brk, &cands);
  FZ_MEM(nc >= 0);
  FZ_CHECK(nc >= 2 && nc <= DASH_EXT_LEVELS + 2);
  size_t pos = 0, nz = 0;
  for (size_t i = 0; i < cands.len; ++i) nz += !cands.s[i];
  FZ_CHECK(nz == 2 * (size_t)nc && cands.s[cands.len - 1] == 0);
  for (int c = 0; c < nc; ++c) {
    const char *a = cands.s + pos;
    size_t an = strnlen(a, cands.len - pos);
    const char *ext = a + an + 1;
    size_t en = strnlen(ext, cands.len - pos - an - 1);
    if (c == 0) {
      FZ_CHECK(an == ll + 1 + dl && !memcmp(a, s, ll) && a[ll] == '@' && !memcmp(a + ll + 1, dom, dl) && en == 0);
    } else {
      FZ_CHECK(en <= ll && !memcmp(ext, s + ll - en, en));
      FZ_CHECK(an >= dl + 1 && !memcmp(a + an - dl, dom, dl));
    }
    if (c == nc - 1) {
      size_t cl = strlen(LDAP_CATCH_ALL);
      FZ_CHECK(an == cl + 1 + dl && !memcmp(a, LDAP_CATCH_ALL, cl) && en == ll);
    }
    FZ_CHECK(qlf_addr_eq(a, an, a, an));
    pos += an + 1 + en + 1;
  }
  FZ_MEM(qlf_mail_chain(&f, cands.s, cands.len, "qmailUser"));
  balanced(&f);
  /* the best candidate among the chain's own addresses is the first one */
  const char *vals[2] = {cands.s, s};
  size_t lens[2] = {strlen(cands.s), size};
  FZ_CHECK(qlf_best_candidate(cands.s, cands.len, vals, lens, 2) == 0);
  /* equality: reflexive and symmetric on the halves of the input */
  size_t h = size / 2;
  FZ_CHECK(qlf_addr_eq(s, size, s, size));
  FZ_CHECK(qlf_addr_eq(s, h, s + h, size - h) == qlf_addr_eq(s + h, size - h, s, h));
  pick(data, size);
  sb_free(&f);
  sb_free(&cands);
  return 0;
}
