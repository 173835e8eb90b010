/* fuzz_smtpreply: qmail-remote reading a server's replies (smtpreply.h).
 * The input is what a (hostile) server sends; replies are read one after
 * the other through rd in chunks, and each text goes through the EHLO
 * keyword and cluster-cookie checks. Properties: a reply's text is at
 * most SR_TEXTMAX bytes, lines end in LF, no CR and no NUL are kept; a
 * reply never takes more than SR_TOTALMAX bytes of input (plus one line
 * read to find that out); the code of an OK reply is its last line's;
 * keyword parameters lie inside the text. */
#include "fuzz.h"
#include "smtpreply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct rd r;
  struct fz_mem m;
  sb text = SB_INIT;
  fz_rd(&r, &m, data, size, 0, fz_hash(data, size));
  for (int n = 0; n < 200; ++n) {
    unsigned code = 9999;
    size_t before = fz_consumed(&r, &m);
    int k = smtpreply_read(&r, &code, &text);
    size_t used = fz_consumed(&r, &m) - before;
    FZ_CHECK(used <= SR_TOTALMAX + SR_LINEMAX + 1);
    FZ_CHECK(text.len <= SR_TEXTMAX && text.s[text.len] == 0);
    FZ_CHECK(!memchr(text.s, '\r', text.len) && !memchr(text.s, 0, text.len));
    if (k != RD_OK) break;
    FZ_CHECK(code <= 999);
    int cl = smtpreply_class(code);
    FZ_CHECK(cl == 2 || cl == 4 || cl == 5);
    static const char *const kws[] = {"STARTTLS", "SIZE", "AUTH", "8BITMIME", "SMTPUTF8", "PIPELINING"};
    for (size_t i = 0; i < sizeof kws / sizeof kws[0]; ++i) {
      const char *p;
      size_t pl;
      if (smtpreply_ehlo(text.s, text.len, kws[i], &p, &pl)) FZ_CHECK(p >= text.s && p + pl <= text.s + text.len);
    }
    (void)smtpreply_endswith(text.s, text.len, "cookie", 6);
    (void)smtpreply_endswith(text.s, text.len, text.s, text.len);
  }
  /* the line splitter alone, on every line */
  for (size_t i = 0; i < size;) {
    const uint8_t *e = memchr(data + i, '\n', size - i);
    size_t end = e ? (size_t)(e - data) : size;
    unsigned code = 0;
    int last = smtpreply_line((const char *)data + i, end - i, &code);
    FZ_CHECK(last == 0 || last == 1);
    FZ_CHECK(code <= 999);
    int digits = end - i >= 3 && data[i] >= '0' && data[i] <= '9' && data[i + 1] >= '0' && data[i + 1] <= '9' &&
                 data[i + 2] >= '0' && data[i + 2] <= '9';
    if (!digits) FZ_CHECK(last && !code);   /* such a line ends the reply */
    i = end + 1;
  }
  sb_free(&text);
  return 0;
}
