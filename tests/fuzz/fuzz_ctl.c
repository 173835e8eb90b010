/* fuzz_ctl: the control-file parsers (ctl.h: ctl_parse_line,
 * ctl_parse_list, ctl_cdbkey) and the strict number parser ctl_u64 uses
 * (scan_u64). The input is a control file. Properties: a line value is
 * the first line less trailing blanks; list entries are the non-blank,
 * non-comment lines, trimmed, in order (checked against a model); the
 * cdb key of each line is its list entry lower-cased; scan_u64 agrees
 * with a model (digits only, no overflow). */
#include "fuzz.h"
#include "ctl.h"

static int blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static void number(const char *s, size_t n)
{
  uint64_t v = 0, m = 0;
  int ok = n > 0;
  for (size_t i = 0; ok && i < n; ++i) {
    if (s[i] < '0' || s[i] > '9') { ok = 0; break; }
    unsigned d = (unsigned)(s[i] - '0');
    if (m > (UINT64_MAX - d) / 10) { ok = 0; break; }
    m = m * 10 + d;
  }
  int r = scan_u64(s, n, &v);
  FZ_CHECK(r == ok);
  if (ok) FZ_CHECK(v == m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *s = (const char *)data;
  sb out = SB_INIT, list = SB_INIT, key = SB_INIT;

  ctl_parse_line(s, size, &out);
  const char *nl = memchr(s, '\n', size);
  size_t first = nl ? (size_t)(nl - s) : size;
  FZ_CHECK(out.len <= first && (!out.len || !memcmp(out.s, s, out.len)));
  FZ_CHECK(!out.len || !blank(out.s[out.len - 1]));
  for (size_t i = out.len; i < first; ++i) FZ_CHECK(blank(s[i]) || s[i] == ' ');
  number(out.s ? out.s : "", out.len);

  int n = ctl_parse_list(s, size, &list);
  FZ_MEM(n >= 0);
  /* the model: walk the lines again */
  size_t i = 0, lp = 0;
  int k = 0;
  while (i < size) {
    const char *e = memchr(s + i, '\n', size - i);
    size_t end = e ? (size_t)(e - s) : size, a = i, b = end;
    while (b > a && blank(s[b - 1])) --b;
    while (a < b && (s[a] == ' ' || s[a] == '\t')) ++a;
    int r = ctl_cdbkey(s + i, end - i, &key);
    FZ_MEM(r >= 0);
    if (b > a && s[a] != '#') {
      FZ_CHECK(lp + (b - a) < list.len + 1 && !memcmp(list.s + lp, s + a, b - a) && list.s[lp + b - a] == 0);
      lp += b - a + 1;
      ++k;
      FZ_CHECK(r == 1 && key.len == b - a);
      for (size_t j = 0; j < key.len; ++j) {
        char c = s[a + j];
        FZ_CHECK(key.s[j] == (c >= 'A' && c <= 'Z' ? c + 32 : c));
      }
    } else FZ_CHECK(r == 0);
    i = end + 1;
  }
  FZ_CHECK(k == n && lp == list.len);
  /* a line with an LF is not one line */
  if (nl) FZ_CHECK(ctl_cdbkey(s, size, &key) == -1);
  sb_free(&out);
  sb_free(&list);
  sb_free(&key);
  return 0;
}
