/* bench/authblast.c: SMTP AUTH PLAIN over TLS load client for
 * bench/smtp-auth (built by it with cc -O2 ... -lssl -lcrypto; not one of
 * the Makefile's programs).
 *
 * C parallel sessions, one poll() loop, non-blocking OpenSSL. Each
 * session: connect, 220, EHLO, STARTTLS, 220, TLS handshake (no
 * certificate verification, no session cache, no tickets, so every
 * handshake is a full one), EHLO, AUTH PLAIN <base64 of \0login\0password>
 * for a random login, QUIT, 221, close. Nothing is pipelined.
 * Stops opening sessions after -n sessions or -t seconds; counts the
 * AUTH replies: 235, 535, 454, anything else.
 *
 * usage: authblast [-c parallel] [-n sessions] [-t seconds] [-u users]
 *          [-p password] [-a file] [-x percent] [-H helo] [-r seed]
 *          [-i] [-T] [-N] [-2] host port
 *   -u/-p  login user<K>, K random in 1..users (bench/lib.sh's directory),
 *          all with one password
 *   -a     "login password" lines (the first two fields), one picked at
 *          random per session; replaces -u/-p
 *   -x     this percentage of the logins send a wrong password (the
 *          right one with "x" appended): 535, after qmail-smtpd's delay
 *   -i     implicit TLS (SMTPS): the handshake right after connect
 *   -T     no AUTH: EHLO (again, inside TLS) and QUIT, for the cost of
 *          the session and the handshake alone
 *   -N     no TLS: the session stays plaintext (with -T: greeting, EHLO,
 *          QUIT; without: AUTH in plaintext, which qmail-smtpd allows
 *          from loopback)
 *   -2     at most TLS 1.2 (default: whatever both sides prefer, 1.3)
 * Output: one line of key=value pairs on stdout, the client's own CPU
 * included (cpu=, cpu_us_per_session=). Exit 0, or 111 after a connect
 * failure, a protocol or TLS error, or a stall (60 s without progress).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IN_MAX 8192     /* one reply line must fit; RFC 5321 says 512 */
#define OUT_MAX 2048    /* the longest command: AUTH PLAIN of 2 x CRED_MAX */
#define CRED_MAX 256    /* bytes of a login or a password */
#define SESS_MAX 1000
#define FILE_MAX (64u << 20)
#define STALL_S 60

enum { P_FREE, P_CONN, P_HS, P_IO };                          /* phase */
enum { R_GREET, R_EHLO, R_STARTTLS, R_AUTH, R_QUIT };          /* reply awaited */

struct sess {
  int fd, phase, expect, tls, events;
  SSL *ssl;
  char in[IN_MAX];
  size_t inlen;
  char out[OUT_MAX];
  size_t outoff, outlen;
};

static struct {
  unsigned sessions;
  uint64_t total, users, wrongpct;
  double seconds;
  int implicit, noauth, notls, tls12;
  const char *password, *helo, *file;
  struct sockaddr_in sa;
} opt = {4, 1000, 1000, 0, 0, 0, 0, 0, 0, "secret", "client.example", 0, {0}};

static struct {
  uint64_t opened, done, ok, fail, temp, other, protoerr, handshakes;
} st;

struct cred { char *login, *pass; };
static struct cred *creds;
static size_t ncreds;
static uint64_t rng = 88172645463325252ull;
static SSL_CTX *ctx;

static void die(const char *m)
{
  fprintf(stderr, "authblast: %s%s%s\n", m, errno ? ": " : "", errno ? strerror(errno) : "");
  exit(111);
}

static double now(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t rnd(void)   /* xorshift64* */
{
  rng ^= rng >> 12; rng ^= rng << 25; rng ^= rng >> 27;
  return rng * 2685821657736338717ull;
}

static uint64_t num(const char *s, uint64_t max)
{
  char *e;
  errno = 0;
  unsigned long long v = strtoull(s, &e, 10);
  if (!*s || *e || errno || v > max) { errno = 0; fprintf(stderr, "authblast: bad number %s\n", s); exit(100); }
  return v;
}

static void loadfile(const char *path)
{
  FILE *f = fopen(path, "r");
  if (!f) die("cannot open the credentials file");
  char line[2 * CRED_MAX + 1024];
  size_t cap = 0, bytes = 0;
  while (fgets(line, sizeof line, f)) {
    size_t l = strlen(line);
    if (l && line[l - 1] == '\n') line[--l] = 0;
    else if (!feof(f)) { errno = 0; die("credentials file: line too long"); }
    char *sp = 0, *login = strtok_r(line, " \t", &sp), *pass = login ? strtok_r(0, " \t", &sp) : 0;
    if (!login) continue;
    if (!pass || strlen(login) > CRED_MAX || strlen(pass) > CRED_MAX) { errno = 0; die("credentials file: bad line"); }
    if ((bytes += l + 1) > FILE_MAX) { errno = 0; die("credentials file too big"); }
    if (ncreds == cap) {
      cap = cap ? cap * 2 : 1024;
      struct cred *n = realloc(creds, cap * sizeof *n);
      if (!n) die("out of memory");
      creds = n;
    }
    creds[ncreds].login = strdup(login);
    creds[ncreds].pass = strdup(pass);
    if (!creds[ncreds].login || !creds[ncreds].pass) die("out of memory");
    ncreds++;
  }
  if (ferror(f)) die("cannot read the credentials file");
  fclose(f);
  if (!ncreds) { errno = 0; die("credentials file is empty"); }
}

static size_t b64(char *dst, const unsigned char *src, size_t n)
{
  static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t o = 0;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)src[i] << 16 | (i + 1 < n ? (unsigned)src[i + 1] << 8 : 0) | (i + 2 < n ? src[i + 2] : 0);
    dst[o++] = tab[v >> 18 & 63];
    dst[o++] = tab[v >> 12 & 63];
    dst[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
    dst[o++] = i + 2 < n ? tab[v & 63] : '=';
  }
  dst[o] = 0;
  return o;
}

static void put(struct sess *s, int expect, const char *cmd)
{
  size_t l = strlen(cmd);
  if (l > sizeof s->out) { errno = 0; die("command too long"); }
  memcpy(s->out, cmd, l);
  s->outoff = 0; s->outlen = l;
  s->expect = expect;
}

static void put_auth(struct sess *s)
{
  unsigned char raw[2 * CRED_MAX + 2];
  char cmd[OUT_MAX], num_[32];
  const char *login, *pass;
  if (ncreds) {
    const struct cred *c = &creds[rnd() % ncreds];
    login = c->login; pass = c->pass;
  } else {
    snprintf(num_, sizeof num_, "user%llu", (unsigned long long)(rnd() % opt.users + 1));
    login = num_; pass = opt.password;
  }
  size_t ll = strlen(login), pl = strlen(pass), n = 0;
  raw[n++] = 0;   /* no authzid */
  memcpy(raw + n, login, ll); n += ll;
  raw[n++] = 0;
  memcpy(raw + n, pass, pl); n += pl;
  if (opt.wrongpct && rnd() % 100 < opt.wrongpct) raw[n++] = 'x';
  memcpy(cmd, "AUTH PLAIN ", 11);
  size_t o = 11 + b64(cmd + 11, raw, n);
  memcpy(cmd + o, "\r\n", 3);
  memset(raw, 0, sizeof raw);
  put(s, R_AUTH, cmd);
}

static void sess_close(struct sess *s)
{
  if (s->ssl) {
    SSL_shutdown(s->ssl);   /* one close_notify, not waited for */
    SSL_free(s->ssl);
    ERR_clear_error();
  }
  if (s->fd >= 0) close(s->fd);
  s->ssl = 0; s->fd = -1; s->phase = P_FREE; s->tls = 0;
  s->inlen = s->outoff = s->outlen = 0;
}

static void protoerr(struct sess *s, const char *what, int code)
{
  st.protoerr++;
  if (code) fprintf(stderr, "authblast: %s: reply %d\n", what, code);
  else fprintf(stderr, "authblast: %s\n", what);
  ERR_clear_error();
  sess_close(s);
}

static void sess_open(struct sess *s)
{
  int one = 1;
  sess_close(s);
  s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s->fd < 0) die("socket");
  setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(s->fd, (struct sockaddr *)&opt.sa, sizeof opt.sa) < 0 && errno != EINPROGRESS) die("connect");
  errno = 0;
  s->phase = P_CONN; s->events = POLLOUT; s->expect = R_GREET;
  st.opened++;
}

static void starthandshake(struct sess *s)
{
  if (!(s->ssl = SSL_new(ctx)) || !SSL_set_fd(s->ssl, s->fd)) { errno = 0; die("SSL_new"); }
  SSL_set_connect_state(s->ssl);
  s->phase = P_HS;
}

/* one complete reply; queues the next command */
static void reply(struct sess *s, int code)
{
  switch (s->expect) {
    case R_GREET:
      if (code != 220) { protoerr(s, "greeting", code); return; }
      put(s, R_EHLO, "EHLO ");
      s->outlen += (size_t)snprintf(s->out + s->outlen, sizeof s->out - s->outlen, "%s\r\n", opt.helo);
      break;
    case R_EHLO:
      if (code != 250) { protoerr(s, "EHLO", code); return; }
      if (!s->tls && !opt.notls) put(s, R_STARTTLS, "STARTTLS\r\n");
      else if (!opt.noauth) put_auth(s);
      else put(s, R_QUIT, "QUIT\r\n");
      break;
    case R_STARTTLS:
      if (code != 220) { protoerr(s, "STARTTLS", code); return; }
      if (s->inlen) { protoerr(s, "data after the STARTTLS reply", 0); return; }
      starthandshake(s);
      break;
    case R_AUTH:
      if (code == 235) st.ok++;
      else if (code == 535) st.fail++;
      else if (code == 454) st.temp++;
      else st.other++;
      put(s, R_QUIT, "QUIT\r\n");
      break;
    case R_QUIT:
      st.done++;
      sess_close(s);
      break;
  }
}

/* complete reply lines in the input buffer; a multi-line reply counts once */
static void parse(struct sess *s)
{
  size_t off = 0;
  while (s->phase == P_IO) {
    char *nl = memchr(s->in + off, '\n', s->inlen - off);
    if (!nl) break;
    char *l = s->in + off;
    size_t len = (size_t)(nl - l);
    off += len + 1;
    if (len < 3 || l[0] < '0' || l[0] > '9' || l[1] < '0' || l[1] > '9' || l[2] < '0' || l[2] > '9') {
      protoerr(s, "bad reply line", 0); return;
    }
    if (len > 3 && l[3] == '-') continue;
    int code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
    /* what follows belongs to the next reply: keep it for R_STARTTLS's check */
    memmove(s->in, s->in + off, s->inlen - off);
    s->inlen -= off; off = 0;
    reply(s, code);
  }
  if (s->phase == P_FREE) return;
  if (off) { memmove(s->in, s->in + off, s->inlen - off); s->inlen -= off; }
  if (s->inlen == sizeof s->in) protoerr(s, "reply line too long", 0);
}

/* an OpenSSL call that did not complete: 1 wait for s->events, 0 error */
static int sslwait(struct sess *s, int r)
{
  int e = SSL_get_error(s->ssl, r);
  if (e == SSL_ERROR_WANT_READ) { s->events = POLLIN; return 1; }
  if (e == SSL_ERROR_WANT_WRITE) { s->events = POLLOUT; return 1; }
  return 0;
}

/* as much work as the socket allows, until it would block */
static void drive(struct sess *s)
{
  for (;;) {
    if (s->phase == P_FREE) return;
    if (s->phase == P_CONN) {
      int err = 0;
      socklen_t el = sizeof err;
      getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el);
      if (err) { errno = err; die("connect"); }
      s->phase = P_IO;
      if (opt.implicit) starthandshake(s);
      continue;
    }
    if (s->phase == P_HS) {
      int r = SSL_connect(s->ssl);
      if (r == 1) {
        s->tls = 1; s->phase = P_IO; st.handshakes++;
        /* STARTTLS: a new EHLO; implicit TLS: the greeting comes now */
        if (!opt.implicit) {
          put(s, R_EHLO, "EHLO ");
          s->outlen += (size_t)snprintf(s->out + s->outlen, sizeof s->out - s->outlen, "%s\r\n", opt.helo);
        }
        continue;
      }
      if (sslwait(s, r)) return;
      protoerr(s, "TLS handshake failed", 0);
      return;
    }
    if (s->outoff < s->outlen) {
      long n;
      if (s->tls) {
        int r = SSL_write(s->ssl, s->out + s->outoff, (int)(s->outlen - s->outoff));
        if (r <= 0) { if (sslwait(s, r)) return; protoerr(s, "TLS write failed", 0); return; }
        n = r;
      } else {
        n = write(s->fd, s->out + s->outoff, s->outlen - s->outoff);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) { errno = 0; s->events = POLLOUT; return; }
        if (n < 0) { errno = 0; protoerr(s, "write failed", 0); return; }
      }
      s->outoff += (size_t)n;
      continue;
    }
    long n;
    if (s->tls) {
      int r = SSL_read(s->ssl, s->in + s->inlen, (int)(sizeof s->in - s->inlen));
      if (r <= 0) {
        if (sslwait(s, r)) return;
        protoerr(s, s->expect == R_QUIT ? "no reply to QUIT" : "server closed a session", 0);
        return;
      }
      n = r;
    } else {
      n = read(s->fd, s->in + s->inlen, sizeof s->in - s->inlen);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) { errno = 0; s->events = POLLIN; return; }
      if (n <= 0) { errno = 0; protoerr(s, "server closed a session", 0); return; }
    }
    s->inlen += (size_t)n;
    parse(s);
  }
}

static double cpu_self(void)
{
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void report(double wall, double cpu)
{
  printf("sessions=%llu ok=%llu fail=%llu temp=%llu other=%llu protoerr=%llu handshakes=%llu "
         "wall=%.6f rate=%.1f cpu=%.6f cpu_us_per_session=%.1f\n",
         (unsigned long long)st.done, (unsigned long long)st.ok, (unsigned long long)st.fail,
         (unsigned long long)st.temp, (unsigned long long)st.other, (unsigned long long)st.protoerr,
         (unsigned long long)st.handshakes, wall, wall > 0 ? (double)st.done / wall : 0.0, cpu,
         st.done ? cpu * 1e6 / (double)st.done : 0.0);
  fflush(stdout);
}

int main(int argc, char **argv)
{
  int c;
  while ((c = getopt(argc, argv, "c:n:t:u:p:a:x:H:r:iTN2")) != -1) {
    switch (c) {
      case 'c': opt.sessions = (unsigned)num(optarg, SESS_MAX); break;
      case 'n': opt.total = num(optarg, UINT64_MAX / 2); break;
      case 't': opt.seconds = (double)num(optarg, 86400); break;
      case 'u': opt.users = num(optarg, UINT64_MAX / 2); break;
      case 'p': opt.password = optarg; break;
      case 'a': opt.file = optarg; break;
      case 'x': opt.wrongpct = num(optarg, 100); break;
      case 'H': opt.helo = optarg; break;
      case 'r': rng = num(optarg, UINT64_MAX) | 1; break;
      case 'i': opt.implicit = 1; break;
      case 'T': opt.noauth = 1; break;
      case 'N': opt.notls = 1; break;
      case '2': opt.tls12 = 1; break;
      default:
        fprintf(stderr, "usage: authblast [-c parallel] [-n sessions] [-t seconds] [-u users] [-p password] "
                        "[-a file] [-x percent] [-H helo] [-r seed] [-i] [-T] [-N] [-2] host port\n");
        return 100;
    }
  }
  if (argc - optind != 2 || !opt.sessions || !opt.users || strlen(opt.helo) > 200 ||
      strlen(opt.password) > CRED_MAX || (opt.implicit && opt.notls)) {
    fprintf(stderr, "authblast: bad arguments (see the usage in bench/authblast.c)\n");
    return 100;
  }
  opt.sa.sin_family = AF_INET;
  if (inet_pton(AF_INET, argv[optind], &opt.sa.sin_addr) != 1) { fprintf(stderr, "authblast: host must be an IPv4 address\n"); return 100; }
  opt.sa.sin_port = htons((uint16_t)num(argv[optind + 1], 65535));
  if (opt.file) loadfile(opt.file);
  signal(SIGPIPE, SIG_IGN);

  if (!(ctx = SSL_CTX_new(TLS_client_method()))) { errno = 0; die("SSL_CTX_new"); }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (opt.tls12) SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  /* every handshake a full one: nothing kept to resume */
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);

  struct sess *ss = calloc(opt.sessions, sizeof *ss);
  struct pollfd *pf = calloc(opt.sessions, sizeof *pf);
  if (!ss || !pf) die("out of memory");
  for (unsigned i = 0; i < opt.sessions; ++i) ss[i].fd = -1;
  double cpu0 = cpu_self(), t0 = now(), last = t0;
  for (;;) {
    int more = opt.seconds > 0 ? now() - t0 < opt.seconds : st.opened < opt.total;
    unsigned live = 0;
    for (unsigned i = 0; i < opt.sessions; ++i) {
      struct sess *s = &ss[i];
      if (s->phase == P_FREE && more) {
        if (st.protoerr) die("giving up after a protocol error");
        sess_open(s);
        more = opt.seconds > 0 || st.opened < opt.total;
      }
      pf[i].fd = s->fd; pf[i].events = 0; pf[i].revents = 0;
      if (s->phase == P_FREE) { pf[i].fd = -1; continue; }
      live++;
      pf[i].events = (short)s->events;
    }
    if (!live) break;
    int r = poll(pf, opt.sessions, 1000);
    if (r < 0) { if (errno == EINTR) continue; die("poll"); }
    double tn = now();
    if (r == 0) {
      if (tn - last > STALL_S) { errno = 0; die("stalled: no progress for 60 s"); }
      continue;
    }
    last = tn;
    for (unsigned i = 0; i < opt.sessions; ++i)
      if (pf[i].revents && ss[i].phase != P_FREE) drive(&ss[i]);
  }
  double wall = now() - t0;
  report(wall, cpu_self() - cpu0);
  SSL_CTX_free(ctx);
  return st.protoerr ? 111 : 0;
}
