#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "smtpdata.h"

const char *progname = "test_smtpdata";

struct result { int r; size_t used; int fail; sb out; };

/* Feed in chunks of `chunk` bytes (0: all at once); stop at END/BARELF/BARECR. */
static void run(const char *in, size_t n, size_t chunk, uint64_t limit, struct execscan *x, struct result *res)
{
  struct smtpdata d;
  size_t pos = 0;
  smtpdata_init(&d, limit, x);
  res->out.len = 0;
  sb_ready(&res->out, 0);
  res->out.s[0] = 0;
  res->r = SD_MORE;
  while (pos < n) {
    size_t k = chunk && chunk < n - pos ? chunk : n - pos, used = 0;
    res->r = smtpdata_feed(&d, in + pos, k, &used, &res->out);
    assert_true(res->r >= 0);
    assert_true(used <= k);
    pos += used;
    if (res->r != SD_MORE) break;
    assert_int_equal(used, k);
  }
  res->used = pos;
  res->fail = d.fail;
}

#define S(x) x, sizeof x - 1

static void t_table(void **st)
{
  static const struct { const char *in; size_t n; int r; const char *out; size_t outn; size_t used; } c[] = {
    {S("a\r\n.\r\n"), SD_END, S("a\n"), 6},
    {S(".\r\n"), SD_END, S(""), 3},
    {S("..x\r\n.\r\n"), SD_END, S(".x\n"), 8},
    {S(".x\r\n.\r\n"), SD_END, S("x\n"), 7},
    {S("a\r\n..\r\n.\r\n"), SD_END, S("a\n.\n"), 10},
    {S("a\r\n.\r\nMAIL FROM:<x>\r\n"), SD_END, S("a\n"), 6},
    /* bare CR anywhere: refused (no smuggling with \r.\r, \r\n.\r, \r.\r\n) */
    {S("a\rb\r\n.\r\n"), SD_BARECR, S("a"), 3},
    {S("a\r\r\n.\r\n"), SD_BARECR, S("a"), 3},
    {S("\r\r\r\n.\r\n"), SD_BARECR, S(""), 2},
    {S(".\rx\r\n.\r\n"), SD_BARECR, S(""), 3},
    {S(".\r\r\n.\r\n"), SD_BARECR, S(""), 3},
    {S("a\r.\rb\r\n.\r\n"), SD_BARECR, S("a"), 3},
    {S("a\r\n\r.\r\nb\r\n.\r\n"), SD_BARECR, S("a\n"), 5},
    {S("a\r\nx\r.\r\n"), SD_BARECR, S("a\nx"), 6},
    {S("a\r\n.\rx\n"), SD_BARECR, S("a\n"), 6},
    {S("a\r\n.\r.\r\n"), SD_BARECR, S("a\n"), 6},
    {S("a\0b\r\n.\r\n"), SD_END, S("a\0b\n"), 8},
    {S("x. \r\n. \r\n.\r\n"), SD_END, S("x. \n \n"), 12},
    /* bare LF anywhere: refused (no smuggling with \n.\r\n, \r\n.\n, \n.\n) */
    {S("a\n.\r\n"), SD_BARELF, S("a"), 2},
    {S("a\r\n.\n"), SD_BARELF, S("a\n"), 5},
    {S("a\r\n\n.\r\n"), SD_BARELF, S("a\n"), 4},
    {S("\n"), SD_BARELF, S(""), 1},
    {S("a\r\n.x\n"), SD_BARELF, S("a\nx"), 6},
    {S("a\r\nb\n.\nc\r\n.\r\n"), SD_BARELF, S("a\nb"), 5},
    /* not the end */
    {S("a\r\n. \r\n"), SD_MORE, S("a\n \n"), 7},
    {S("a\r\n.\r"), SD_MORE, S("a\n"), 5},
    {S("a\r\nx.\r\n"), SD_MORE, S("a\nx.\n"), 7},
    {S(""), SD_MORE, S(""), 0},
  };
  struct result res = {0, 0, 0, SB_INIT};
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i)
    for (size_t chunk = 0; chunk < 4; ++chunk) {
      run(c[i].in, c[i].n, chunk, 0, 0, &res);
      if (res.r != c[i].r || res.used != c[i].used || res.out.len != c[i].outn ||
          memcmp(res.out.s, c[i].out, c[i].outn))
        fail_msg("case %zu chunk %zu: got r=%d used=%zu out(%zu)=%.*s", i, chunk, res.r, res.used,
                 res.out.len, (int)res.out.len, res.out.s);
      assert_int_equal(res.fail, 0);
    }
  sb_free(&res.out);
}

static void t_databytes(void **st)
{
  struct result res = {0, 0, 0, SB_INIT};
  (void)st;
  run(S("abc\r\n.\r\n"), 0, 4, 0, &res);          /* "abc\n" is exactly 4 */
  assert_int_equal(res.r, SD_END);
  assert_int_equal(res.fail, 0);
  run(S("abcd\r\n.\r\n"), 0, 4, 0, &res);         /* one byte over */
  assert_int_equal(res.r, SD_END);
  assert_int_equal(res.fail, SD_TOOBIG);
  assert_int_equal(res.out.len, 4);
  assert_int_equal(res.used, 9);                 /* still read to the end */
  run(S("abcd\r\n.\r\n"), 1, 4, 0, &res);
  assert_int_equal(res.fail, SD_TOOBIG);
  run(S("..\r\n.\r\n"), 1, 2, 0, &res);           /* counted after unstuffing */
  assert_int_equal(res.fail, 0);
  /* a long body through the fast path, at and over the limit */
  size_t n = 100000;
  char *big = malloc(n + 5);
  memset(big, 'x', n);
  for (size_t i = 99; i < n; i += 100) { big[i - 1] = '\r'; big[i] = '\n'; }
  memcpy(big + n, ".\r\n", 3);
  run(big, n + 3, 0, 99000, 0, &res);
  assert_int_equal(res.fail, 0);
  assert_int_equal(res.out.len, 99000);
  run(big, n + 3, 0, 98999, 0, &res);
  assert_int_equal(res.fail, SD_TOOBIG);
  run(big, n + 3, 7, 98999, 0, &res);
  assert_int_equal(res.fail, SD_TOOBIG);
  assert_int_equal(res.r, SD_END);
  free(big);
  sb_free(&res.out);
}

static void t_linelen(void **st)
{
  struct result res = {0, 0, 0, SB_INIT};
  size_t n = SD_MAXLINE + 20;
  char *buf = malloc(n + 10);
  (void)st;
  for (int hdr = 0; hdr < 2; ++hdr)
    for (size_t extra = 0; extra < 2; ++extra) {
      size_t p = 0;
      if (!hdr) { memcpy(buf, "S: x\r\n\r\n", 8); p = 8; }
      memset(buf + p, 'y', SD_MAXLINE + extra);
      p += SD_MAXLINE + extra;
      memcpy(buf + p, "\r\n.\r\n", 5);
      run(buf, p + 5, 0, 0, 0, &res);
      assert_int_equal(res.r, SD_END);
      assert_int_equal(res.fail, extra ? SD_TOOLONG : 0);
      run(buf, p + 5, 3, 0, 0, &res);
      assert_int_equal(res.fail, extra ? SD_TOOLONG : 0);
    }
  free(buf);
  sb_free(&res.out);
}

static void t_hops(void **st)
{
  sb in = SB_INIT;
  struct result res = {0, 0, 0, SB_INIT};
  (void)st;
  for (int n = 98; n <= 100; ++n) {
    in.len = 0;
    for (int i = 0; i < n; ++i) sb_cats(&in, i % 3 == 0 ? "Received: x\r\n" : i % 3 == 1 ? "DELIVERED-TO: y\r\n" : "received:z\r\n");
    sb_cats(&in, "Received : not counted\r\nX-Received: no\r\n\r\nReceived: body\r\nDelivered-To: body\r\n.\r\n");
    run(in.s, in.len, 0, 0, 0, &res);
    assert_int_equal(res.r, SD_END);
    assert_int_equal(res.fail, n + 1 >= SD_MAXHOPS + 1 ? SD_HOPS : 0);
    run(in.s, in.len, 1, 0, 0, &res);
    assert_int_equal(res.fail, n >= SD_MAXHOPS ? SD_HOPS : 0);
  }
  sb_free(&in);
  sb_free(&res.out);
}

static const char sigs[] = "TVqQAAMAA\0UEsDBAoAAAAAA*****DKJx\0";

static int scan(const char *msg, size_t chunk)
{
  struct execscan x;
  struct result res = {0, 0, 0, SB_INIT};
  sb in = SB_INIT;
  /* LF message to CRLF input */
  for (const char *p = msg; *p; ++p) { if (*p == '\n') sb_catc(&in, '\r'); sb_catc(&in, *p); }
  sb_cats(&in, ".\r\n");
  execscan_init(&x, sigs, sizeof sigs - 1);
  run(in.s, in.len, chunk, 0, &x, &res);
  assert_int_equal(res.r, SD_END);
  sb_free(&in);
  sb_free(&res.out);
  return res.fail == SD_EXEC;
}

static void t_exec(void **st)
{
  static const struct { const char *msg; int want; } c[] = {
    {"Subject: x\n\nTVqQAAMAAhello\n", 1},
    {"Subject: x\n\nhello\nTVqQAAMAAhello\n", 0},
    {"Content-Type: multipart/mixed; boundary=\"b1\"\n\nTVqQAAMAA preamble\n--b1\n"
     "Content-Type: text/plain\n\nhi\n--b1\nContent-Type: application/octet-stream\n"
     "Content-Transfer-Encoding: base64\n\nTVqQAAMAAxyz\n--b1--\n", 1},
    {"Content-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain\n\nhi\nTVqQAAMAA\n--b1--\n", 0},
    {"Content-Type: multipart/mixed;\n\tboundary=b1\n\n--b1\n\nTVqQAAMAA\n--b1--\n", 1},
    {"Content-Type: MULTIPART/MIXED; BOUNDARY=\"b1\"\n\n--b1\n\nUEsDBAoAAAAAAxxxxxDKJxyz\n--b1--\n", 1},
    {"Content-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\n\nUEsDBAoAAAAAAxxxxxDKJ\n--b1--\n", 0},
    /* nested multipart and message/rfc822 */
    {"Content-Type: multipart/mixed; boundary=outer\n\n--outer\n"
     "Content-Type: multipart/alternative; boundary=inner\n\n--inner\n\ntext\n--inner--\n"
     "--outer\nContent-Type: message/rfc822\n\nSubject: fwd\nContent-Type: multipart/mixed; boundary=deep\n\n"
     "--deep\nContent-Type: application/x-msdownload\n\nTVqQAAMAAdeep\n--deep--\n--outer--\n", 1},
    {"Content-Type: multipart/mixed; boundary=outer\n\n--outer\nContent-Type: message/rfc822\n\n"
     "Subject: fwd\n\nTVqQAAMAA in a forwarded plain message\n--outer--\n", 1},
    /* after the closing boundary only an epilogue follows */
    {"Content-Type: multipart/mixed; boundary=b\n\n--b\n\nok\n--b--\nTVqQAAMAA\n", 0},
    /* a boundary-like line of an unknown boundary is just text */
    {"Content-Type: multipart/mixed; boundary=b\n\n--c\n\nTVqQAAMAA\n--b--\n", 0},
    {"Content-Type: text/plain\n\nnothing here\n", 0},
    {"\n\n", 0},
  };
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i)
    for (size_t chunk = 0; chunk < 3; ++chunk)
      if (scan(c[i].msg, chunk) != c[i].want) fail_msg("exec case %zu chunk %zu", i, chunk);
  assert_int_equal(execscan_sigmatch("abc", 3, "a*c", 3), 1);
  assert_int_equal(execscan_sigmatch("ab", 2, "a*c", 3), 0);
  assert_int_equal(execscan_sigmatch("abc", 3, "", 0), 0);
  /* deep nesting and huge headers stay bounded */
  sb m = SB_INIT;
  for (int i = 0; i < 40; ++i) sb_fmt(&m, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i);
  sb_cats(&m, "Content-Type: text/plain\n\nharmless\n");
  assert_int_equal(scan(m.s, 0), 1);   /* too deep to follow: suspicious */
  m.len = 0;
  for (int i = 0; i < SD_MAXBOUNDARY; ++i) sb_fmt(&m, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i);
  sb_cats(&m, "Content-Type: text/plain\n\nharmless\n");
  assert_int_equal(scan(m.s, 0), 0);
  sb_cats(&m, "--b3\n\nTVqQAAMAA\n");
  assert_int_equal(scan(m.s, 0), 1);
  m.len = 0;
  sb_cats(&m, "Content-Type: multipart/mixed;\n");
  for (int i = 0; i < 200; ++i) sb_cats(&m, " x=yyyyyyyyyyyyyyyyyyyy;\n");
  sb_cats(&m, " boundary=b\n\n--b\n\nTVqQAAMAA\n");
  assert_int_equal(scan(m.s, 0), 1);   /* boundary beyond what is kept: suspicious */
  m.len = 0;
  sb_cats(&m, "Content-Type: multipart/mixed\n\n--b\n\nTVqQAAMAA\n");
  assert_int_equal(scan(m.s, 0), 0);   /* no boundary at all: broken, nothing to follow */
  sb_free(&m);
}

/* Random junk never crashes and always consumes what it returns. */
static void t_fuzz(void **st)
{
  struct result res = {0, 0, 0, SB_INIT};
  struct execscan x;
  char buf[512];
  static const char alpha[] = "\r\n.-aB:\0 \t";
  (void)st;
  srand(1);
  for (int i = 0; i < 20000; ++i) {
    size_t n = (size_t)rand() % sizeof buf;
    for (size_t k = 0; k < n; ++k) buf[k] = alpha[rand() % (int)(sizeof alpha - 1)];
    execscan_init(&x, sigs, sizeof sigs - 1);
    run(buf, n, (size_t)rand() % 5, (uint64_t)(rand() % 50), (rand() & 1) ? &x : 0, &res);
    assert_true(res.out.len <= n);
  }
  sb_free(&res.out);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_table), cmocka_unit_test(t_databytes), cmocka_unit_test(t_linelen),
    cmocka_unit_test(t_hops), cmocka_unit_test(t_exec), cmocka_unit_test(t_fuzz),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
