/* rd: the one bounded reader for network, pipe and queue input.
 * Every line read has an explicit maximum length and, optionally, two
 * limits on time: a timeout (seconds of silence per read call; 0 = none)
 * and a deadline (an instant after which every read gives RD_TIMEOUT,
 * however the bytes trickle in: one byte per timeout no longer holds a
 * server forever). */
#ifndef RD_H
#define RD_H
#include <stddef.h>
#include <stdint.h>
#include "sb.h"

enum {
  RD_OK = 0,       /* a complete record (delimiter consumed, not stored) */
  RD_EOF = 1,      /* clean end of input before any byte of a record */
  RD_PARTIAL = 2,  /* end of input inside a record; bytes are in out */
  RD_TOOLONG = 3,  /* max bytes stored, no delimiter yet; rest unread */
  RD_TIMEOUT = 4,
  RD_ERR = 5       /* read error, errno set */
};

struct rd {
  int fd;
  int timeout;            /* seconds, 0 = wait forever */
  /* optional transport (TLS): >0 bytes, 0 EOF, -1 error, errno
   * ETIMEDOUT at the deadline; NULL = read(2) on fd */
  long (*readfn)(void *ctx, void *buf, size_t n, int timeout);
  void *ctx;
  int64_t deadline;       /* rd_clock() milliseconds; 0 = none */
  size_t pos, len;
  unsigned char buf[8192];
};

void rd_init(struct rd *r, int fd, int timeout);
/* Read through fn from now on (STARTTLS). Bytes still buffered are
 * dropped: they arrived in plaintext before the handshake and must never
 * be taken as commands of the encrypted session. Returns how many. */
size_t rd_settransport(struct rd *r, long (*fn)(void *, void *, size_t, int), void *ctx);
/* Read up to and excluding delim into out (out is reset first). */
int rd_line(struct rd *r, sb *out, int delim, size_t max);
/* Discard input up to and including the next delim. */
int rd_skip(struct rd *r, int delim);
int rd_getc(struct rd *r, unsigned char *c);
/* Read exactly n bytes into out (appended). */
int rd_bytes(struct rd *r, sb *out, size_t n);
/* Bytes already buffered (so callers that must not over-read can check). */
size_t rd_buffered(const struct rd *r);
/* Fill the buffer if empty; returns RD_OK, RD_EOF, RD_TIMEOUT or RD_ERR. */
int rd_fill(struct rd *r);

/* Monotonic clock in milliseconds (never 0). */
int64_t rd_clock(void);
/* Deadline at rd_clock() + seconds (0 seconds: none). Returns the instant. */
int64_t rd_deadline_in(struct rd *r, uint64_t seconds);
/* 1 if a deadline is set and has passed (to tell it from a timeout). */
int rd_expired(const struct rd *r);

#endif
