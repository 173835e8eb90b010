/* tls: the TLS module over a socketpair, one side forked. Key and
 * certificates are made at the start with the OpenSSL API in a temporary
 * directory: "server" (CN and SAN DNS mail.test.example, self-signed, so
 * it is its own CA) and "other" (an unrelated self-signed one).
 * Checks: handshake and version, data both ways (records of 16 KB and
 * more), read and write deadlines (silent peer, half a record, half a
 * handshake), verify (wrong name, right name, wrong CA), a client that
 * speaks only TLS 1.1 is refused, close_notify reads as the end. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "tls.h"

const char *progname = "test_tls";

#define NAME "mail.test.example"
#define BIG (300 * 1024)           /* many records of 16 KB, and a partial one */

static char dir[64], servercert[128], serverkey[128], servercombined[128], othercert[128];

/* ---- certificates ---- */

static void writepem(const char *path, X509 *x, EVP_PKEY *k)
{
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  if (x) assert_int_equal(PEM_write_X509(f, x), 1);
  if (k) assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
  assert_int_equal(fclose(f), 0);
}

static void mkcert(const char *cn, const char *san, long serial, const char *certfile, const char *keyfile,
                   const char *combined)
{
  EVP_PKEY *k = EVP_EC_gen("P-256");
  X509 *x = X509_new();
  assert_non_null(k);
  assert_non_null(x);
  assert_int_equal(X509_set_version(x, 2), 1);
  assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial), 1);
  assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
  assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
  assert_int_equal(X509_set_pubkey(x, k), 1);
  X509_NAME *n = X509_get_subject_name(x);
  assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0), 1);
  assert_int_equal(X509_set_issuer_name(x, n), 1);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
  X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
  assert_non_null(e);
  assert_int_equal(X509_add_ext(x, e, -1), 1);
  X509_EXTENSION_free(e);
  e = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE");
  assert_non_null(e);
  assert_int_equal(X509_add_ext(x, e, -1), 1);
  X509_EXTENSION_free(e);
  assert_true(X509_sign(x, k, EVP_sha256()) > 0);
  if (certfile) writepem(certfile, x, NULL);
  if (keyfile) writepem(keyfile, NULL, k);
  if (combined) writepem(combined, x, k);
  X509_free(x);
  EVP_PKEY_free(k);
}

static int setup(void **st)
{
  (void)st;
  strcpy(dir, "/tmp/test_tls.XXXXXX");
  if (!mkdtemp(dir)) return -1;
  snprintf(servercert, sizeof servercert, "%s/server.crt", dir);
  snprintf(serverkey, sizeof serverkey, "%s/server.key", dir);
  snprintf(servercombined, sizeof servercombined, "%s/server.pem", dir);
  snprintf(othercert, sizeof othercert, "%s/other.pem", dir);
  mkcert(NAME, "DNS:" NAME ",DNS:alt.test.example", 1, servercert, serverkey, servercombined);
  mkcert("other.test.example", "DNS:other.test.example", 2, 0, 0, othercert);
  signal(SIGPIPE, SIG_IGN);
  return 0;
}

static int teardown(void **st)
{
  (void)st;
  char p[160];
  const char *f[] = {"server.crt", "server.key", "server.pem", "other.pem"};
  for (size_t i = 0; i < 4; ++i) { snprintf(p, sizeof p, "%s/%s", dir, f[i]); unlink(p); }
  rmdir(dir);
  return 0;
}

/* ---- the forked peer ---- */

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run fn(fd) in a child on one end of a socketpair; returns the other end. */
static pid_t peer(int (*fn)(int), int *fd)
{
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(sv[0]);
    alarm(30);                       /* never outlive a broken test */
    _exit(fn(sv[1]));
  }
  close(sv[1]);
  *fd = sv[0];
  return pid;
}

/* The child's exit code (0: all its checks passed). */
static int reap(pid_t pid)
{
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  if (!WIFEXITED(status)) return 200;
  return WEXITSTATUS(status);
}

/* Wait until the other side closes (so a side never quits early). */
static void until_eof(int fd)
{
  char b[256];
  struct pollfd p = {.fd = fd, .events = POLLIN};
  for (;;) {
    if (poll(&p, 1, 20000) <= 0) return;
    ssize_t r = read(fd, b, sizeof b);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) return;
  }
}

static struct tls *server(int fd)
{
  struct tls_server_opts o = {servercert, serverkey, NULL};
  char err[256];
  return tls_server(fd, fd, &o, 10, err, sizeof err);
}

static struct tls *client(int fd, int verify, const char *name, const char *ca, char *err, size_t errlen)
{
  struct tls_client_opts o;
  memset(&o, 0, sizeof o);
  o.servername = name;
  o.verify = verify;
  o.cafile = ca;
  err[0] = 0;
  return tls_client(fd, &o, 10, err, errlen);
}

static unsigned char pattern(size_t i) { return (unsigned char)(i * 7 + (i >> 9)); }

static int readall(struct tls *t, unsigned char *buf, size_t n)
{
  size_t got = 0;
  while (got < n) {
    long r = tls_read(t, buf + got, n - got, 10);
    if (r <= 0) return -1;
    got += (size_t)r;
  }
  return 0;
}

/* ---- handshake and data ---- */

/* reads BIG bytes, checks them, sends them back shifted by one */
static int srv_echo(int fd)
{
  struct tls *t = server(fd);
  if (!t) return 1;
  unsigned char *b = malloc(BIG);
  if (!b || readall(t, b, BIG) < 0) return 2;
  for (size_t i = 0; i < BIG; ++i) if (b[i] != pattern(i)) return 3;
  for (size_t i = 0; i < BIG; ++i) b[i] = (unsigned char)(b[i] + 1);
  if (tls_write(t, b, BIG, 10) != BIG) return 4;
  char c;
  if (tls_read(t, &c, 1, 10) != 0) return 5;          /* the client's close_notify */
  tls_close(t);
  free(b);
  return 0;
}

static void t_handshake_data(void **st)
{
  (void)st;
  int fd;
  char err[256];
  pid_t pid = peer(srv_echo, &fd);
  struct tls *t = client(fd, TLS_VERIFY_NONE, NAME, NULL, err, sizeof err);
  if (!t) fail_msg("handshake: %s", err);
  const char *v = tls_version(t);
  assert_true(!strcmp(v, "TLSv1.2") || !strcmp(v, "TLSv1.3"));
  assert_true(strlen(tls_cipher(t)) > 0);
  assert_true(tls_bits(t) >= 128);
  assert_string_equal(tls_peer_cn(t), NAME);
  unsigned char *b = malloc(BIG);
  assert_non_null(b);
  for (size_t i = 0; i < BIG; ++i) b[i] = pattern(i);
  assert_int_equal(tls_write(t, b, BIG, 10), BIG);
  memset(b, 0, BIG);
  assert_int_equal(readall(t, b, BIG), 0);
  for (size_t i = 0; i < BIG; ++i)
    if (b[i] != (unsigned char)(pattern(i) + 1)) fail_msg("byte %zu differs", i);
  tls_close(t);
  free(b);
  close(fd);
  assert_int_equal(reap(pid), 0);
}

/* ---- deadlines ---- */

/* handshake, then silence until the client closes */
static int srv_silent(int fd)
{
  struct tls *t = server(fd);
  if (!t) return 1;
  until_eof(fd);
  tls_close(t);
  return 0;
}

static void t_read_timeout(void **st)
{
  (void)st;
  int fd;
  char err[256], buf[100];
  pid_t pid = peer(srv_silent, &fd);
  struct tls *t = client(fd, TLS_VERIFY_NONE, NAME, NULL, err, sizeof err);
  if (!t) fail_msg("handshake: %s", err);
  long long t0 = now_ms();
  errno = 0;
  assert_int_equal(tls_read(t, buf, sizeof buf, 1), -1);
  assert_int_equal(errno, ETIMEDOUT);
  long long ms = now_ms() - t0;
  if (ms < 900 || ms > 3000) fail_msg("timed out after %lld ms, want about 1000", ms);
  tls_close(t);
  close(fd);
  assert_int_equal(reap(pid), 0);
}

/* handshake, then never read again (until killed) */
static int srv_noread(int fd)
{
  struct tls *t = server(fd);
  if (!t) return 1;
  for (;;) pause();
}

/* a peer that never reads: the write gives up at its deadline */
static void t_write_timeout(void **st)
{
  (void)st;
  int fd;
  char err[256];
  pid_t pid = peer(srv_noread, &fd);
  struct tls *t = client(fd, TLS_VERIFY_NONE, NAME, NULL, err, sizeof err);
  if (!t) fail_msg("handshake: %s", err);
  size_t n = 16 << 20;
  char *b = calloc(1, n);
  assert_non_null(b);
  long long t0 = now_ms();
  errno = 0;
  assert_int_equal(tls_write(t, b, n, 1), -1);
  assert_int_equal(errno, ETIMEDOUT);
  long long ms = now_ms() - t0;
  if (ms < 900 || ms > 3000) fail_msg("write gave up after %lld ms, want about 1000", ms);
  free(b);
  tls_close(t);
  close(fd);
  kill(pid, SIGKILL);
  assert_int_equal(reap(pid), 200);                   /* killed, not exited early */
}

/* handshake, then the header of a 16 KB application record and 100 of
 * its bytes, raw on the socket, then nothing */
static int srv_halfrecord(int fd)
{
  struct tls *t = server(fd);
  if (!t) return 1;
  unsigned char rec[105] = {0x17, 0x03, 0x03, 0x40, 0x00};
  memset(rec + 5, 0x42, 100);
  if (write(fd, rec, sizeof rec) != (ssize_t)sizeof rec) return 2;
  until_eof(fd);
  tls_close(t);
  return 0;
}

static void t_half_record(void **st)
{
  (void)st;
  int fd;
  char err[256], buf[100];
  pid_t pid = peer(srv_halfrecord, &fd);
  struct tls *t = client(fd, TLS_VERIFY_NONE, NAME, NULL, err, sizeof err);
  if (!t) fail_msg("handshake: %s", err);
  long long t0 = now_ms();
  errno = 0;
  assert_int_equal(tls_read(t, buf, sizeof buf, 1), -1);
  assert_int_equal(errno, ETIMEDOUT);
  long long ms = now_ms() - t0;
  if (ms < 900 || ms > 3000) fail_msg("half a record: gave up after %lld ms, want about 1000", ms);
  tls_close(t);
  close(fd);
  assert_int_equal(reap(pid), 0);
}

/* a "server" that answers with half a ServerHello record, then stalls */
static int raw_halfhello(int fd)
{
  unsigned char b[4096];
  if (read(fd, b, sizeof b) <= 0) return 1;           /* the ClientHello */
  unsigned char rec[25] = {0x16, 0x03, 0x03, 0x00, 0x7a, 0x02, 0x00, 0x00, 0x76, 0x03, 0x03};
  if (write(fd, rec, sizeof rec) != (ssize_t)sizeof rec) return 2;
  until_eof(fd);
  return 0;
}

/* a "client" that sends half a ClientHello record, then stalls */
static int raw_halfclienthello(int fd)
{
  unsigned char rec[20] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03};
  if (write(fd, rec, sizeof rec) != (ssize_t)sizeof rec) return 2;
  until_eof(fd);
  return 0;
}

static void t_half_handshake(void **st)
{
  (void)st;
  int fd;
  char err[256];
  struct tls_client_opts co;
  memset(&co, 0, sizeof co);
  co.servername = NAME;
  pid_t pid = peer(raw_halfhello, &fd);
  long long t0 = now_ms();
  assert_null(tls_client(fd, &co, 1, err, sizeof err));
  long long ms = now_ms() - t0;
  if (ms < 900 || ms > 3000) fail_msg("client handshake gave up after %lld ms", ms);
  assert_non_null(strstr(err, "timed out"));
  close(fd);
  assert_int_equal(reap(pid), 0);

  struct tls_server_opts so = {servercert, serverkey, NULL};
  pid = peer(raw_halfclienthello, &fd);
  t0 = now_ms();
  assert_null(tls_server(fd, fd, &so, 1, err, sizeof err));
  ms = now_ms() - t0;
  if (ms < 900 || ms > 3000) fail_msg("server handshake gave up after %lld ms", ms);
  assert_non_null(strstr(err, "timed out"));
  close(fd);
  assert_int_equal(reap(pid), 0);
}

/* ---- verification ---- */

/* the server side of a handshake the client may abort: any outcome */
static int srv_any(int fd)
{
  struct tls *t = server(fd);
  if (t) { until_eof(fd); tls_close(t); }
  return 0;
}

static void verify_case(const char *name, const char *ca, int want_ok, const char *want_err)
{
  int fd;
  char err[256];
  pid_t pid = peer(srv_any, &fd);
  struct tls *t = client(fd, TLS_VERIFY_PEER, name, ca, err, sizeof err);
  if (want_ok && !t) fail_msg("verify %s with %s: %s", name, ca, err);
  if (!want_ok && t) fail_msg("verify %s with %s: passed, want a failure", name, ca);
  if (!want_ok && want_err && !strstr(err, want_err)) fail_msg("verify %s: error [%s], want [%s]", name, err, want_err);
  if (t) tls_close(t);
  close(fd);
  assert_int_equal(reap(pid), 0);
}

static void t_verify(void **st)
{
  (void)st;
  verify_case(NAME, servercert, 1, 0);                             /* the SAN, CA = the cert */
  verify_case("ALT.test.example", servercert, 1, 0);               /* second SAN, any case */
  verify_case("wrong.test.example", servercert, 0, "certificate verification failed");
  verify_case("test.example", servercert, 0, "hostname mismatch");
  verify_case(NAME, othercert, 0, "certificate verification failed");   /* wrong CA */
  verify_case(NAME, "/nonexistent/ca.pem", 0, "cannot load CA");
}

/* without verify, any certificate (and name) is taken */
static void t_noverify(void **st)
{
  (void)st;
  int fd;
  char err[256];
  pid_t pid = peer(srv_any, &fd);
  struct tls *t = client(fd, TLS_VERIFY_NONE, "anything.example", NULL, err, sizeof err);
  if (!t) fail_msg("%s", err);
  tls_close(t);
  close(fd);
  assert_int_equal(reap(pid), 0);
}

/* the client certificate option: a combined cert+key file loads; a
 * file without the key is refused before anything is sent */
static void t_clientcert(void **st)
{
  (void)st;
  int fd;
  char err[256];
  struct tls_client_opts o;
  memset(&o, 0, sizeof o);
  o.servername = NAME;
  o.cert = servercombined;
  pid_t pid = peer(srv_any, &fd);
  struct tls *t = tls_client(fd, &o, 10, err, sizeof err);
  if (!t) fail_msg("client cert: %s", err);
  tls_close(t);
  close(fd);
  assert_int_equal(reap(pid), 0);
  o.cert = servercert;
  pid = peer(srv_any, &fd);
  assert_null(tls_client(fd, &o, 10, err, sizeof err));
  assert_non_null(strstr(err, "client certificate"));
  close(fd);
  assert_int_equal(reap(pid), 0);
}

/* ---- protocol versions ---- */

/* tls_server against a client that offers TLS 1.1 only: must fail */
static int srv_refuse(int fd)
{
  struct tls_server_opts o = {servercert, serverkey, NULL};
  char err[256] = "";
  struct tls *t = tls_server(fd, fd, &o, 10, err, sizeof err);
  if (t) return 1;
  /* it did see a ClientHello (and refused its version), not just EOF */
  if (!strstr(err, "version") && !strstr(err, "protocol")) return 2;
  return 0;
}

static void t_tls11_refused(void **st)
{
  (void)st;
  int fd;
  pid_t pid = peer(srv_refuse, &fd);
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  assert_non_null(ctx);
  SSL_CTX_set_security_level(ctx, 0);               /* OpenSSL 3 hides TLS 1.1 above level 0 */
  assert_int_equal(SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0"), 1);
  assert_int_equal(SSL_CTX_set_min_proto_version(ctx, TLS1_1_VERSION), 1);
  assert_int_equal(SSL_CTX_set_max_proto_version(ctx, TLS1_1_VERSION), 1);
  SSL *ssl = SSL_new(ctx);
  assert_non_null(ssl);
  assert_int_equal(SSL_set_fd(ssl, fd), 1);
  assert_true(SSL_connect(ssl) <= 0);
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ERR_clear_error();
  close(fd);
  int rc = reap(pid);
  if (rc) fail_msg("server side: %d (1 accepted TLS 1.1, 2 saw no ClientHello)", rc);
}

/* ---- the end ---- */

static int srv_closes(int fd)
{
  struct tls *t = server(fd);
  if (!t) return 1;
  if (tls_write(t, "bye", 3, 10) != 3) return 2;
  tls_close(t);
  until_eof(fd);
  return 0;
}

static void t_close_notify(void **st)
{
  (void)st;
  int fd;
  char err[256], buf[16];
  pid_t pid = peer(srv_closes, &fd);
  struct tls *t = client(fd, TLS_VERIFY_NONE, NAME, NULL, err, sizeof err);
  if (!t) fail_msg("%s", err);
  long r = tls_read(t, buf, sizeof buf, 10);
  assert_int_equal(r, 3);
  assert_memory_equal(buf, "bye", 3);
  assert_int_equal(tls_read(t, buf, sizeof buf, 10), 0);
  tls_close(t);
  close(fd);
  assert_int_equal(reap(pid), 0);
}

static void t_server_available(void **st)
{
  (void)st;
  struct tls_server_opts o = {servercert, NULL, NULL};
  assert_int_equal(tls_server_available(&o), 1);
  o.key = "/nonexistent/key";
  assert_int_equal(tls_server_available(&o), 0);
  o.cert = "/nonexistent/cert";
  o.key = NULL;
  assert_int_equal(tls_server_available(&o), 0);
  o.cert = "";
  assert_int_equal(tls_server_available(&o), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_handshake_data), cmocka_unit_test(t_read_timeout), cmocka_unit_test(t_write_timeout),
    cmocka_unit_test(t_half_record), cmocka_unit_test(t_half_handshake), cmocka_unit_test(t_verify),
    cmocka_unit_test(t_noverify), cmocka_unit_test(t_clientcert), cmocka_unit_test(t_tls11_refused),
    cmocka_unit_test(t_close_notify), cmocka_unit_test(t_server_available),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
