#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "msgwire.h"

const char *progname = "test_msgwire";

struct wcase { const char *in; const char *wire; int partial; uint64_t size; int eightbit; };

static const struct wcase cases[] = {
  {"", ".\r\n", 0, 0, 0},
  {"a\n", "a\r\n.\r\n", 0, 3, 0},
  {".\n", "..\r\n.\r\n", 0, 3, 0},
  {"x\n.\n..\n.x\nx.\n", "x\r\n..\r\n...\r\n..x\r\nx.\r\n.\r\n", 0, 18, 0},
  {"\n\n", "\r\n\r\n.\r\n", 0, 4, 0},
  /* no CR goes out but in CRLF (RFC 5321 2.3.8; no "\r.\r" smuggling) */
  {"a\r\n", "a\r\n.\r\n", 0, 5, 0},             /* CR before LF: the line end */
  {"a\r\r\r\nb\n", "a\r\nb\r\n.\r\n", 0, 12, 0},
  {"a\r.\rb\n", "a\r\n..\r\nb\r\n.\r\n", 0, 9, 0},   /* bare CR: a line end, dot-stuffed */
  {"a\r\rb\n", "a\r\n\r\nb\r\n.\r\n", 0, 8, 0},
  {"\r.\r\n", "\r\n..\r\n.\r\n", 0, 7, 0},
  {".\r.\n", "..\r\n..\r\n.\r\n", 0, 6, 0},
  {"a\n\r\n.\n", "a\r\n\r\n..\r\n.\r\n", 0, 10, 0},
  {"a\r", 0, 1, 3, 0},                            /* ends in a CR: partial */
  {"a\n\r", 0, 1, 5, 0},
  {"caf\xc3\xa9\n", "caf\xc3\xa9\r\n.\r\n", 0, 7, 1},
  {"no newline", 0, 1, 10, 0},
  {"a\n.", 0, 1, 4, 0},
};

/* whole, and one byte at a time */
static void t_stuff(void **st)
{
  (void)st;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i)
    for (int bw = 0; bw < 2; ++bw) {
      const struct wcase *c = &cases[i];
      struct stuffer s;
      struct msgscan m;
      sb o = SB_INIT;
      size_t n = strlen(c->in);
      stuff_init(&s);
      msgscan_init(&m);
      if (!bw) { assert_true(stuff_feed(&s, c->in, n, &o)); msgscan_feed(&m, c->in, n); }
      else for (size_t j = 0; j < n; ++j) { assert_true(stuff_feed(&s, c->in + j, 1, &o)); msgscan_feed(&m, c->in + j, 1); }
      int k = stuff_end(&s, &o);
      assert_int_equal(k, c->partial ? 0 : 1);
      assert_int_equal(msgscan_partial(&m), c->partial);
      assert_int_equal(msgscan_wiresize(&m), c->size);
      assert_int_equal(m.eightbit, c->eightbit);
      if (c->wire) {
        if (o.len != strlen(c->wire) || memcmp(o.s, c->wire, o.len))
          fail_msg("case %zu bytewise %d: got %zu bytes", i, bw, o.len);
        for (size_t j = 0; j < o.len; ++j)                    /* no CR without LF, no LF without CR */
          if ((o.s[j] == '\r') != (j + 1 < o.len && o.s[j + 1] == '\n') ||
              (o.s[j] == '\n' && (!j || o.s[j - 1] != '\r')))
            fail_msg("case %zu: bare CR or LF at %zu", i, j);
      }
      sb_free(&o);
    }
}

/* Random \r \n . x mixes: fed whole or in random pieces the wire form is
 * the same, has CR only in CRLF, and never a line "." before the end. */
static void t_random(void **st)
{
  (void)st;
  static const char alpha[] = "\r\n.x";
  char buf[64];
  srand(7);
  for (int it = 0; it < 20000; ++it) {
    size_t n = (size_t)rand() % sizeof buf;
    for (size_t k = 0; k < n; ++k) buf[k] = alpha[rand() % 4];
    if (n) buf[n - 1] = '\n';
    sb a = SB_INIT, b = SB_INIT;
    struct stuffer s1, s2;
    stuff_init(&s1);
    stuff_init(&s2);
    assert_true(stuff_feed(&s1, buf, n, &a));
    for (size_t j = 0; j < n;) {
      size_t k = 1 + (size_t)rand() % 5;
      if (k > n - j) k = n - j;
      assert_true(stuff_feed(&s2, buf + j, k, &b));
      j += k;
    }
    assert_int_equal(stuff_end(&s1, &a), 1);
    assert_int_equal(stuff_end(&s2, &b), 1);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.s, b.s, a.len);
    for (size_t j = 0; j < a.len; ++j) {
      if (a.s[j] == '\r') assert_true(j + 1 < a.len && a.s[j + 1] == '\n');
      if (a.s[j] == '\n') assert_true(j > 0 && a.s[j - 1] == '\r');
    }
    for (size_t j = 0; j + 3 < a.len; ++j)      /* "\r\n.\r\n" only at the very end */
      if (!memcmp(a.s + j, "\r\n.\r\n", 5)) assert_int_equal(j + 5, a.len);
    sb_free(&a);
    sb_free(&b);
  }
}

static void t_overflow(void **st)
{
  (void)st;
  struct msgscan m;
  msgscan_init(&m);
  m.bytes = UINT64_MAX - 1;
  m.lines = 5;
  assert_int_equal(msgscan_wiresize(&m), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {cmocka_unit_test(t_stuff), cmocka_unit_test(t_random), cmocka_unit_test(t_overflow)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
