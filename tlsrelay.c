#include "tlsrelay.h"
#include "io.h"
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

void tlsrd_init(struct tlsrd *r, struct tls *t)
{
  r->tls = t;
  r->pos = r->len = 0;
}

long tlsrd_read(void *ctx, void *buf, size_t n, int timeout)
{
  struct tlsrd *r = ctx;
  if (r->pos == r->len) {
    /* always the whole buffer: see tlsrelay.h */
    long k = tls_read(r->tls, r->buf, sizeof r->buf, timeout);
    if (k <= 0) return k;
    r->pos = 0;
    r->len = (size_t)k;
  }
  size_t take = r->len - r->pos;
  if (take > n) take = n;
  memcpy(buf, r->buf + r->pos, take);
  r->pos += take;
  return (long)take;
}

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fail(int code, char *err, size_t errlen, const char *what, int e)
{
  if (err && errlen) snprintf(err, errlen, "%s%s%s", what, e ? ": " : "", e ? strerror(e) : "");
  return code;
}

int tlsrelay(struct tls *t, int tlsfd, int plainfd, int timeout, const void *pre, size_t prelen,
             struct tlsrelay_stats *st, char *err, size_t errlen)
{
  unsigned char fromtls[TLSRELAY_BUF], toplain[TLSRELAY_BUF];
  const unsigned char *out = pre;   /* bytes still to write to plainfd */
  size_t outlen = prelen;
  int tlseof = 0, shut = 0, deaf = 0;
  long long last = now_ms();

  memset(st, 0, sizeof *st);
  if (err && errlen) err[0] = 0;
  if (fd_nonblock(plainfd) < 0) return fail(TLSRELAY_PLAINERR, err, errlen, "cannot set up the socketpair", errno);
  for (;;) {
    /* the client is done and everything it sent is delivered: the
     * program sees EOF, its answer still goes back */
    if (tlseof && !outlen && !shut) {
      shutdown(plainfd, SHUT_WR);
      shut = 1;
    }
    struct pollfd pf[2];
    int np = 0, ti = -1;
    if (!tlseof && !outlen) {     /* read TLS only into an empty buffer */
      pf[np].fd = tlsfd;
      pf[np].events = POLLIN;
      ti = np++;
    }
    int pi = np++;
    pf[pi].fd = plainfd;
    pf[pi].events = (short)(POLLIN | (outlen ? POLLOUT : 0));
    int ms = -1;
    if (timeout > 0) {
      long long left = last + (long long)timeout * 1000 - now_ms();
      if (left <= 0) return fail(TLSRELAY_TIMEOUT, err, errlen, "idle timeout", 0);
      ms = left > 3600000 ? 3600000 : (int)left;
    }
    int k = poll(pf, (nfds_t)np, ms);
    if (k < 0) {
      if (errno == EINTR) continue;
      return fail(TLSRELAY_PLAINERR, err, errlen, "poll", errno);
    }
    if (k == 0) continue;            /* the deadline is checked above */

    short pr = pf[pi].revents;
    if (outlen && (pr & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = write(plainfd, out, outlen);
      if (w > 0) {
        out += w;
        outlen -= (size_t)w;
        st->toplain += (uint64_t)w;
        last = now_ms();
      } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
        /* the program stopped reading (it is ending): what it would not
         * read is dropped, and so is what the client sends from now on */
        outlen = 0;
        deaf = 1;
      }
    }
    if (pr & (POLLIN | POLLERR | POLLHUP)) {
      ssize_t r = read(plainfd, toplain, sizeof toplain);
      if (r > 0) {
        if (tls_write(t, toplain, (size_t)r, timeout) < 0)
          return fail(TLSRELAY_TLSERR, err, errlen, "writing to the client", errno);
        st->totls += (uint64_t)r;
        last = now_ms();
      } else if (r == 0 || errno == ECONNRESET) {
        return TLSRELAY_DONE;
      } else if (errno != EAGAIN && errno != EINTR) {
        return fail(TLSRELAY_PLAINERR, err, errlen, "reading the socketpair", errno);
      }
    }
    if (ti >= 0 && pf[ti].revents) {
      /* a short deadline: poll saw a part of a record, the rest follows
       * (a peer that never completes it is caught by the idle timeout) */
      long r = tls_read(t, fromtls, sizeof fromtls, 1);
      if (r > 0) {
        last = now_ms();
        if (!deaf) {
          out = fromtls;
          outlen = (size_t)r;
        }
      } else if (r == 0) {
        tlseof = 1;
        st->tlseof = 1;
      } else if (errno != ETIMEDOUT) {
        return fail(TLSRELAY_TLSERR, err, errlen, "reading from the client", errno);
      }
    }
  }
}
