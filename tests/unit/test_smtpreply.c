#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "smtpreply.h"
#include "feed.h"

const char *progname = "test_smtpreply";


struct lcase { const char *line; int last; unsigned code; };

static void t_line(void **st)
{
  (void)st;
  static const struct lcase c[] = {
    {"250 ok", 1, 250}, {"250-more", 0, 250}, {"250", 1, 250}, {"354 go ahead", 1, 354},
    {"25", 1, 0}, {"", 1, 0}, {"abc def", 1, 0}, {"2x0 ok", 1, 0}, {"999-x", 0, 999},
    {"421", 1, 421}, {"550 5.1.1 no", 1, 550},
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    unsigned code = 12345;
    assert_int_equal(smtpreply_line(c[i].line, strlen(c[i].line), &code), c[i].last);
    assert_int_equal(code, c[i].code);
  }
}

static void t_class(void **st)
{
  (void)st;
  static const unsigned codes[] = {0, 199, 200, 250, 354, 399, 400, 421, 499, 500, 550, 599, 600, 999};
  static const int want[] = {4, 4, 2, 2, 2, 2, 4, 4, 4, 5, 5, 5, 4, 4};
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; ++i)
    assert_int_equal(smtpreply_class(codes[i]), want[i]);
}

struct rcase { const char *in; size_t n; int want; unsigned code; const char *text; };

static void t_read(void **st)
{
  (void)st;
  static const struct rcase c[] = {
    {"220 hi\r\n", 0, RD_OK, 220, "220 hi\n"},
    {"250-a\r\n250-SIZE 100\r\n250 8BITMIME\r\n", 0, RD_OK, 250, "250-a\n250-SIZE 100\n250 8BITMIME\n"},
    {"220 bare lf\n", 0, RD_OK, 220, "220 bare lf\n"},
    {"220 a\rb\r\n", 0, RD_OK, 220, "220 ab\n"},
    {"550 n\0l\r\n", 9, RD_OK, 550, "550 n?l\n"},
    {"garbage\r\n", 0, RD_OK, 0, "garbage\n"},
    {"250-x\r\nnot a continuation\r\n", 0, RD_OK, 0, "250-x\nnot a continuation\n"},
    {"", 0, RD_EOF, 0, ""},
    {"220 cut", 0, RD_PARTIAL, 0, 0},
    {"250-a\r\n", 0, RD_PARTIAL, 0, 0},
    {"250-a\r\n250-b", 0, RD_PARTIAL, 0, 0},
  };
  for (int bw = 0; bw < 2; ++bw)
    for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
      size_t n = c[i].n ? c[i].n : strlen(c[i].in);
      int fd = feed(c[i].in, n, bw);
      struct rd r;
      sb t = SB_INIT;
      unsigned code = 777;
      rd_init(&r, fd, 5);
      int k = smtpreply_read(&r, &code, &t);
      if (k != c[i].want) print_error("case %zu bw %d: got %d want %d\n", i, bw, k, c[i].want);
      assert_int_equal(k, c[i].want);
      if (k == RD_OK) {
        assert_int_equal(code, c[i].code);
        assert_string_equal(t.s, c[i].text);
      }
      reap(fd);
      sb_free(&t);
    }
}

/* Two replies back to back are read one at a time. */
static void t_two(void **st)
{
  (void)st;
  const char *in = "220-x\r\n220 y\r\n250 ok\r\n";
  int fd = feed(in, strlen(in), 1);
  struct rd r;
  sb t = SB_INIT;
  unsigned code;
  rd_init(&r, fd, 5);
  assert_int_equal(smtpreply_read(&r, &code, &t), RD_OK);
  assert_int_equal(code, 220);
  assert_int_equal(smtpreply_read(&r, &code, &t), RD_OK);
  assert_int_equal(code, 250);
  assert_string_equal(t.s, "250 ok\n");
  assert_int_equal(smtpreply_read(&r, &code, &t), RD_EOF);
  reap(fd);
  sb_free(&t);
}

/* An overlong line is cut; the text is capped; endless replies stop. */
static void t_limits(void **st)
{
  (void)st;
  sb in = SB_INIT, t = SB_INIT;
  struct rd r;
  unsigned code;
  int fd;
  assert_true(sb_cats(&in, "250 "));
  for (int i = 0; i < 6000; ++i) assert_true(sb_catc(&in, 'x'));
  assert_true(sb_cats(&in, "\r\n221 next\r\n"));
  fd = feed(in.s, in.len, 0);
  rd_init(&r, fd, 5);
  assert_int_equal(smtpreply_read(&r, &code, &t), RD_OK);
  assert_int_equal(code, 250);
  assert_true(t.len <= SR_LINEMAX + 1);
  assert_int_equal(t.s[t.len - 1], '\n');
  assert_int_equal(smtpreply_read(&r, &code, &t), RD_OK);
  assert_int_equal(code, 221);
  reap(fd);

  in.len = 0;                                  /* many continuation lines: text capped */
  for (int i = 0; i < 200; ++i) assert_true(sb_cats(&in, "250-0123456789012345678901234567890123456789\r\n"));
  assert_true(sb_cats(&in, "250 end\r\n"));
  fd = feed(in.s, in.len, 0);
  rd_init(&r, fd, 5);
  assert_int_equal(smtpreply_read(&r, &code, &t), RD_OK);
  assert_int_equal(code, 250);
  assert_true(t.len <= SR_TEXTMAX);
  reap(fd);

  in.len = 0;                                  /* a reply that never ends */
  for (int i = 0; i < 40; ++i) {
    assert_true(sb_cats(&in, "250-"));
    for (int j = 0; j < 3000; ++j) assert_true(sb_catc(&in, 'y'));
    assert_true(sb_cats(&in, "\r\n"));
  }
  fd = feed(in.s, in.len, 0);
  rd_init(&r, fd, 5);
  assert_int_equal(smtpreply_read(&r, &code, &t), RD_TOOLONG);
  reap(fd);

  in.len = 0;                                  /* one endless line */
  assert_true(sb_cats(&in, "250 "));
  for (int j = 0; j < 100000; ++j) assert_true(sb_catc(&in, 'z'));
  fd = feed(in.s, in.len, 0);
  rd_init(&r, fd, 5);
  assert_int_equal(smtpreply_read(&r, &code, &t), RD_TOOLONG);
  reap(fd);
  sb_free(&in);
  sb_free(&t);
}

static void t_ehlo(void **st)
{
  (void)st;
  const char *t = "250-mx.example Hello\n250-PIPELINING\n250-size 10240000\n250-AUTH LOGIN PLAIN\n"
                  "250-SIZEX\n250 8BITMIME\n";
  size_t n = strlen(t), pl;
  const char *p;
  assert_true(smtpreply_ehlo(t, n, "SIZE", &p, &pl));
  assert_int_equal(pl, 8);
  assert_memory_equal(p, "10240000", 8);
  assert_true(smtpreply_ehlo(t, n, "8BITMIME", &p, &pl));
  assert_int_equal(pl, 0);
  assert_true(smtpreply_ehlo(t, n, "auth", &p, &pl));
  assert_memory_equal(p, "LOGIN PLAIN", pl);
  assert_false(smtpreply_ehlo(t, n, "STARTTLS", &p, &pl));
  assert_false(smtpreply_ehlo(t, n, "SIZ", &p, &pl));
  assert_false(smtpreply_ehlo(t, n, "Hello", &p, &pl));
  assert_false(smtpreply_ehlo("", 0, "SIZE", &p, &pl));
  assert_false(smtpreply_ehlo("250", 3, "SIZE", &p, &pl));
  assert_true(smtpreply_ehlo("250 SIZE", 8, "SIZE", &p, &pl));   /* no final newline */
}

static void t_cookie(void **st)
{
  (void)st;
  const char *g = "220 me.example ESMTP hello abc123\n";
  assert_true(smtpreply_endswith(g, strlen(g), "abc123", 6));
  assert_false(smtpreply_endswith(g, strlen(g), "bc123", 5));     /* whole word only */
  assert_false(smtpreply_endswith(g, strlen(g), "hello", 5));
  assert_false(smtpreply_endswith(g, strlen(g), "", 0));
  const char *m = "220-first abc123\n220 me.example ESMTP\n";
  assert_false(smtpreply_endswith(m, strlen(m), "abc123", 6));
  const char *s = "220 x abc123 \n";
  assert_true(smtpreply_endswith(s, strlen(s), "abc123", 6));
  assert_false(smtpreply_endswith("abc", 3, "abc123", 6));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_line), cmocka_unit_test(t_class), cmocka_unit_test(t_read),
    cmocka_unit_test(t_two), cmocka_unit_test(t_limits), cmocka_unit_test(t_ehlo),
    cmocka_unit_test(t_cookie),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
