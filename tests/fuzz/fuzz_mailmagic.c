/* fuzz_mailmagic: qmail-reply's and qmail-quotawarn's header handling
 * (mailmagic.h). The input is an incoming message (its header decides
 * whether an auto-reply goes out) and, after a NUL, a reply text with an
 * optional %HEADER% block (the user's own). Properties: a header value
 * found has no line break (unfolded); the split text's headers are whole
 * lines of allowed fields; substitution leaves no key behind when the
 * value does not contain it. */
#include "fuzz.h"
#include "mailmagic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *s = (const char *)data;
  const char *z = memchr(s, 0, size);
  size_t hn = z ? (size_t)(z - s) : size;
  sb v = SB_INIT, hdrs = SB_INIT, body = SB_INIT, out = SB_INIT;
  static const char *const names[] = {"Subject", "From", "Precedence", "Auto-Submitted", "List-Id", "X-Spam-Status"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; ++i) {
    if (mm_header(s, hn, names[i], &v) == 1) FZ_CHECK(!memchr(v.s, '\n', v.len));
  }
  int b = mm_is_bulk(s, hn);
  FZ_CHECK(b == 0 || b == 1);
  char *sender = fz_str(s, hn < 300 ? hn : 300);
  /* the -j patterns, each NUL-terminated as qmail-reply makes them */
  char *junk = fz_str(z ? z + 1 : "", z ? size - hn - 1 : 0);
  (void)mm_sender_junk(sender, junk, z ? size - hn : 0);
  free(junk);
  const char *t = z ? z + 1 : s;
  size_t tn = z ? size - hn - 1 : size;
  if (mm_split_text(t, tn, &hdrs, &body) == 1) {
    for (size_t i = 0; i < hdrs.len;) {
      const char *e = memchr(hdrs.s + i, '\n', hdrs.len - i);
      FZ_CHECK(e);
      i = (size_t)(e - hdrs.s) + 1;
    }
  }
  char *text = fz_str(t, tn);
  if (mm_subst(text, "%SUBJECT%", "re: x", &out) == 1) FZ_CHECK(!strstr(out.s, "%SUBJECT%"));
  free(text);
  free(sender);
  sb_free(&v); sb_free(&hdrs); sb_free(&body); sb_free(&out);
  return 0;
}
