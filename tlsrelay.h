/* tlsrelay: carries a TLS session across a login chain (INTERNALS 11).
 * The POP3/IMAP front end keeps the TLS session and relays its
 * plaintext to and from one end of a socketpair, whose other end is
 * fd 0/1 of the authenticated session (qmail-pop3d, the IMAP engine), so
 * that program never sees TLS. Both directions have a bounded buffer of
 * TLSRELAY_BUF bytes; one poll() drives both.
 *
 * OpenSSL returns at most one record per read and a record holds at
 * most 16 KiB of plaintext, so reading TLS only into an empty buffer of
 * 16 KiB never leaves decrypted bytes inside OpenSSL, where poll() could
 * not see them. tlsrd gives a protocol reader (rd) the same guarantee
 * before the hand-over, and what it has read ahead is handed on. */
#ifndef TLSRELAY_H
#define TLSRELAY_H
#include <stddef.h>
#include <stdint.h>
#include "tls.h"

#define TLSRELAY_BUF 16384

/* rd transport over TLS with the guarantee above (rd_settransport(r,
 * tlsrd_read, &trd)). Bytes it has read but not yet passed on are
 * buf[pos..len). */
struct tlsrd {
  struct tls *tls;
  size_t pos, len;
  unsigned char buf[TLSRELAY_BUF];
};
void tlsrd_init(struct tlsrd *r, struct tls *t);
long tlsrd_read(void *ctx, void *buf, size_t n, int timeout);

enum {
  TLSRELAY_DONE = 0,     /* the plaintext side ended (the session is over) */
  TLSRELAY_TIMEOUT = 1,  /* nothing moved either way for timeout seconds */
  TLSRELAY_TLSERR = 2,   /* the TLS side failed (reset, bad record, write timeout) */
  TLSRELAY_PLAINERR = 3  /* the socketpair failed */
};

struct tlsrelay_stats {
  uint64_t toplain;      /* bytes from the TLS peer to the plaintext side */
  uint64_t totls;        /* bytes from the plaintext side to the TLS peer */
  int tlseof;            /* the TLS peer ended first */
};

/* Relay between t (read readiness polled on tlsfd) and plainfd until
 * the plaintext side reaches EOF; pre[0..prelen) (what the protocol
 * reader had read ahead) is delivered to plainfd first. When the TLS
 * peer ends first, plainfd's write side is shut down (the program sees
 * EOF) and its output is still relayed until it ends or timeout expires.
 * plainfd is made non-blocking. Returns TLSRELAY_*; err gets the reason
 * for anything but DONE. The caller closes the session (tls_close). */
int tlsrelay(struct tls *t, int tlsfd, int plainfd, int timeout, const void *pre, size_t prelen,
             struct tlsrelay_stats *st, char *err, size_t errlen);

#endif
