/* fuzz_rfc822: header field names, the address-list tokenizer and the
 * qualification of qmail-inject (rfc822.h). The input is a header field
 * (or several lines of one); its body goes through rfc822_addrlist,
 * rfc822_addr_text and rfc822_addr_arg. Properties: name length and body
 * offset inside the line; the rewritten list tokenizes and parses again;
 * an empty envelope address comes only from a <> the header shows; the address
 * list is a sequence of NUL-terminated strings; rfc822_quote's output is
 * one quoted-string token holding the input again (input without CR or
 * LF: those are folding inside a quoted string). */
#include "fuzz.h"
#include "rfc822.h"

static struct rfc822_qual q;
static int qready;

static void field(const char *s, size_t n)
{
  int k = rfc822_hf_known(s, n);
  FZ_CHECK(k >= HF_OTHER && k < HF_NUM);
  int v = rfc822_hf_valid(s, n);
  size_t nl = rfc822_hf_namelen(s, n), bo = rfc822_hf_bodyoff(s, n);
  FZ_CHECK(nl <= n && bo <= n);
  if (bo) FZ_CHECK(s[bo - 1] == ':' && nl < bo);
  if (v) FZ_CHECK(bo && nl);
  if (k != HF_OTHER) FZ_CHECK(bo);
}

static int empty(const sb *a)   /* an empty string among a's */
{
  for (size_t i = 0; i < a->len; ++i)
    if (!a->s[i] && (i == 0 || !a->s[i - 1])) return 1;
  return 0;
}

static void addrs_ok(const sb *a)
{
  if (a->len) FZ_CHECK(a->s[a->len - 1] == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *s = (const char *)data;
  uint32_t h = fz_hash(data, size);
  if (!qready) {
    rfc822_qual_init(&q);
    FZ_CHECK(rfc822_qual_set(&q, "host.example.org", "example.org", "plus.example.net") == RFC_OK);
    qready = 1;
  }
  const char *nl = memchr(s, '\n', size);
  field(s, nl ? (size_t)(nl - s) : size);
  size_t bo = rfc822_hf_valid(s, size) ? rfc822_hf_bodyoff(s, size) : 0;
  const char *b = s + bo;
  size_t bn = size - bo;

  struct rfc_toks t;
  rfc_toks_init(&t);
  int r = rfc822_tokenize(&t, b, bn);
  FZ_MEM(r != RFC_NOMEM);
  for (size_t i = 0; r == RFC_OK && i < t.n; ++i) {
    FZ_CHECK(t.t[i].type >= TK_ATOM && t.t[i].type <= TK_SPECIAL);
    FZ_CHECK(t.t[i].off + t.t[i].len <= t.text.len);
  }

  sb out = SB_INIT, addrs = SB_INIT, out2 = SB_INIT, addrs2 = SB_INIT;
  size_t col = h % 90;
  r = rfc822_addrlist(&q, b, bn, col, &out, &addrs);
  FZ_MEM(r != RFC_NOMEM);
  if (r == RFC_OK) {
    addrs_ok(&addrs);
    FZ_CHECK(!out.len || (out.s[0] != ' ' && out.s[out.len - 1] != '\n'));
    FZ_CHECK(rfc822_tokenize(&t, out.s ? out.s : "", out.len) == RFC_OK);
    FZ_CHECK(rfc822_addrlist(&q, out.s ? out.s : "", out.len, col, &out2, &addrs2) == RFC_OK);
    /* an empty envelope address only where the header shows <> (a bare
     * "@route" or "." is no address at all). Re-reading the rewritten
     * text need not give the same list: qualifying drops one trailing
     * dot per pass and splits adjacent words, by qmail's rules. */
    if (empty(&addrs)) FZ_CHECK(out.len && strstr(out.s, "<>"));
    if (empty(&addrs2)) FZ_CHECK(out2.len && strstr(out2.s, "<>"));
  }

  sb one = SB_INIT;
  r = rfc822_addr_text(&q, b, bn, &one);
  FZ_MEM(r != RFC_NOMEM);
  char *arg = fz_str(b, bn);
  one.len = 0;
  r = rfc822_addr_arg(&q, arg, &one);
  FZ_MEM(r != RFC_NOMEM);

  sb quoted = SB_INIT;
  FZ_MEM(rfc822_quote(&quoted, b, bn));
  FZ_CHECK(quoted.len >= 2 && quoted.s[0] == '"' && quoted.s[quoted.len - 1] == '"');
  /* a CR or LF in a quoted string is folding, dropped by the tokenizer */
  if (!memchr(b, 0, bn) && !memchr(b, '\r', bn) && !memchr(b, '\n', bn)) {
    FZ_CHECK(rfc822_tokenize(&t, quoted.s, quoted.len) == RFC_OK);
    FZ_CHECK(t.n == 1 && t.t[0].type == TK_QUOTE);
    FZ_CHECK(t.t[0].len == bn && !memcmp(t.text.s + t.t[0].off, b, bn));
  }

  free(arg);
  rfc_toks_free(&t);
  sb_free(&out); sb_free(&addrs); sb_free(&out2); sb_free(&addrs2); sb_free(&one); sb_free(&quoted);
  return 0;
}
