/* wr: buffered writer with sticky error and optional write deadline. */
#ifndef WR_H
#define WR_H
#include <stddef.h>
#include <stdint.h>

struct wr {
  int fd;
  int timeout;     /* seconds, 0 = none */
  int err;         /* sticky: 0 ok, else errno of first failure */
  /* optional transport (TLS): writes all n bytes or returns -1 */
  long (*writefn)(void *ctx, const void *buf, size_t n, int timeout);
  void *ctx;
  size_t len;
  char buf[8192];
};

void wr_init(struct wr *w, int fd, int timeout);
/* Write through fn from now on (after a TLS handshake); flush first. */
void wr_settransport(struct wr *w, long (*fn)(void *, const void *, size_t, int), void *ctx);
void wr_put(struct wr *w, const void *p, size_t n);
void wr_puts(struct wr *w, const char *s);
void wr_putc(struct wr *w, char c);
void wr_putu64(struct wr *w, uint64_t u);
int wr_flush(struct wr *w);      /* 0 ok, -1 on (any earlier) error */

#endif
