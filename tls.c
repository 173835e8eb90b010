#include "tls.h"
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct tls {
  SSL_CTX *ctx;
  SSL *ssl;
  int rfd, wfd;
  char cn[256];
};

int tls_server_available(const struct tls_server_opts *o)
{
  if (!o || !o->cert || !*o->cert || access(o->cert, R_OK) < 0) return 0;
  if (o->key && *o->key && access(o->key, R_OK) < 0) return 0;
  return 1;
}

static void errtext(char *err, size_t errlen, const char *what)
{
  unsigned long e = ERR_get_error();
  char buf[200] = "";
  if (!err || !errlen) return;
  if (e) ERR_error_string_n(e, buf, sizeof buf);
  snprintf(err, errlen, "%s%s%s", what, *buf ? ": " : "", buf);
  ERR_clear_error();
}

static int nonblock(int fd)
{
  int fl = fcntl(fd, F_GETFL);
  return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -1 : 0;
}

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until the fd the last SSL call wanted is ready, within the
 * deadline (ms since the monotonic epoch; 0 = none). 0 ready, -1 with
 * errno ETIMEDOUT or the poll error. */
static int await(const struct tls *t, int want, long long deadline)
{
  struct pollfd p;
  p.fd = want == SSL_ERROR_WANT_WRITE ? t->wfd : t->rfd;
  p.events = want == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
  for (;;) {
    int ms = -1;
    if (deadline) {
      long long left = deadline - now_ms();
      if (left <= 0) { errno = ETIMEDOUT; return -1; }
      ms = left > 3600000 ? 3600000 : (int)left;
    }
    int k = poll(&p, 1, ms);
    if (k > 0) return 0;
    if (k == 0 && deadline) continue;   /* re-check the deadline */
    if (k < 0 && errno != EINTR) return -1;
  }
}

static long long deadline_of(int timeout) { return timeout > 0 ? now_ms() + (long long)timeout * 1000 : 0; }

static SSL_CTX *newctx(const SSL_METHOD *m, const char *ciphers, char *err, size_t errlen)
{
  SSL_CTX *ctx;
  OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS, NULL);
  ctx = SSL_CTX_new(m);
  if (!ctx) { errtext(err, errlen, "cannot create TLS context"); return NULL; }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  /* a peer closing without close_notify is an EOF: the protocol above
   * (the final dot, QUIT) decides whether anything was lost */
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                               SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (ciphers && *ciphers && !SSL_CTX_set_cipher_list(ctx, ciphers)) {
    errtext(err, errlen, "bad tlsciphers");
    SSL_CTX_free(ctx);
    return NULL;
  }
  return ctx;
}

static int handshake(struct tls *t, int server, int timeout, char *err, size_t errlen)
{
  long long dl = deadline_of(timeout);
  for (;;) {
    int r = server ? SSL_accept(t->ssl) : SSL_connect(t->ssl);
    if (r == 1) return 0;
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (await(t, e, dl) < 0) {
        if (err) snprintf(err, errlen, "TLS handshake %s", errno == ETIMEDOUT ? "timed out" : "failed");
        return -1;
      }
      continue;
    }
    if (!server && SSL_get_verify_result(t->ssl) != X509_V_OK) {
      if (err) snprintf(err, errlen, "certificate verification failed: %s",
                        X509_verify_cert_error_string(SSL_get_verify_result(t->ssl)));
      ERR_clear_error();
      return -1;
    }
    errtext(err, errlen, e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN ? "TLS handshake: connection closed"
                                                                                : "TLS handshake failed");
    return -1;
  }
}

static struct tls *tls_new(SSL_CTX *ctx, int rfd, int wfd, char *err, size_t errlen)
{
  struct tls *t = calloc(1, sizeof *t);
  if (!t) { if (err) snprintf(err, errlen, "out of memory"); SSL_CTX_free(ctx); return NULL; }
  t->ctx = ctx;
  t->rfd = rfd;
  t->wfd = wfd;
  t->ssl = SSL_new(ctx);
  if (!t->ssl || nonblock(rfd) < 0 || nonblock(wfd) < 0 || !SSL_set_rfd(t->ssl, rfd) || !SSL_set_wfd(t->ssl, wfd)) {
    errtext(err, errlen, "cannot set up TLS");
    tls_close(t);
    return NULL;
  }
  return t;
}

struct tls *tls_server(int rfd, int wfd, const struct tls_server_opts *o, int timeout, char *err, size_t errlen)
{
  SSL_CTX *ctx = newctx(TLS_server_method(), o->ciphers, err, errlen);
  const char *key = o->key && *o->key ? o->key : o->cert;
  if (!ctx) return NULL;
  if (SSL_CTX_use_certificate_chain_file(ctx, o->cert) != 1) {
    errtext(err, errlen, "cannot load certificate");
    SSL_CTX_free(ctx);
    return NULL;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    errtext(err, errlen, "cannot load private key");
    SSL_CTX_free(ctx);
    return NULL;
  }
  /* one process per session: a session cache would only cost memory */
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 0);
  struct tls *t = tls_new(ctx, rfd, wfd, err, errlen);
  if (!t) return NULL;
  if (handshake(t, 1, timeout, err, errlen) < 0) { tls_close(t); return NULL; }
  return t;
}

struct tls *tls_client(int fd, const struct tls_client_opts *o, int timeout, char *err, size_t errlen)
{
  SSL_CTX *ctx = newctx(TLS_client_method(), o->ciphers, err, errlen);
  if (!ctx) return NULL;
  if (o->verify) {
    if (o->cafile && *o->cafile ? SSL_CTX_load_verify_locations(ctx, o->cafile, NULL) != 1
                                : SSL_CTX_set_default_verify_paths(ctx) != 1) {
      errtext(err, errlen, "cannot load CA certificates");
      SSL_CTX_free(ctx);
      return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  }
  if (o->cert && *o->cert &&
      (SSL_CTX_use_certificate_chain_file(ctx, o->cert) != 1 ||
       SSL_CTX_use_PrivateKey_file(ctx, o->cert, SSL_FILETYPE_PEM) != 1)) {
    errtext(err, errlen, "cannot load client certificate");
    SSL_CTX_free(ctx);
    return NULL;
  }
  struct tls *t = tls_new(ctx, fd, fd, err, errlen);
  if (!t) return NULL;
  const char *name = o->servername && *o->servername ? o->servername : NULL;
  unsigned char ip[16];
  int isip = name && (inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1);
  if (o->verify && !name) {
    if (err) snprintf(err, errlen, "verify needs a name to check");
    tls_close(t);
    return NULL;
  }
  /* RFC 6066: no IP addresses in SNI; an address is checked against
   * the certificate's IP SANs instead of its DNS names */
  if (name && !isip) SSL_set_tlsext_host_name(t->ssl, name);
  if (o->verify && !(isip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), name)
                          : SSL_set1_host(t->ssl, name))) {
    errtext(err, errlen, "cannot set the name to verify");
    tls_close(t);
    return NULL;
  }
  if (handshake(t, 0, timeout, err, errlen) < 0) { tls_close(t); return NULL; }
  return t;
}

long tls_read(void *tp, void *buf, size_t n, int timeout)
{
  struct tls *t = tp;
  long long dl = deadline_of(timeout);
  if (n > 1 << 30) n = 1 << 30;
  for (;;) {
    size_t got = 0;
    errno = 0;
    if (SSL_read_ex(t->ssl, buf, n, &got)) return (long)got;
    int e = SSL_get_error(t->ssl, 0);
    if (e == SSL_ERROR_ZERO_RETURN) return 0;
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (await(t, e, dl) < 0) return -1;
      continue;
    }
    ERR_clear_error();
    /* a peer that closes the socket without close_notify: treat as EOF
     * (the protocol above decides whether the session was complete) */
    if (e == SSL_ERROR_SYSCALL && errno == 0) return 0;
    if (!errno || errno == ETIMEDOUT) errno = EPROTO;
    return -1;
  }
}

long tls_write(void *tp, const void *buf, size_t n, int timeout)
{
  struct tls *t = tp;
  long long dl = deadline_of(timeout);
  const char *p = buf;
  size_t left = n;
  while (left) {
    size_t put = 0;
    errno = 0;
    if (SSL_write_ex(t->ssl, p, left, &put)) { p += put; left -= put; continue; }
    int e = SSL_get_error(t->ssl, 0);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (await(t, e, dl) < 0) return -1;
      continue;
    }
    ERR_clear_error();
    if (!errno || errno == ETIMEDOUT) errno = EPIPE;
    return -1;
  }
  return (long)n;
}

size_t tls_pending(const struct tls *t)
{
  int n = SSL_pending(t->ssl);
  return n > 0 ? (size_t)n : 0;
}

const char *tls_version(const struct tls *t) { return SSL_get_version(t->ssl); }

const char *tls_cipher(const struct tls *t)
{
  const char *c = SSL_get_cipher_name(t->ssl);
  return c ? c : "unknown";
}

int tls_bits(const struct tls *t)
{
  int alg = 0;
  return SSL_get_cipher_bits(t->ssl, &alg);
}

const char *tls_peer_cn(struct tls *t)
{
  X509 *x = SSL_get1_peer_certificate(t->ssl);
  t->cn[0] = 0;
  if (x) {
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, t->cn, sizeof t->cn);
    X509_free(x);
  }
  return t->cn;
}

void tls_close(struct tls *t)
{
  if (!t) return;
  if (t->ssl) {
    /* best effort close_notify; never wait long for a peer gone away */
    long long dl = deadline_of(2);
    for (int i = 0; i < 4; ++i) {
      int r = SSL_shutdown(t->ssl);
      if (r != 0 && r != -1) break;
      if (r == 0) break;   /* sent ours; not waiting for theirs */
      int e = SSL_get_error(t->ssl, r);
      if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) || await(t, e, dl) < 0) break;
    }
    SSL_free(t->ssl);
  }
  if (t->ctx) SSL_CTX_free(t->ctx);
  ERR_clear_error();
  free(t);
}
