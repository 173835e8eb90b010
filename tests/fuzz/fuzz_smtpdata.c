/* fuzz_smtpdata: qmail-smtpd's DATA state machine (smtpdata.h). The
 * input is what a client sends after "354". It is fed whole, one byte at
 * a time, and in chunks of varying size: the result, the bytes used, the
 * message and the counters must not depend on the division. REJECTEXEC
 * is on in every run (signatures MZ and #!), the databytes limit in some.
 * Properties: the message has no CR (bare CR and bare LF end the data);
 * it is the emitted bytes exactly; at the end it is empty or ends with
 * LF; with no refusal bit set no line exceeds SD_MAXLINE and the limit
 * holds. */
#include "fuzz.h"
#include "smtpdata.h"

struct result {
  int rc;
  size_t used;
  sb out;
  int fail;
  uint64_t bytes;
  unsigned hops;
  int found;
};

static const char sigs[] = "MZ\0#!";

/* chunk 0: sizes from the generator; SIZE_MAX: all at once */
static void run(const uint8_t *p, size_t n, size_t chunk, uint32_t seed, uint64_t limit, struct result *r)
{
  struct smtpdata d;
  struct execscan x;
  size_t off = 0;
  execscan_init(&x, sigs, sizeof sigs);
  smtpdata_init(&d, limit, &x);
  r->out = (sb)SB_INIT;
  r->rc = SD_MORE;
  while (off < n) {
    size_t k = chunk == SIZE_MAX ? n - off : chunk ? chunk : 1 + fz_next(&seed) % 300;
    if (k > n - off) k = n - off;
    size_t used = 0;
    r->rc = smtpdata_feed(&d, (const char *)p + off, k, &used, &r->out);
    FZ_MEM(r->rc >= 0);
    FZ_CHECK(used <= k);
    FZ_CHECK(r->out.s[r->out.len] == 0);
    if (r->rc == SD_MORE) FZ_CHECK(used == k);
    off += used;
    if (r->rc != SD_MORE) break;
  }
  r->used = off;
  r->fail = d.fail;
  r->bytes = d.bytes;
  r->hops = d.hops;
  r->found = x.found;
}

static int eq(const sb *a, const sb *b)
{
  return a->len == b->len && (!a->len || !memcmp(a->s, b->s, a->len));
}

static void same(const struct result *a, const struct result *b)
{
  FZ_CHECK(a->rc == b->rc);
  FZ_CHECK(a->used == b->used);
  FZ_CHECK(eq(&a->out, &b->out));
  FZ_CHECK(a->fail == b->fail);
  FZ_CHECK(a->bytes == b->bytes);
  FZ_CHECK(a->hops == b->hops);
  FZ_CHECK(a->found == b->found);
}

static void props(const struct result *r, uint64_t limit)
{
  FZ_CHECK(r->out.len == r->bytes);
  FZ_CHECK(!r->out.len || !memchr(r->out.s, '\r', r->out.len));
  if (r->rc == SD_END && !r->fail) FZ_CHECK(!r->out.len || r->out.s[r->out.len - 1] == '\n');
  if (limit) FZ_CHECK(r->bytes <= limit);
  if (!(r->fail & SD_TOOLONG)) {
    size_t run = 0;
    for (size_t i = 0; i < r->out.len; ++i) {
      run = r->out.s[i] == '\n' ? 0 : run + 1;
      FZ_CHECK(run <= SD_MAXLINE);
    }
  }
  if (r->fail & SD_EXEC) FZ_CHECK(r->found);
  if (!(r->fail & SD_HOPS)) FZ_CHECK(r->hops < SD_MAXHOPS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct result whole, bytes, chunks, limited, limited1;
  uint32_t h = fz_hash(data, size);
  run(data, size, SIZE_MAX, 0, 0, &whole);
  props(&whole, 0);
  run(data, size, 1, 0, 0, &bytes);
  same(&whole, &bytes);
  run(data, size, 0, h, 0, &chunks);
  same(&whole, &chunks);
  /* a limit somewhere inside the message */
  uint64_t limit = 1 + h % (size + 1);
  run(data, size, SIZE_MAX, 0, limit, &limited);
  props(&limited, limit);
  run(data, size, 1, 0, limit, &limited1);
  same(&limited, &limited1);
  /* the limit only cuts the output: the protocol outcome is the same */
  FZ_CHECK(limited.rc == whole.rc && limited.used == whole.used);
  FZ_CHECK(limited.out.len <= whole.out.len && (!limited.out.len || !memcmp(limited.out.s, whole.out.s, limited.out.len)));
  if (whole.bytes > limit) FZ_CHECK(limited.fail & SD_TOOBIG);
  sb_free(&whole.out);
  sb_free(&bytes.out);
  sb_free(&chunks.out);
  sb_free(&limited.out);
  sb_free(&limited1.out);
  return 0;
}
