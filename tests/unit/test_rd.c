#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "rd.h"

const char *progname = "test_rd";

/* A pipe whose far end gets data from a child: all at once, or one byte
 * per write() with a pause, so the reader sees one byte per read(). */
static int feed(const char *data, size_t n, int bytewise, pid_t *pid)
{
  int p[2];
  assert_int_equal(pipe(p), 0);
  *pid = fork();
  assert_true(*pid >= 0);
  if (*pid == 0) {
    close(p[0]);
    if (!bytewise) {
      if (n && write(p[1], data, n) != (ssize_t)n) _exit(1);
    } else {
      struct timespec ts = {0, 300000};
      for (size_t i = 0; i < n; ++i) {
        if (write(p[1], data + i, 1) != 1) _exit(1);
        nanosleep(&ts, NULL);
      }
    }
    _exit(0);
  }
  close(p[1]);
  return p[0];
}

static void reap(int fd, pid_t pid)
{
  int status;
  close(fd);
  waitpid(pid, &status, 0);
}

struct want { int rc; const char *s; size_t n; };

/* Read records with delim/max from data and compare with the table. */
static void run_lines(const char *data, size_t n, int delim, size_t max, const struct want *w, size_t nw)
{
  for (int bytewise = 0; bytewise < 2; ++bytewise) {
    pid_t pid;
    int fd = feed(data, n, bytewise, &pid);
    struct rd r;
    sb out = SB_INIT;
    rd_init(&r, fd, 10);
    for (size_t i = 0; i < nw; ++i) {
      int rc = rd_line(&r, &out, delim, max);
      if (rc != w[i].rc) fail_msg("bytewise %d record %zu: rc %d, want %d", bytewise, i, rc, w[i].rc);
      if (w[i].s && (out.len != w[i].n || memcmp(out.s, w[i].s, w[i].n)))
        fail_msg("bytewise %d record %zu: got \"%.*s\"", bytewise, i, (int)out.len, out.s);
      if (rc == RD_TOOLONG) assert_int_equal(rd_skip(&r, delim), RD_OK);
    }
    sb_free(&out);
    reap(fd, pid);
  }
}

static void t_lines(void **st)
{
  (void)st;
  static const struct want a[] = {{RD_OK, "abc", 3}, {RD_OK, "", 0}, {RD_OK, "def", 3}, {RD_EOF, "", 0}, {RD_EOF, "", 0}};
  run_lines("abc\n\ndef\n", 9, '\n', 100, a, 5);
  static const struct want partial[] = {{RD_OK, "x", 1}, {RD_PARTIAL, "abc", 3}, {RD_EOF, "", 0}};
  run_lines("x\nabc", 5, '\n', 100, partial, 3);
  static const struct want empty[] = {{RD_EOF, "", 0}};
  run_lines("", 0, '\n', 100, empty, 1);
}

static void t_limit(void **st)
{
  (void)st;
  /* exactly max bytes is fine; max+1 is too long and the rest is skipped */
  static const struct want w[] = {{RD_OK, "12345", 5}, {RD_TOOLONG, "12345", 5}, {RD_OK, "ok", 2}, {RD_EOF, "", 0}};
  run_lines("12345\n123456\nok\n", 16, '\n', 5, w, 4);
  static const struct want big[] = {{RD_TOOLONG, "aaaa", 4}, {RD_EOF, "", 0}};
  char buf[20000];
  memset(buf, 'a', sizeof buf);
  buf[sizeof buf - 1] = '\n';
  run_lines(buf, sizeof buf, '\n', 4, big, 2);
  static const struct want zero[] = {{RD_OK, "", 0}, {RD_TOOLONG, "", 0}, {RD_EOF, "", 0}};
  run_lines("\nx\n", 3, '\n', 0, zero, 3);
}

static void t_crlf(void **st)
{
  (void)st;
  /* bare CR stays in the record; CRLF leaves the CR for the caller */
  static const struct want w[] = {{RD_OK, "a\rb", 3}, {RD_OK, "c\r", 2}, {RD_OK, "\r", 1}, {RD_PARTIAL, "\r", 1}};
  run_lines("a\rb\nc\r\n\r\n\r", 10, '\n', 100, w, 4);
}

static void t_nul(void **st)
{
  (void)st;
  static const struct want w[] = {{RD_OK, "Fa@b", 4}, {RD_OK, "Tc\nd", 4}, {RD_OK, "", 0}, {RD_EOF, "", 0}};
  run_lines("Fa@b\0Tc\nd\0\0", 11, 0, 100, w, 4);
}

static void t_bytes(void **st)
{
  (void)st;
  for (int bytewise = 0; bytewise < 2; ++bytewise) {
    pid_t pid;
    int fd = feed("hello world", 11, bytewise, &pid);
    struct rd r;
    sb out = SB_INIT;
    unsigned char c;
    rd_init(&r, fd, 10);
    assert_int_equal(rd_getc(&r, &c), RD_OK);
    assert_int_equal(c, 'h');
    assert_int_equal(rd_bytes(&r, &out, 4), RD_OK);
    assert_int_equal(out.len, 4);
    assert_memory_equal(out.s, "ello", 4);
    assert_int_equal(rd_bytes(&r, &out, 100), RD_PARTIAL);   /* appended, then EOF */
    assert_int_equal(out.len, 10);
    assert_memory_equal(out.s, "ello world", 10);
    assert_int_equal(rd_getc(&r, &c), RD_EOF);
    assert_int_equal(rd_buffered(&r), 0);
    sb_free(&out);
    reap(fd, pid);
  }
}

static void t_timeout(void **st)
{
  int p[2];
  struct rd r;
  sb out = SB_INIT;
  time_t t0 = time(NULL);
  (void)st;
  assert_int_equal(pipe(p), 0);
  assert_int_equal(write(p[1], "abc", 3), 3);           /* no delimiter, writer stays open */
  rd_init(&r, p[0], 1);
  assert_int_equal(rd_line(&r, &out, '\n', 100), RD_TIMEOUT);
  assert_true(time(NULL) - t0 <= 3);
  unsigned char c;
  assert_int_equal(rd_getc(&r, &c), RD_TIMEOUT);
  close(p[0]);
  close(p[1]);
  sb_free(&out);
}

/* A writer dripping one byte per 100 ms never trips the 1 s timeout, but
 * the deadline ends the read all the same (also without a timeout). */
static void t_deadline(void **st)
{
  (void)st;
  for (int tmo = 0; tmo <= 1; ++tmo) {
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      close(p[0]);
      struct timespec ts = {0, 100000000};
      for (int i = 0; i < 100; ++i) { if (write(p[1], "x", 1) != 1) _exit(0); nanosleep(&ts, NULL); }
      _exit(0);
    }
    close(p[1]);
    struct rd r;
    sb out = SB_INIT;
    rd_init(&r, p[0], tmo);
    assert_false(rd_expired(&r));
    int64_t t0 = rd_clock();
    assert_true(rd_deadline_in(&r, 1) >= t0 + 1000);
    assert_int_equal(rd_line(&r, &out, '\n', 1000), RD_TIMEOUT);
    int64_t took = rd_clock() - t0;
    assert_true(took >= 900 && took < 2500);
    assert_true(out.len >= 3 && out.len <= 25);          /* the bytes that did arrive */
    assert_true(rd_expired(&r));
    unsigned char c;
    assert_int_equal(rd_getc(&r, &c), RD_TIMEOUT);       /* and stays so */
    rd_deadline_in(&r, 0);                               /* off again */
    assert_false(rd_expired(&r));
    assert_int_equal(rd_getc(&r, &c), RD_OK);
    close(p[0]);
    kill(pid, SIGKILL);
    waitpid(pid, 0, 0);
    sb_free(&out);
  }
  /* a line that arrives in time is not affected */
  int p[2];
  struct rd r;
  sb out = SB_INIT;
  assert_int_equal(pipe(p), 0);
  assert_int_equal(write(p[1], "ab\n", 3), 3);
  rd_init(&r, p[0], 1);
  rd_deadline_in(&r, 5);
  assert_int_equal(rd_line(&r, &out, '\n', 10), RD_OK);
  assert_false(rd_expired(&r));
  close(p[0]);
  close(p[1]);
  sb_free(&out);
}

static void t_error(void **st)
{
  struct rd r;
  sb out = SB_INIT;
  (void)st;
  rd_init(&r, -1, 0);
  assert_int_equal(rd_line(&r, &out, '\n', 10), RD_ERR);
  assert_int_equal(errno, EBADF);
  sb_free(&out);
}

int main(void)
{
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_lines), cmocka_unit_test(t_limit), cmocka_unit_test(t_crlf),
    cmocka_unit_test(t_nul), cmocka_unit_test(t_bytes), cmocka_unit_test(t_timeout),
    cmocka_unit_test(t_error), cmocka_unit_test(t_deadline),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
