/* tlsrelay: a TLS server session (tls.c over a socketpair, the client in
 * a forked child) relayed to a plaintext socketpair whose other end is a
 * forked "program". The certificate is made with the OpenSSL API at the
 * start. Checks: data both ways in many rounds, a half-close from the
 * client (the program sees EOF and its last words still arrive), bytes
 * read ahead before the hand-over are delivered first, the program
 * ending first ends the relay, the idle timeout, a client sending
 * garbage, a program that stops reading, 1 MB into a slow reader
 * (bounded buffers, nothing lost or reordered), and tlsrd leaves no
 * plaintext inside OpenSSL where poll() cannot see it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "rd.h"
#include "tls.h"
#include "tlsrelay.h"

const char *progname = "test_tlsrelay";

static char dir[64], pem[128];

static int setup(void **st)
{
  (void)st;
  strcpy(dir, "/tmp/test_tlsrelay.XXXXXX");
  if (!mkdtemp(dir)) return -1;
  snprintf(pem, sizeof pem, "%s/server.pem", dir);
  EVP_PKEY *k = EVP_EC_gen("P-256");
  X509 *x = X509_new();
  if (!k || !x) return -1;
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, k);
  X509_NAME *n = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"relay.test.example", -1, -1, 0);
  X509_set_issuer_name(x, n);
  if (X509_sign(x, k, EVP_sha256()) <= 0) return -1;
  FILE *f = fopen(pem, "w");
  if (!f || PEM_write_X509(f, x) != 1 || PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) != 1) return -1;
  fclose(f);
  X509_free(x);
  EVP_PKEY_free(k);
  signal(SIGPIPE, SIG_IGN);
  return 0;
}

static int teardown(void **st)
{
  (void)st;
  unlink(pem);
  rmdir(dir);
  return 0;
}

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned char pattern(size_t i) { return (unsigned char)(i * 31 + (i >> 11)); }

/* fn(fd) in a child that holds no other end of the two socketpairs */
static pid_t child(int (*fn)(int), int fd, const int *a, const int *b)
{
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    for (int i = 0; i < 2; ++i) {
      if (a[i] != fd) close(a[i]);
      if (b[i] != fd) close(b[i]);
    }
    alarm(30);                        /* never outlive a broken test */
    _exit(fn(fd));
  }
  return pid;
}

static int reap(pid_t pid)
{
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 200 + WTERMSIG(status);
}

/* until the other side closes */
static void until_eof(int fd)
{
  char b[4096];
  for (;;) {
    ssize_t r = read(fd, b, sizeof b);
    if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) return;
    if (r < 0) { struct pollfd p = {fd, POLLIN, 0}; poll(&p, 1, 1000); }
  }
}

static struct tls *client(int fd)
{
  struct tls_client_opts o;
  char err[200];
  memset(&o, 0, sizeof o);
  o.verify = TLS_VERIFY_NONE;
  return tls_client(fd, &o, 10, err, sizeof err);
}

static int readall(struct tls *t, void *buf, size_t n)
{
  size_t got = 0;
  while (got < n) {
    long r = tls_read(t, (char *)buf + got, n - got, 10);
    if (r <= 0) return -1;
    got += (size_t)r;
  }
  return 0;
}

static int plainreadall(int fd, void *buf, size_t n)
{
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, (char *)buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    got += (size_t)r;
  }
  return 0;
}

/* Run one relay: client(fd) over TLS, program(fd) on the plaintext side.
 * Returns tlsrelay's result; both children must exit 0. */
static int run(int (*cl)(int), int (*prog)(int), int timeout, const char *pre, size_t prelen,
               struct tlsrelay_stats *st, long long *ms)
{
  int a[2], b[2];
  struct tls_server_opts o = {pem, NULL, NULL};
  char err[300];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
  pid_t pc = child(cl, a[1], a, b);
  pid_t pp = child(prog, b[1], a, b);
  close(a[1]);
  close(b[1]);
  struct tls *t = tls_server(a[0], a[0], &o, 10, err, sizeof err);
  if (!t) fail_msg("handshake: %s", err);
  long long t0 = now_ms();
  int r = tlsrelay(t, a[0], b[0], timeout, pre, prelen, st, err, sizeof err);
  if (ms) *ms = now_ms() - t0;
  tls_close(t);
  close(a[0]);
  close(b[0]);
  int ec = reap(pc), ep = reap(pp);
  if (ec || ep) fail_msg("client exit %d, program exit %d (relay %d: %s)", ec, ep, r, err);
  return r;
}

/* ---- echo in rounds, then a half-close ---- */

#define ROUNDS 80
#define ROUND 4000

static int cl_echo(int fd)
{
  struct tls *t = client(fd);
  unsigned char out[ROUND], in[ROUND];
  if (!t) return 1;
  for (size_t r = 0; r < ROUNDS; ++r) {
    for (size_t i = 0; i < ROUND; ++i) out[i] = pattern(r * ROUND + i);
    if (tls_write(t, out, ROUND, 10) != ROUND) return 2;
    if (readall(t, in, ROUND) < 0) return 3;
    for (size_t i = 0; i < ROUND; ++i) if (in[i] != (unsigned char)(out[i] + 1)) return 4;
  }
  shutdown(fd, SHUT_WR);               /* half-close: no more from us */
  char bye[4];
  if (readall(t, bye, 4) < 0 || memcmp(bye, "bye\n", 4)) return 5;
  if (tls_read(t, bye, 1, 10) != 0) return 6;          /* then the end */
  return 0;
}

static int prog_echo(int fd)
{
  unsigned char b[3000];
  size_t total = 0;
  for (;;) {
    ssize_t r = read(fd, b, sizeof b);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return 10;
    if (r == 0) break;
    for (ssize_t i = 0; i < r; ++i) {
      if (b[i] != pattern(total + (size_t)i)) return 11;
      b[i]++;
    }
    total += (size_t)r;
    if (write(fd, b, (size_t)r) != r) return 12;
  }
  if (total != ROUNDS * ROUND) return 13;
  return write(fd, "bye\n", 4) == 4 ? 0 : 14;
}

static void t_echo(void **st)
{
  struct tlsrelay_stats s;
  (void)st;
  assert_int_equal(run(cl_echo, prog_echo, 10, NULL, 0, &s, NULL), TLSRELAY_DONE);
  assert_int_equal(s.toplain, ROUNDS * ROUND);
  assert_int_equal(s.totls, ROUNDS * ROUND + 4);
  assert_true(s.tlseof);
}

/* ---- read-ahead delivered first; the program ends first ---- */

static int cl_first(int fd)
{
  struct tls *t = client(fd);
  char b[64];
  if (!t) return 1;
  if (tls_write(t, "AFTER\r\n", 7, 10) != 7) return 2;
  if (readall(t, b, 12) < 0 || memcmp(b, "+OK got it\r\n", 12)) return 3;
  if (tls_read(t, b, sizeof b, 10) != 0) return 4;     /* the relay ended, the server closed */
  tls_close(t);
  return 0;
}

static int prog_first(int fd)
{
  char b[32];
  if (plainreadall(fd, b, 17) < 0 || memcmp(b, "PIPELINED\r\nAFTER\r\n", 17)) return 10;
  return write(fd, "+OK got it\r\n", 12) == 12 ? 0 : 11;    /* and exit: EOF for the relay */
}

static void t_preread(void **st)
{
  struct tlsrelay_stats s;
  (void)st;
  assert_int_equal(run(cl_first, prog_first, 10, "PIPELINED\r\n", 11, &s, NULL), TLSRELAY_DONE);
  assert_false(s.tlseof);
  assert_int_equal(s.toplain, 18);
}

/* ---- idle timeout ---- */

static int cl_idle(int fd)
{
  struct tls *t = client(fd);
  if (!t) return 1;
  until_eof(fd);
  return 0;
}

static int prog_idle(int fd)
{
  until_eof(fd);
  return 0;
}

static void t_timeout(void **st)
{
  struct tlsrelay_stats s;
  long long ms;
  (void)st;
  assert_int_equal(run(cl_idle, prog_idle, 1, NULL, 0, &s, &ms), TLSRELAY_TIMEOUT);
  if (ms < 900 || ms > 3500) fail_msg("timeout after %lld ms", ms);
}

/* ---- garbage from the client ---- */

static int cl_garbage(int fd)
{
  struct tls *t = client(fd);
  if (!t) return 1;
  static const char junk[] = "\x17\x03\x03\x00\x20this is not an encrypted record!";
  if (write(fd, junk, sizeof junk - 1) < 0) return 2;
  until_eof(fd);
  return 0;
}

static void t_garbage(void **st)
{
  struct tlsrelay_stats s;
  (void)st;
  assert_int_equal(run(cl_garbage, prog_idle, 10, NULL, 0, &s, NULL), TLSRELAY_TLSERR);
}

/* ---- a program that reads nothing and leaves ---- */

static int cl_deaf(int fd)
{
  struct tls *t = client(fd);
  static unsigned char b[100000];
  if (!t) return 1;
  tls_write(t, b, sizeof b, 10);       /* may fail once the server is gone */
  until_eof(fd);
  return 0;
}

static int prog_deaf(int fd)
{
  (void)fd;
  return 0;
}

static void t_deaf(void **st)
{
  struct tlsrelay_stats s;
  (void)st;
  assert_int_equal(run(cl_deaf, prog_deaf, 10, NULL, 0, &s, NULL), TLSRELAY_DONE);
}

/* ---- 1 MB into a slow reader ---- */

#define BULK (1024 * 1024)

static int cl_bulk(int fd)
{
  struct tls *t = client(fd);
  unsigned char b[16384];
  if (!t) return 1;
  for (size_t off = 0; off < BULK; off += sizeof b) {
    for (size_t i = 0; i < sizeof b; ++i) b[i] = pattern(off + i);
    if (tls_write(t, b, sizeof b, 10) != (long)sizeof b) return 2;
  }
  char d[5];
  if (readall(t, d, 5) < 0 || memcmp(d, "done\n", 5)) return 3;
  return 0;
}

static int prog_slow(int fd)
{
  unsigned char b[700];
  size_t total = 0;
  struct timespec ts = {0, 20000};
  while (total < BULK) {
    ssize_t r = read(fd, b, sizeof b);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return 10;
    for (ssize_t i = 0; i < r; ++i) if (b[i] != pattern(total + (size_t)i)) return 11;
    total += (size_t)r;
    nanosleep(&ts, 0);
  }
  return write(fd, "done\n", 5) == 5 ? 0 : 12;
}

static void t_bulk(void **st)
{
  struct tlsrelay_stats s;
  (void)st;
  assert_int_equal(run(cl_bulk, prog_slow, 10, NULL, 0, &s, NULL), TLSRELAY_DONE);
  assert_int_equal(s.toplain, BULK);
}

/* ---- tlsrd: nothing is left inside OpenSSL ---- */

#define TWO (20000)          /* two records: 16384 + 3616 */

static int cl_line(int fd)
{
  struct tls *t = client(fd);
  static unsigned char b[TWO];
  if (!t) return 1;
  memcpy(b, "LINE1\r\n", 7);
  for (size_t i = 7; i < TWO; ++i) b[i] = pattern(i);
  if (tls_write(t, b, TWO, 10) != TWO) return 2;      /* one write: records back to back */
  char d[5];
  if (readall(t, d, 5) < 0 || memcmp(d, "done\n", 5)) return 3;
  return 0;
}

static int prog_rest(int fd)
{
  static unsigned char b[TWO];
  if (plainreadall(fd, b, TWO - 7) < 0) return 10;
  for (size_t i = 0; i < TWO - 7; ++i) if (b[i] != pattern(i + 7)) return 11;
  return write(fd, "done\n", 5) == 5 ? 0 : 12;
}

static void t_tlsrd(void **st)
{
  int a[2], b[2];
  struct tls_server_opts o = {pem, NULL, NULL};
  char err[300];
  static struct tlsrd trd;
  struct rd r;
  sb line = SB_INIT, pre = SB_INIT;
  struct tlsrelay_stats s;
  (void)st;
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
  pid_t pc = child(cl_line, a[1], a, b);
  pid_t pp = child(prog_rest, b[1], a, b);
  close(a[1]);
  close(b[1]);
  struct tls *t = tls_server(a[0], a[0], &o, 10, err, sizeof err);
  assert_non_null(t);
  tlsrd_init(&trd, t);
  rd_init(&r, a[0], 10);
  assert_int_equal(rd_settransport(&r, tlsrd_read, &trd), 0);
  assert_int_equal(rd_line(&r, &line, '\n', 100), RD_OK);
  assert_int_equal(line.len, 6);
  assert_memory_equal(line.s, "LINE1\r", 6);
  /* the reader's and tlsrd's read-ahead: all of the first record */
  assert_true(sb_catb(&pre, r.buf + r.pos, r.len - r.pos));
  assert_true(sb_catb(&pre, trd.buf + trd.pos, trd.len - trd.pos));
  assert_int_equal(pre.len, 16384 - 7);
  /* the second record is still in the socket, visible to poll(): the
   * relay delivers it; stuck inside OpenSSL it would end in the timeout */
  assert_int_equal(tlsrelay(t, a[0], b[0], 5, pre.s, pre.len, &s, err, sizeof err), TLSRELAY_DONE);
  assert_int_equal(s.toplain, TWO - 7);
  tls_close(t);
  close(a[0]);
  close(b[0]);
  assert_int_equal(reap(pc), 0);
  assert_int_equal(reap(pp), 0);
  sb_free(&line);
  sb_free(&pre);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_echo), cmocka_unit_test(t_preread), cmocka_unit_test(t_timeout),
    cmocka_unit_test(t_garbage), cmocka_unit_test(t_deaf), cmocka_unit_test(t_bulk),
    cmocka_unit_test(t_tlsrd),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
