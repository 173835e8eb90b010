/* feed.h: for unit tests of readers: a pipe filled by a child, all at
 * once or one byte per write (to exercise partial reads); reap() closes
 * it and waits for the child. Include after cmocka.h. */
#ifndef TEST_FEED_H
#define TEST_FEED_H
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int feed(const char *data, size_t n, int bytewise)
{
  int p[2];
  assert_int_equal(pipe(p), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(p[0]);
    if (!bytewise) { if (n && write(p[1], data, n) != (ssize_t)n) _exit(1); }
    else for (size_t i = 0; i < n; ++i) {
      struct timespec ts = {0, 100000};
      if (write(p[1], data + i, 1) != 1) _exit(1);
      nanosleep(&ts, 0);
    }
    _exit(0);
  }
  close(p[1]);
  return p[0];
}

static void reap(int fd) { close(fd); while (wait(0) > 0) {} }

#endif
