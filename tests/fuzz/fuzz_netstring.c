/* fuzz_netstring: the netstring parsers (netstring.h). The input is a
 * sequence of netstrings, well formed or not. The pure parser (ns_parse)
 * and the stream reader (ns_get over rd, in chunks of varying size) must
 * agree on every netstring and on how the sequence ends; the stream
 * readers with a budget must charge exactly the bytes they consume and
 * never more than the budget. Round trip: ns_put of any bytes parses
 * back to the same bytes. */
#include "fuzz.h"
#include "netstring.h"

#define MAX (1 << 16)   /* a netstring's length limit (caller's bound) */

/* Every byte consumed is charged; the one byte that would go over the
 * budget is read (and refused: NS_BAD) without being charged. */
static void charged(const struct rd *r, const struct fz_mem *m, uint64_t start, uint64_t budget, int k)
{
  uint64_t used = fz_consumed(r, m);
  FZ_CHECK(budget <= start);
  if (k == NS_BAD) FZ_CHECK(used == start - budget || used == start - budget + 1);
  else FZ_CHECK(used == start - budget);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *s = (const char *)data;
  uint32_t h = fz_hash(data, size);
  struct rd r;
  struct fz_mem m;
  sb out = SB_INIT, enc = SB_INIT;
  size_t pos = 0;
  uint64_t max = h & 1 ? MAX : h % 64;

  /* pure and stream side by side */
  fz_rd(&r, &m, data, size, h & 2 ? 1 : 0, h);
  for (;;) {
    const char *p;
    size_t n, before = pos;
    int a = ns_parse(s, size, &pos, max, &p, &n);
    int b = ns_get(&r, &out, (size_t)max, NULL);
    FZ_CHECK(a == RD_OK || a == NS_BAD || a == NS_NEED);
    if (a == RD_OK) {
      FZ_CHECK(pos > before && pos <= size && s[pos - 1] == ',');
      FZ_CHECK(p >= s + before && p + n == s + pos - 1 && n <= max);
      FZ_CHECK(b == RD_OK);
      FZ_CHECK(out.len == n && !memcmp(out.s, p, n));
      FZ_CHECK(fz_consumed(&r, &m) == pos);
      FZ_CHECK(ns_plainstart(s + before, size - before));
      continue;
    }
    FZ_CHECK(pos == before);
    if (a == NS_BAD) FZ_CHECK(b == NS_BAD);
    else FZ_CHECK(before == size ? b == RD_EOF : b == RD_PARTIAL || b == NS_BAD);
    /* NS_NEED with a stream that then has a wrong byte is not possible:
     * the pure parser saw the end of the buffer first */
    if (a == NS_NEED) FZ_CHECK(b != NS_BAD);
    break;
  }

  /* budgets: a length, its bytes and the comma, charged byte by byte */
  uint64_t budget = h % (size + 2), start = budget;
  fz_rd(&r, &m, data, size, 0, h ^ 0x5a5a5a5a);
  for (;;) {
    uint64_t len;
    int k = ns_getlen(&r, UINT64_MAX, &len, &budget);
    charged(&r, &m, start, budget, k);
    if (k != RD_OK) break;
    k = ns_getbytes(&r, len, NULL, &budget);
    FZ_CHECK(budget <= start);
    if (k != RD_OK) break;
    FZ_CHECK(start - budget == fz_consumed(&r, &m));
    k = ns_getcomma(&r, &budget);
    charged(&r, &m, start, budget, k);
    if (k != RD_OK) break;
  }

  /* round trip */
  FZ_MEM(ns_put(&enc, data, size));
  pos = 0;
  const char *p;
  size_t n;
  FZ_CHECK(ns_parse(enc.s, enc.len, &pos, UINT64_MAX, &p, &n) == RD_OK);
  FZ_CHECK(pos == enc.len && n == size && !memcmp(p, data, size));
  FZ_CHECK(ns_plainstart(enc.s, enc.len));
  FZ_CHECK(ns_parse(enc.s, enc.len - 1, &(size_t){0}, UINT64_MAX, &p, &n) == NS_NEED);
  sb_free(&out);
  sb_free(&enc);
  return 0;
}
