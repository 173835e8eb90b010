#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "qcmd.h"

const char *progname = "test_qcmd";

static void t_cond(void **st)
{
  static const struct { int code, want; } c[] = {
    {0, 1}, {1, 0}, {99, 0}, {100, 0}, {111, -1}, {112, 0}, {255, 0}, {QCMD_CRASHED, -1},
  };
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i)
    if (qcmd_cond(c[i].code) != c[i].want)
      fail_msg("cond(%d) = %d, want %d", c[i].code, qcmd_cond(c[i].code), c[i].want);
}

static void t_except(void **st)
{
  static const struct { int code, want; } c[] = {
    {0, 100}, {100, 0}, {111, 111}, {99, 99}, {1, 1}, {255, 255}, {QCMD_CRASHED, 111},
  };
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i)
    if (qcmd_except(c[i].code) != c[i].want)
      fail_msg("except(%d) = %d, want %d", c[i].code, qcmd_except(c[i].code), c[i].want);
}

static void t_errtemp(void **st)
{
  (void)st;
  assert_int_equal(qcmd_spawnexit(ENOENT), 100);
  assert_int_equal(qcmd_spawnexit(EACCES), 100);
  assert_int_equal(qcmd_spawnexit(ENOEXEC), 100);
  assert_int_equal(qcmd_spawnexit(ENOMEM), 111);
  assert_int_equal(qcmd_spawnexit(EAGAIN), 111);
  assert_int_equal(qcmd_spawnexit(ETXTBSY), 111);
  assert_int_equal(qcmd_spawnexit(EMFILE), 111);
}

static void t_opts(void **st)
{
  enum { ALL = QCMD_UF | QCMD_RP | QCMD_DT };
  static const struct { const char *argv[6]; int idx, flags; } c[] = {
    {{"preline", "cat"}, 1, ALL},
    {{"preline", "-f", "cat"}, 2, QCMD_RP | QCMD_DT},
    {{"preline", "-frd", "cat"}, 2, 0},
    {{"preline", "-f", "-r", "-d", "cat", "-f"}, 4, 0},
    {{"preline", "-fd", "-D", "cat"}, 3, QCMD_RP | QCMD_DT},
    {{"preline", "-frdFRD", "cat"}, 2, ALL},
    {{"preline", "--", "-f"}, 2, ALL},
    {{"preline", "-d", "--", "cat"}, 3, QCMD_UF | QCMD_RP},
    {{"preline", "-", "x"}, 1, ALL},            /* "-" is a program name */
    {{"preline"}, -1, ALL},
    {{"preline", "-f"}, -1, 0},
    {{"preline", "--"}, -1, ALL},
    {{"preline", "-x", "cat"}, -1, 0},
    {{"preline", "-fx", "cat"}, -1, 0},
    {{"preline", ""}, -1, ALL},
  };
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    int argc = 0, flags = -1, r;
    while (argc < 6 && c[i].argv[argc]) ++argc;
    r = qcmd_preline_opts(argc, (char *const *)c[i].argv, &flags);
    if (r != c[i].idx) fail_msg("case %zu: index %d, want %d", i, r, c[i].idx);
    if (r >= 0 && flags != c[i].flags) fail_msg("case %zu: flags %d, want %d", i, flags, c[i].flags);
  }
}

static void t_head(void **st)
{
  sb o = SB_INIT;
  (void)st;
  assert_true(qcmd_preline_head(&o, QCMD_UF | QCMD_RP | QCMD_DT, "U\n", "R\n", "D\n"));
  assert_int_equal(o.len, 6);
  assert_memory_equal(o.s, "U\nR\nD\n", 6);
  assert_true(qcmd_preline_head(&o, QCMD_DT, NULL, NULL, "D\n"));
  assert_int_equal(o.len, 2);
  assert_true(qcmd_preline_head(&o, 0, NULL, NULL, NULL));
  assert_int_equal(o.len, 0);
  assert_false(qcmd_preline_head(&o, QCMD_RP, "U\n", NULL, "D\n"));
  sb_free(&o);
}

static void t_spawn(void **st)
{
  char *tru[] = {"true", 0}, *seven[] = {"sh", "-c", "exit 7", 0};
  char *crash[] = {"sh", "-c", "kill -9 $$", 0}, *missing[] = {"/nonexistent/prog", 0};
  char *readin[] = {"sh", "-c", "read x; test \"$x\" = hello", 0};
  int p[2];
  pid_t pid;
  (void)st;
  pid = qcmd_spawn(tru, -1);
  assert_true(pid > 0);
  assert_int_equal(qcmd_wait(pid), 0);
  pid = qcmd_spawn(seven, -1);
  assert_int_equal(qcmd_wait(pid), 7);
  pid = qcmd_spawn(crash, -1);
  assert_int_equal(qcmd_wait(pid), QCMD_CRASHED);
  errno = 0;
  assert_int_equal(qcmd_spawn(missing, -1), -1);
  assert_int_equal(errno, ENOENT);
  assert_int_equal(pipe(p), 0);
  pid = qcmd_spawn(readin, p[0]);
  close(p[0]);
  assert_int_equal(write(p[1], "hello\n", 6), 6);
  close(p[1]);
  assert_int_equal(qcmd_wait(pid), 0);
}

int main(void)
{
  const struct CMUnitTest t[] = {
    cmocka_unit_test(t_cond), cmocka_unit_test(t_except), cmocka_unit_test(t_errtemp),
    cmocka_unit_test(t_opts), cmocka_unit_test(t_head), cmocka_unit_test(t_spawn),
  };
  return cmocka_run_group_tests(t, 0, 0);
}
