/* msgwire: a queued message (LF line ends) as it goes over SMTP DATA:
 * LF becomes CRLF, a '.' starting a line is doubled, and the end is
 * ".\r\n". No CR goes out except in CRLF (RFC 5321 2.3.8): CRs right
 * before an LF are part of that line end ("a\r\n" is sent "a\r\n", not
 * "a\r\r\n"), any other CR ends a line of its own, dot-stuffed like any
 * line. So "\r.\r" in a message never reaches a server that would end
 * DATA at a bare CR (SMTP smuggling); the message is normalised rather
 * than refused, as old-Mac CR line ends are the only common source.
 * A message whose last line has no LF cannot be sent this way
 * (qmail's rule: it fails permanently rather than being altered). The
 * scan before sending gives the SIZE= value and whether BODY=8BITMIME
 * is needed. Pure. */
#ifndef MSGWIRE_H
#define MSGWIRE_H
#include <stddef.h>
#include <stdint.h>
#include "sb.h"

struct msgscan {
  uint64_t bytes;            /* as queued */
  uint64_t lines;            /* LFs and CRs (each CR may become CRLF) */
  int eightbit;              /* a byte >= 0x80 */
  int bol;                   /* the last byte seen was LF (or none yet) */
};

void msgscan_init(struct msgscan *m);
void msgscan_feed(struct msgscan *m, const char *p, size_t n);
/* Size with CRLF line ends (an upper bound: dot-stuffing aside, CRs
 * before LF are counted though dropped); 0 if it overflows. */
uint64_t msgscan_wiresize(const struct msgscan *m);
/* 1 if the message ends inside a line. */
int msgscan_partial(const struct msgscan *m);

struct stuffer {
  int bol;
  uint64_t cr;               /* CRs seen but not sent: the next byte decides */
};
void stuff_init(struct stuffer *s);
/* Append the SMTP form of in[0..n) to out. 1 ok, 0 nomem. */
int stuff_feed(struct stuffer *s, const char *in, size_t n, sb *out);
/* The terminating ".\r\n": 1 ok, 0 if the message ended inside a line
 * (or in CRs without an LF), -1 nomem. */
int stuff_end(const struct stuffer *s, sb *out);

#endif
