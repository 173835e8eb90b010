/* fuzz_injhdr: qmail-inject's header processing (injhdr.h). The input
 * is a message; its lines are fed as qmail-inject's read_header does
 * until the header ends, then the header is finished. The first byte's
 * low six bits pick the QMAILINJECT letters (c s f i r m). Properties:
 * the finished header is whole lines, each a header field start or a
 * continuation; it is not bigger than maxheader plus the fields
 * inj_finish adds; the recipient lists are NUL-terminated strings. */
#include "fuzz.h"
#include "injhdr.h"

static struct rfc822_qual q;
static int qready;

static void strings(const sb *a)
{
  if (a && a->len) FZ_CHECK(a->s[a->len - 1] == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *s = (const char *)data;
  char letters[8];
  size_t nl = 0;
  if (!qready) {
    rfc822_qual_init(&q);
    FZ_CHECK(rfc822_qual_set(&q, "host.example.org", "example.org", "plus.example.net") == RFC_OK);
    qready = 1;
  }
  static const char mft[] = "list@example.org\0other@lists.example.net";
  struct inj_conf c = {
    .user = "joe", .host = NULL, .name = "Joe \"the\" User", .ruser = "joe", .rhost = NULL,
    .idhost = "id.example.org", .mft = mft, .mftlen = sizeof mft, .now = 1700000000, .pid = 4242,
    .maxfield = 8192, .maxheader = 32768,
  };
  for (int i = 0; i < 6; ++i)
    if (size && (data[0] >> i & 1)) letters[nl++] = "csfirm"[i];
  letters[nl] = 0;
  inj_conf_flags(&c, letters);

  struct inj j;
  inj_init(&j, &c, &q);
  if (size && (data[0] & 0x40)) FZ_MEM(inj_set_sender(&j, "fromflag@example.org") >= 0);
  size_t off = 0;
  int r = INJ_MORE;
  while (off < size) {
    const char *e = memchr(s + off, '\n', size - off);
    size_t n = e ? (size_t)(e - s - off) + 1 : size - off;
    char *line = fz_str(s + off, n);
    if (!e) line[n++] = 0, line[n - 1] = '\n';   /* qmail-inject adds the LF of a last partial line */
    r = inj_line(&j, line, n);
    free(line);
    off += e ? n : size - off;
    if (r != INJ_MORE) break;
    if (!e) { r = inj_eof(&j); break; }
  }
  if (off >= size && r == INJ_MORE) r = inj_eof(&j);
  FZ_MEM(r != INJ_NOMEM);
  if (r == INJ_MORE || r == INJ_BLANK || r == INJ_BODY) {
    sb out = SB_INIT;
    r = inj_finish(&j, size && (data[0] & 0x80), &out);
    FZ_MEM(r != INJ_NOMEM);
    if (r == INJ_MORE) {
      FZ_CHECK(out.len <= c.maxheader + 4096);
      for (size_t i = 0; i < out.len;) {
        const char *e = memchr(out.s + i, '\n', out.len - i);
        FZ_CHECK(e);   /* whole lines */
        size_t n = (size_t)(e - out.s - i);
        FZ_CHECK(n == 0 ? 0 : out.s[i] == ' ' || out.s[i] == '\t' || rfc822_hf_valid(out.s + i, n));
        i += n + 1;
      }
      strings(inj_hrcpts(&j));
    }
    sb_free(&out);
  }
  inj_free(&j);
  return 0;
}
