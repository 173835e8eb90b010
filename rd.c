#include "rd.h"
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void rd_init(struct rd *r, int fd, int timeout)
{
  r->fd = fd;
  r->timeout = timeout;
  r->pos = r->len = 0;
  r->readfn = 0;
  r->ctx = 0;
  r->deadline = 0;
}

int64_t rd_clock(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000 + 1;
}

int64_t rd_deadline_in(struct rd *r, uint64_t seconds)
{
  if (!seconds) return r->deadline = 0;
  if (seconds > INT64_MAX / 4000) seconds = INT64_MAX / 4000;   /* far enough */
  return r->deadline = rd_clock() + (int64_t)seconds * 1000;
}

int rd_expired(const struct rd *r) { return r->deadline && rd_clock() >= r->deadline; }

/* Milliseconds the next wait may take: the timeout, cut to what is left
 * before the deadline; -1 forever, 0 the deadline has passed. */
static int waitms(const struct rd *r)
{
  int64_t ms = r->timeout > 0 ? (int64_t)r->timeout * 1000 : -1;
  if (r->deadline) {
    int64_t left = r->deadline - rd_clock();
    if (left <= 0) return 0;
    if (ms < 0 || left < ms) ms = left;
  }
  return ms > INT_MAX ? INT_MAX : (int)ms;
}

size_t rd_settransport(struct rd *r, long (*fn)(void *, void *, size_t, int), void *ctx)
{
  size_t dropped = r->len - r->pos;
  r->pos = r->len = 0;
  r->readfn = fn;
  r->ctx = ctx;
  return dropped;
}

size_t rd_buffered(const struct rd *r) { return r->len - r->pos; }

int rd_fill(struct rd *r)
{
  ssize_t n;
  if (r->pos < r->len) return RD_OK;
  r->pos = r->len = 0;
  if (r->readfn) {
    int ms = waitms(r);
    if (ms == 0) return RD_TIMEOUT;
    /* the transport counts whole seconds: round up (at most 1 s late) */
    long k = r->readfn(r->ctx, r->buf, sizeof r->buf, ms < 0 ? 0 : ms / 1000 + (ms % 1000 != 0));
    if (k < 0) return errno == ETIMEDOUT ? RD_TIMEOUT : RD_ERR;
    if (k == 0) return RD_EOF;
    r->len = (size_t)k;
    return RD_OK;
  }
  for (;;) {
    int ms = waitms(r);
    if (ms == 0) return RD_TIMEOUT;
    if (ms > 0) {
      struct pollfd p = { .fd = r->fd, .events = POLLIN };
      int k = poll(&p, 1, ms);
      if (k < 0) { if (errno == EINTR) continue; return RD_ERR; }
      if (k == 0) return RD_TIMEOUT;
    }
    n = read(r->fd, r->buf, sizeof r->buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN && ms > 0) continue;
      return RD_ERR;
    }
    if (n == 0) return RD_EOF;
    r->len = (size_t)n;
    return RD_OK;
  }
}

int rd_line(struct rd *r, sb *out, int delim, size_t max)
{
  out->len = 0;
  if (!sb_ready(out, 0)) return RD_ERR;
  out->s[0] = 0;
  for (;;) {
    int k = rd_fill(r);
    if (k == RD_EOF) return out->len ? RD_PARTIAL : RD_EOF;
    if (k != RD_OK) return k;
    unsigned char *start = r->buf + r->pos;
    size_t avail = r->len - r->pos;
    unsigned char *d = memchr(start, delim, avail);
    size_t take = d ? (size_t)(d - start) : avail;
    size_t room = max - out->len;
    if (take > room) {
      if (!sb_catb(out, start, room)) return RD_ERR;
      r->pos += room;
      return RD_TOOLONG;
    }
    if (!sb_catb(out, start, take)) return RD_ERR;
    r->pos += take;
    if (d) { r->pos++; return RD_OK; }
  }
}

int rd_skip(struct rd *r, int delim)
{
  for (;;) {
    int k = rd_fill(r);
    if (k != RD_OK) return k;
    unsigned char *start = r->buf + r->pos;
    unsigned char *d = memchr(start, delim, r->len - r->pos);
    if (d) { r->pos += (size_t)(d - start) + 1; return RD_OK; }
    r->pos = r->len;
  }
}

int rd_getc(struct rd *r, unsigned char *c)
{
  int k = rd_fill(r);
  if (k != RD_OK) return k;
  *c = r->buf[r->pos++];
  return RD_OK;
}

int rd_bytes(struct rd *r, sb *out, size_t n)
{
  while (n) {
    int k = rd_fill(r);
    if (k == RD_EOF) return RD_PARTIAL;
    if (k != RD_OK) return k;
    size_t take = r->len - r->pos;
    if (take > n) take = n;
    if (!sb_catb(out, r->buf + r->pos, take)) return RD_ERR;
    r->pos += take;
    n -= take;
  }
  return RD_OK;
}
