#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
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
  {"a\r\n", "a\r\r\n.\r\n", 0, 4, 0},           /* a CR before LF is data */
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
        assert_int_equal(o.len, strlen(c->wire));
        assert_memory_equal(o.s, c->wire, o.len);
      }
      sb_free(&o);
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
  const struct CMUnitTest tests[] = {cmocka_unit_test(t_stuff), cmocka_unit_test(t_overflow)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
