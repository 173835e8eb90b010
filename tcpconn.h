/* tcpconn: one outgoing TCP connection (IPv4 or IPv6) with a connect
 * deadline, optionally from a given source address (outgoingip, qmqpcip). */
#ifndef TCPCONN_H
#define TCPCONN_H

struct tcpsrc {
  int family;                /* 0: let the kernel choose */
  unsigned char a[16];
};

/* Parse a source address ("0.0.0.0", "::", "1.2.3.4", "[::1]"); the
 * unspecified addresses mean no binding. 1 ok, 0 not an address. */
int tcpsrc_parse(struct tcpsrc *s, const char *text);

/* Connected blocking socket (close-on-exec), or -1 with errno (ETIMEDOUT
 * when timeout seconds passed). The source is used only when its family
 * matches the target's. */
int tcp_connect(int family, const unsigned char *addr, unsigned port, const struct tcpsrc *src, unsigned timeout);

#endif
