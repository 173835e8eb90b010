#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "qslog.h"

const char *progname = "test_qslog";

static void t_safe(void **st)
{
  static const struct { const char *in; size_t n; const char *want; } c[] = {
    {"did 0+0+1/", 10, "did_0+0+1/"},
    {"a\nb", 3, "a/b"},
    {"100%", 4, "100_"},
    {"tab\there", 8, "tab_here"},
    {"\x7f\x80\xff", 3, "___"},
    {"nul\0x", 5, "nul_x"},
    {"", 0, ""},
    {"<joe@example.org>", 17, "<joe@example.org>"},
  };
  sb out = SB_INIT;
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    out.len = 0;
    assert_true(sb_cats(&out, "x:"));
    assert_true(qslog_safe(&out, c[i].in, c[i].n));
    if (strcmp(out.s + 2, c[i].want)) fail_msg("case %zu: got %s", i, out.s + 2);
    assert_memory_equal(out.s, "x:", 2);     /* what was there is kept */
  }
  sb_free(&out);
}

int main(void)
{
  const struct CMUnitTest tests[] = { cmocka_unit_test(t_safe) };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
