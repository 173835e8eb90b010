/* fuzz_quota: Maildir++ quota parsing (quota.h). The input is a
 * maildirsize file (the user's own: it lives in the Maildir, read by
 * qmail-local and by qmail-verify's root child as that user); its
 * definition line goes through quota_parse, each line through the
 * message-name size reader. Properties: a parsed file counts its lines
 * and keeps its first line as the definition; usage sums never
 * overflow (the parser refuses first); quota_over and quota_percent give
 * sane answers for any usage, including negative (deletions). */
#include "fuzz.h"
#include "quota.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *s = (const char *)data;
  sb def = SB_INIT;
  struct usage u = {0, 0};
  uint64_t lines = 0, want = 0;
  int r = quota_parse_file(s, size, &def, &u, &lines);
  FZ_CHECK(r == 0 || r == -1);
  for (size_t i = 0; i < size; ++i) want += s[i] == '\n';
  if (r == 0) {
    FZ_CHECK(lines == want && size && s[size - 1] == '\n');
    const char *nl = memchr(s, '\n', size);
    FZ_CHECK(def.len == (size_t)(nl - s) && !memcmp(def.s, s, def.len));
  }
  struct quota q;
  char *d = fz_str(def.s ? def.s : "", def.len);
  if (quota_parse(d, &q) == 0) {
    uint32_t h = fz_hash(data, size);
    uint64_t bytes = h & 1 ? UINT64_MAX : h % 100000;
    int o = quota_over(&q, &u, bytes);
    FZ_CHECK(o == 0 || o == 1);
    if (!q.size && !q.count) FZ_CHECK(!o);
    unsigned p = quota_percent(&q, &u);
    FZ_CHECK(p <= 1000);
  }
  free(d);
  for (size_t i = 0; i < size;) {
    const char *e = memchr(s + i, '\n', size - i);
    size_t end = e ? (size_t)(e - s) : size;
    char *name = fz_str(s + i, end - i);
    uint64_t sz;
    if (quota_name_size(name, &sz) == 0) FZ_CHECK(strstr(name, ",S="));
    free(name);
    i = end + 1;
  }
  sb_free(&def);
  return 0;
}
