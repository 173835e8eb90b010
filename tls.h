/* tls: the one TLS module (OpenSSL) of every program that speaks TLS:
 * qmail-smtpd (STARTTLS, smtps), qmail-remote (STARTTLS client) and the
 * POP3/IMAP front ends. TLS 1.2 is the minimum. The socket is switched to
 * non-blocking and every wait is a poll() with the caller's deadline, so
 * a peer that trickles half a record cannot hold a process past it.
 * tls_read/tls_write have the shape of the rd/wr hooks (rd_settls). */
#ifndef TLS_H
#define TLS_H
#include <stddef.h>

struct tls;

struct tls_server_opts {
  const char *cert;      /* PEM chain file (control/smtpcert) */
  const char *key;       /* PEM key file; NULL: the cert file */
  const char *ciphers;   /* TLS 1.2 cipher list; NULL/"" OpenSSL's default */
};

enum { TLS_VERIFY_NONE = 0, TLS_VERIFY_PEER = 1 };

struct tls_client_opts {
  const char *servername;  /* SNI, and the name checked with verify */
  int verify;              /* TLS_VERIFY_PEER: chain and name must check */
  const char *cafile;      /* CA file for verify; NULL: OpenSSL's default paths */
  const char *cert;        /* client certificate (+ key) PEM; NULL none */
  const char *ciphers;
};

/* 1 if a server certificate is configured and readable (so STARTTLS may
 * be offered); the check does not load OpenSSL. */
int tls_server_available(const struct tls_server_opts *o);

/* Handshake as server on rfd/wfd (the same socket, or tcpserver's 0/1)
 * within timeout seconds. NULL on failure with a reason in err. */
struct tls *tls_server(int rfd, int wfd, const struct tls_server_opts *o, int timeout,
                       char *err, size_t errlen);
/* Handshake as client on fd. */
struct tls *tls_client(int fd, const struct tls_client_opts *o, int timeout, char *err, size_t errlen);

/* >0 bytes, 0 clean end (close_notify or EOF), -1 error; errno ETIMEDOUT
 * when nothing arrived within timeout seconds (0: no deadline). */
long tls_read(void *t, void *buf, size_t n, int timeout);
/* Writes all n bytes: n, or -1 (errno ETIMEDOUT on the deadline). */
long tls_write(void *t, const void *buf, size_t n, int timeout);

/* Decrypted bytes OpenSSL holds that poll() on the socket cannot see. */
size_t tls_pending(const struct tls *t);

/* "TLSv1.3", "TLS_AES_256_GCM_SHA384", secret bits of the cipher */
const char *tls_version(const struct tls *t);
const char *tls_cipher(const struct tls *t);
int tls_bits(const struct tls *t);
/* The peer certificate's subject CN ("" if none) */
const char *tls_peer_cn(struct tls *t);

/* Send close_notify (best effort, short deadline) and free. */
void tls_close(struct tls *t);

#endif
