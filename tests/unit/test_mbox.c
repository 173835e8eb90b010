#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "io.h"
#include "mbox.h"

const char *progname = "test_mbox";

#define S(x) x, sizeof(x) - 1

static const struct { const char *in; size_t n; const char *out; size_t on; } cases[] = {
  {S(""), S("\n")},
  {S("a\n"), S("a\n\n")},
  {S("a"), S("a\n\n")},
  {S("From x\n"), S(">From x\n\n")},
  {S(">From x\n"), S(">>From x\n\n")},
  {S(">>>From x\n"), S(">>>>From x\n\n")},
  {S("From"), S("From\n\n")},
  {S("Fro"), S("Fro\n\n")},
  {S("From\n"), S("From\n\n")},
  {S("from x\n"), S("from x\n\n")},
  {S(" From x\n"), S(" From x\n\n")},
  {S("a From x\nFrom y"), S("a From x\n>From y\n\n")},
  {S(">>"), S(">>\n\n")},
  {S(">F>From \n"), S(">F>From \n\n")},
  {S("\n\nFrom \n"), S("\n\n>From \n\n")},
  {S("x\0From \n"), S("x\0From \n\n")},
  {S("FromFrom \n"), S("FromFrom \n\n")},
};

static void t_quote(void **st)
{
  sb out = SB_INIT;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    struct mbox_quoter q;
    /* whole, then one byte at a time: the same */
    for (int split = 0; split < 2; ++split) {
      out.len = 0;
      mbox_quoter_init(&q);
      if (!split) assert_true(mbox_quote(&q, cases[i].in, cases[i].n, &out));
      else for (size_t k = 0; k < cases[i].n; ++k) assert_true(mbox_quote(&q, cases[i].in + k, 1, &out));
      assert_true(mbox_quote_end(&q, &out));
      if (out.len != cases[i].on || memcmp(out.s, cases[i].out, out.len))
        fail_msg("case %zu split %d: got '%.*s'", i, split, (int)out.len, out.s);
    }
  }
  sb_free(&out);
}

static char dir[64];
static int setup(void **st) { strcpy(dir, "/tmp/test_mbox_XXXXXX"); return mkdtemp(dir) ? 0 : -1; }
static int teardown(void **st)
{
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd);
}

static int msgfile(const char *text, size_t n)
{
  char path[128];
  snprintf(path, sizeof path, "%s/msg", dir);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  assert_true(fd >= 0);
  assert_int_equal(io_writeall(fd, text, n), 0);
  return fd;
}

static void t_deliver(void **st)
{
  char box[128];
  sb got = SB_INIT;
  int fd = msgfile(S("Subject: x\n\nFrom me\nbye"));
  snprintf(box, sizeof box, "%s/Mailbox", dir);
  assert_int_equal(mbox_deliver(box, S("From a@b Thu Jan  1 00:00:00 1970\nReturn-Path: <a@b>\n"), fd), MBOX_OK);
  assert_int_equal(mbox_deliver(box, S("From c@d Thu Jan  1 00:00:00 1970\n"), fd), MBOX_OK);
  assert_int_equal(io_readfile(box, &got, 10000), 0);
  static const char want[] =
    "From a@b Thu Jan  1 00:00:00 1970\nReturn-Path: <a@b>\nSubject: x\n\n>From me\nbye\n\n"
    "From c@d Thu Jan  1 00:00:00 1970\nSubject: x\n\n>From me\nbye\n\n";
  assert_int_equal(got.len, sizeof want - 1);
  assert_memory_equal(got.s, want, got.len);
  struct stat s;
  assert_int_equal(stat(box, &s), 0);
  assert_int_equal(s.st_mode & 0777, 0600);
  close(fd);
  sb_free(&got);
}

static void t_errors(void **st)
{
  char box[128];
  int fd = msgfile(S("x\n"));
  snprintf(box, sizeof box, "%s/no/such/Mailbox", dir);
  assert_int_equal(mbox_deliver(box, S(""), fd), MBOX_ERR_OPEN);
  /* someone else holds the flock: give up after the wait */
  snprintf(box, sizeof box, "%s/Locked", dir);
  int other = open(box, O_WRONLY | O_CREAT, 0600);
  assert_int_equal(flock(other, LOCK_EX), 0);
  mbox_lock_wait = 1;
  assert_int_equal(mbox_deliver(box, S(""), fd), MBOX_ERR_LOCKTIME);
  close(other);
  assert_int_equal(mbox_deliver(box, S(""), fd), MBOX_OK);
  /* writing fails (full device): the file is truncated back */
  if (access("/dev/full", W_OK) == 0) {
    assert_int_equal(mbox_deliver("/dev/full", S("From x\n"), fd), MBOX_ERR_WRITE);
  }
  close(fd);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_quote), cmocka_unit_test(t_deliver), cmocka_unit_test(t_errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
