/* fuzz_qmqp: the QMQP request walk of qmail-qmqpd on the netstring
 * stream readers (netstring.h, rd.h): one netstring holding the
 * message's, the sender's and each recipient's netstring, every read
 * charged to the outer length. A request that does not start like a
 * plain netstring is zlib-compressed, as qmail-qmqpd tells them apart
 * (ns_plainstart); it is inflated here in memory (qmqpratio 100 beyond
 * the first MiB, as the inflater caps it; 4 MiB at most) and the walk
 * reads the result. The walk is qmail-qmqpd's serve()/getaddr() without
 * the queue: they are static in the program, so the steps are repeated
 * here with the same calls and limits (bare CR in the message; NUL, CR,
 * LF or more than ADDRMAX bytes in an address; no recipient).
 * Properties: the bytes consumed inside the outer netstring are exactly
 * its length (the budget reaches 0 with the last address and never goes
 * below); an address kept is at most ADDRMAX bytes without NUL, CR or LF;
 * the bare-CR scan across read boundaries agrees with one over the
 * whole message; the reads stop at the end of the input. */
#include "fuzz.h"
#include "netstring.h"
#include <zlib.h>

#define QMQP_MAX ((uint64_t)1 << 40)   /* as qmail-qmqpd */
#define ADDRMAX 1000
#define INFLATEMAX (4u << 20)
#define RATIOFLOOR ((uint64_t)1 << 20)
#define RATIO 100

static int inflate_all(const uint8_t *p, size_t n, sb *out)
{
  z_stream z;
  unsigned char buf[16384];
  int r, ok = 0;
  memset(&z, 0, sizeof z);
  if (inflateInit(&z) != Z_OK) return 0;
  z.next_in = (unsigned char *)p;
  z.avail_in = n > UINT32_MAX ? UINT32_MAX : (uInt)n;
  for (;;) {
    z.next_out = buf;
    z.avail_out = sizeof buf;
    r = inflate(&z, Z_NO_FLUSH);
    if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR) break;
    FZ_MEM(sb_catb(out, buf, sizeof buf - z.avail_out));
    uint64_t in = n - z.avail_in;
    if (out->len > RATIOFLOOR && out->len - RATIOFLOOR > in * RATIO) break;   /* refused: D */
    if (out->len > INFLATEMAX) break;
    if (r == Z_STREAM_END) { ok = 1; break; }
    if (r == Z_BUF_ERROR || (!z.avail_in && z.avail_out)) { ok = 1; break; }   /* truncated: the walk sees the end */
  }
  inflateEnd(&z);
  return ok;
}

struct walk {
  struct rd r;
  struct fz_mem m;
  uint64_t left;
  size_t start;       /* offset of the outer netstring's contents */
  sb addr;
  int badaddr, barecr;
  unsigned rcpts;
  const uint8_t *msg;   /* the message's bytes in the input */
  uint64_t msglen;
};

static int getaddr(struct walk *w)
{
  uint64_t n;
  int k = ns_getlen(&w->r, w->left, &n, &w->left);
  if (k != RD_OK) return k;
  w->addr.len = 0;
  if (n > ADDRMAX) {
    w->badaddr = 1;
    k = ns_getbytes(&w->r, n, 0, &w->left);
  } else {
    k = ns_getbytes(&w->r, n, &w->addr, &w->left);
    for (size_t i = 0; k == RD_OK && i < w->addr.len; ++i)
      if (w->addr.s[i] == 0 || w->addr.s[i] == '\r' || w->addr.s[i] == '\n') { w->badaddr = 1; w->addr.len = 0; break; }
  }
  if (k != RD_OK) return k;
  FZ_CHECK(w->addr.len <= ADDRMAX);
  FZ_CHECK(!w->addr.len || (!memchr(w->addr.s, 0, w->addr.len) && !memchr(w->addr.s, '\r', w->addr.len) &&
                            !memchr(w->addr.s, '\n', w->addr.len)));
  return ns_getcomma(&w->r, &w->left);
}

static void walk(const uint8_t *p, size_t n, uint32_t seed)
{
  struct walk w;
  uint64_t outer, msg;
  memset(&w, 0, sizeof w);
  fz_rd(&w.r, &w.m, p, n, seed & 1 ? 1 : 0, seed);
  if (ns_getlen(&w.r, QMQP_MAX, &outer, 0) != RD_OK) goto out;
  w.left = outer;
  w.start = fz_consumed(&w.r, &w.m);
  if (ns_getlen(&w.r, w.left, &msg, &w.left) != RD_OK) goto out;
  if (msg > w.left) goto out;           /* qmail-qmqpd: protocol violation */
  w.left -= msg;
  w.msg = p + fz_consumed(&w.r, &w.m);
  w.msglen = msg;
  int cr = 0;
  while (msg) {                         /* the message (to the queue there) */
    if (rd_fill(&w.r) != RD_OK) goto out;
    size_t take = rd_buffered(&w.r);
    if (take > msg) take = (size_t)msg;
    const unsigned char *q = w.r.buf + w.r.pos;
    for (size_t i = 0; i < take && !w.barecr; ++i) {
      if (cr && q[i] != '\n') w.barecr = 1;
      cr = q[i] == '\r';
    }
    w.r.pos += take;
    msg -= take;
  }
  if (cr) w.barecr = 1;
  /* the same verdict from the whole message at once */
  int model = 0;
  for (uint64_t i = 0; i < w.msglen; ++i)
    if (w.msg[i] == '\r' && (i + 1 == w.msglen || w.msg[i + 1] != '\n')) model = 1;
  FZ_CHECK(model == w.barecr);
  if (ns_getcomma(&w.r, &w.left) != RD_OK) goto out;
  if (getaddr(&w) != RD_OK) goto out;   /* the sender */
  while (w.left) {
    if (getaddr(&w) != RD_OK) goto out;
    if (w.addr.len < 1) w.badaddr = 1;
    else ++w.rcpts;
  }
  /* the outer netstring's contents are used up exactly */
  FZ_CHECK(fz_consumed(&w.r, &w.m) - w.start == outer);
  if (ns_getcomma(&w.r, 0) != RD_OK) goto out;
  FZ_CHECK(fz_consumed(&w.r, &w.m) <= n);
out:
  FZ_CHECK(w.left <= outer || !w.start);
  FZ_CHECK(w.m.pos <= n);
  sb_free(&w.addr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  uint32_t h = fz_hash(data, size);
  size_t look = size < 8192 ? size : 8192;   /* what the first read may hold */
  if (ns_plainstart((const char *)data, look)) {
    walk(data, size, h);
    return 0;
  }
  sb plain = SB_INIT;
  if (inflate_all(data, size, &plain)) walk((const uint8_t *)plain.s, plain.len, h);
  sb_free(&plain);
  return 0;
}
