#include "wr.h"
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

void wr_init(struct wr *w, int fd, int timeout)
{
  w->fd = fd; w->timeout = timeout; w->err = 0; w->len = 0;
  w->writefn = 0; w->ctx = 0;
}

void wr_settransport(struct wr *w, long (*fn)(void *, const void *, size_t, int), void *ctx)
{
  w->writefn = fn;
  w->ctx = ctx;
}

static void drain(struct wr *w, const char *p, size_t n)
{
  if (w->writefn) {
    if (n && !w->err && w->writefn(w->ctx, p, n, w->timeout) < 0) w->err = errno ? errno : EIO;
    return;
  }
  while (n && !w->err) {
    if (w->timeout > 0) {
      struct pollfd pf = { .fd = w->fd, .events = POLLOUT };
      int k = poll(&pf, 1, w->timeout * 1000);
      if (k < 0) { if (errno == EINTR) continue; w->err = errno; return; }
      if (k == 0) { w->err = ETIMEDOUT; return; }
    }
    ssize_t r = write(w->fd, p, n);
    if (r < 0) {
      if (errno == EINTR || (errno == EAGAIN && w->timeout > 0)) continue;
      w->err = errno; return;
    }
    p += r; n -= (size_t)r;
  }
}

void wr_put(struct wr *w, const void *p, size_t n)
{
  const char *c = p;
  if (w->err) return;
  if (n > sizeof w->buf - w->len) {
    drain(w, w->buf, w->len);
    w->len = 0;
    if (n >= sizeof w->buf) { drain(w, c, n); return; }
  }
  memcpy(w->buf + w->len, c, n);
  w->len += n;
}

void wr_puts(struct wr *w, const char *s) { wr_put(w, s, strlen(s)); }
void wr_putc(struct wr *w, char c) { wr_put(w, &c, 1); }

void wr_putu64(struct wr *w, uint64_t u)
{
  char tmp[24];
  size_t i = sizeof tmp;
  do { tmp[--i] = (char)('0' + u % 10); u /= 10; } while (u);
  wr_put(w, tmp + i, sizeof tmp - i);
}

int wr_flush(struct wr *w)
{
  if (!w->err) drain(w, w->buf, w->len);
  w->len = 0;
  if (w->err) { errno = w->err; return -1; }
  return 0;
}
