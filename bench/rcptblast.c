/* bench/rcptblast.c: SMTP RCPT load client for bench/rcpt-verify and
 * bench/postfix-rcpt-verify (built by those scripts with cc -O2; not one
 * of the Makefile's programs).
 *
 * C parallel sessions, one poll() loop. Each session: greeting, EHLO,
 * MAIL FROM, then RCPT TO commands pipelined with at most W commands
 * outstanding; after K RCPTs of one transaction RSET and a new MAIL
 * (both pipelined too), so no recipient limit is reached. No DATA.
 * Stops after a total number of RCPTs (-n) or a duration (-t); counts
 * the RCPT replies by class (2xx, 4xx, 5xx, anything else).
 *
 * usage: rcptblast [-c sessions] [-n rcpts] [-t seconds] [-w window]
 *          [-k rcpts-per-mail] [-s rcpts-per-session] [-m known|unknown]
 *          [-u users] [-d domain] [-a file] [-f sender] [-H helo]
 *          [-r seed] [-l] host port
 *   -m/-u   known: user<N>@domain, N random in 1..users (bench/lib.sh's
 *           directory); unknown: nouser<N>@domain, N random
 *   -a      addresses from a file, one per line, picked at random
 *   -s      QUIT and reconnect after this many RCPTs (0: never)
 *   -l      linger: after the last RCPT reply print the report, then
 *           hold the sessions open until SIGUSR1 or SIGTERM (so the
 *           caller can read the servers' CPU), then QUIT
 * Output: one line of key=value pairs on stdout. Exit 0, or 111 after a
 * connect failure, a protocol error or a stall (60 s without progress).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IN_MAX 8192     /* one reply line must fit; RFC 5321 says 512 */
#define ADDR_MAX 512
#define WIN_MAX 1000
#define SESS_MAX 1000
#define FILE_MAX (64u << 20)
#define STALL_S 60

enum { K_GREET, K_EHLO, K_MAIL, K_RSET, K_RCPT, K_QUIT };
enum { S_FREE, S_CONN, S_OPEN, S_QUIT };

struct sess {
  int fd, state, pipelining, needrset, needmail, ehlo_done;
  char in[IN_MAX];
  size_t inlen;
  char *out;
  size_t outoff, outlen;
  unsigned char pend[WIN_MAX + 4];   /* ring of outstanding command kinds */
  unsigned ph, pn;
  uint64_t inmail, sent;
};

static struct {
  unsigned sessions, window;
  uint64_t total, permail, persess, users;
  double seconds;
  int known, linger;
  const char *domain, *sender, *helo, *file;
  struct sockaddr_in sa;
} opt = {10, 20, 10000, 50, 0, 1000, 0, 0, 0, "example.com", "bench@example.org", "client.example", 0, {0}};

static struct {
  uint64_t issued, ok, temp, perm, other, cmderr, conns, protoerr;
} st;

static char **addrs;
static size_t naddrs;
static uint64_t rng = 88172645463325252ull;
static size_t outcap;
static volatile sig_atomic_t release;

static void die(const char *m)
{
  fprintf(stderr, "rcptblast: %s%s%s\n", m, errno ? ": " : "", errno ? strerror(errno) : "");
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
  if (!*s || *e || errno || v > max) { errno = 0; fprintf(stderr, "rcptblast: bad number %s\n", s); exit(100); }
  return v;
}

static void loadfile(const char *path)
{
  FILE *f = fopen(path, "r");
  if (!f) die("cannot open the address file");
  char line[ADDR_MAX + 2];
  size_t cap = 0, bytes = 0;
  while (fgets(line, sizeof line, f)) {
    size_t l = strlen(line);
    if (l && line[l - 1] == '\n') line[--l] = 0;
    else if (!feof(f)) { errno = 0; die("address file: line too long"); }
    if (!l) continue;
    if ((bytes += l + 1) > FILE_MAX) { errno = 0; die("address file too big"); }
    if (naddrs == cap) {
      cap = cap ? cap * 2 : 1024;
      char **n = realloc(addrs, cap * sizeof *n);
      if (!n) die("out of memory");
      addrs = n;
    }
    if (!(addrs[naddrs++] = strdup(line))) die("out of memory");
  }
  if (ferror(f)) die("cannot read the address file");
  fclose(f);
  if (!naddrs) { errno = 0; die("address file is empty"); }
}

/* append a command; the buffer is sized for a full window of RCPTs */
static void put(struct sess *s, int kind, const char *fmt, const char *arg)
{
  if (s->outoff) {   /* what is written is gone: the rest moves to the front */
    memmove(s->out, s->out + s->outoff, s->outlen - s->outoff);
    s->outlen -= s->outoff; s->outoff = 0;
  }
  int n = snprintf(s->out + s->outlen, outcap - s->outlen, fmt, arg);
  if (n < 0 || (size_t)n >= outcap - s->outlen) { errno = 0; die("output buffer overflow"); }
  s->outlen += (size_t)n;
  s->pend[(s->ph + s->pn++) % (WIN_MAX + 4)] = (unsigned char)kind;
}

static int stopping(double t0)
{
  if (opt.seconds > 0) return now() - t0 >= opt.seconds;
  return st.issued >= opt.total;
}

/* queue commands up to the window */
static void fill(struct sess *s, double t0)
{
  char a[ADDR_MAX + 16];
  if (s->state != S_OPEN || !s->ehlo_done) return;
  unsigned win = s->pipelining ? opt.window : 1;
  while (s->pn < win) {
    if (opt.persess && s->sent >= opt.persess) break;
    if (stopping(t0)) break;
    if (s->needmail) {
      if (s->needrset) put(s, K_RSET, "RSET\r\n%s", "");
      put(s, K_MAIL, "MAIL FROM:<%s>\r\n", opt.sender);
      s->needmail = s->needrset = 0; s->inmail = 0;
      continue;
    }
    if (naddrs) snprintf(a, sizeof a, "%s", addrs[rnd() % naddrs]);
    else if (opt.known) snprintf(a, sizeof a, "user%llu@%s", (unsigned long long)(rnd() % opt.users + 1), opt.domain);
    else snprintf(a, sizeof a, "nouser%llu@%s", (unsigned long long)(rnd() % 100000000 + 1), opt.domain);
    put(s, K_RCPT, "RCPT TO:<%s>\r\n", a);
    st.issued++; s->sent++;
    if (++s->inmail >= opt.permail) s->needmail = s->needrset = 1;
  }
}

static void sess_close(struct sess *s)
{
  if (s->fd >= 0) close(s->fd);
  s->fd = -1; s->state = S_FREE; s->inlen = s->outoff = s->outlen = 0; s->ph = s->pn = 0;
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
  s->state = S_CONN; s->pipelining = 0; s->ehlo_done = 0;
  s->needmail = 1; s->needrset = 0; s->inmail = s->sent = 0;
  st.conns++;
  s->pend[s->ph] = K_GREET; s->pn = 1;
}

/* one complete reply (code, and whether the EHLO text named PIPELINING) */
static void reply(struct sess *s, int code, double t0)
{
  if (!s->pn) { st.protoerr++; fprintf(stderr, "rcptblast: reply without a command\n"); sess_close(s); return; }
  int kind = s->pend[s->ph];
  s->ph = (s->ph + 1) % (WIN_MAX + 4); s->pn--;
  switch (kind) {
    case K_GREET:
      if (code / 100 != 2) { st.protoerr++; fprintf(stderr, "rcptblast: greeting %d\n", code); sess_close(s); return; }
      put(s, K_EHLO, "EHLO %s\r\n", opt.helo);
      break;
    case K_EHLO:
      if (code / 100 != 2) { st.protoerr++; fprintf(stderr, "rcptblast: EHLO %d\n", code); sess_close(s); return; }
      s->ehlo_done = 1;
      break;
    case K_MAIL: case K_RSET:
      if (code / 100 != 2) st.cmderr++;
      break;
    case K_RCPT:
      if (code / 100 == 2) st.ok++;
      else if (code / 100 == 4) st.temp++;
      else if (code / 100 == 5) st.perm++;
      else st.other++;
      break;
    case K_QUIT:
      sess_close(s);
      return;
  }
  fill(s, t0);
}

/* parse the input buffer into replies; multi-line replies count once */
static void input(struct sess *s, double t0)
{
  size_t off = 0;
  for (;;) {
    char *nl = memchr(s->in + off, '\n', s->inlen - off);
    if (!nl) break;
    char *l = s->in + off;
    size_t len = (size_t)(nl - l);
    off += len + 1;
    if (len < 3 || l[0] < '0' || l[0] > '9' || l[1] < '0' || l[1] > '9' || l[2] < '0' || l[2] > '9') {
      st.protoerr++; fprintf(stderr, "rcptblast: bad reply line\n"); sess_close(s); return;
    }
    int code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
    if (s->pn && s->pend[s->ph] == K_EHLO && len >= 14 && !strncasecmp(l + 4, "PIPELINING", 10)) s->pipelining = 1;
    if (len > 3 && l[3] == '-') continue;
    reply(s, code, t0);
    if (s->state == S_FREE) return;
  }
  if (off) { memmove(s->in, s->in + off, s->inlen - off); s->inlen -= off; }
  if (s->inlen == sizeof s->in) { st.protoerr++; fprintf(stderr, "rcptblast: reply line too long\n"); sess_close(s); }
}

static void report(double wall)
{
  struct rusage ru;
  uint64_t n = st.ok + st.temp + st.perm + st.other;
  getrusage(RUSAGE_SELF, &ru);
  printf("rcpts=%llu ok=%llu temp=%llu perm=%llu other=%llu cmderr=%llu connections=%llu protoerr=%llu "
         "wall=%.6f rate=%.1f cpu=%.6f\n",
         (unsigned long long)n, (unsigned long long)st.ok, (unsigned long long)st.temp,
         (unsigned long long)st.perm, (unsigned long long)st.other, (unsigned long long)st.cmderr,
         (unsigned long long)st.conns, (unsigned long long)st.protoerr, wall, wall > 0 ? (double)n / wall : 0.0,
         (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
  fflush(stdout);
}

static void onsig(int sig) { (void)sig; release = 1; }

int main(int argc, char **argv)
{
  int c;
  while ((c = getopt(argc, argv, "c:n:t:w:k:s:m:u:d:a:f:H:r:l")) != -1) {
    switch (c) {
      case 'c': opt.sessions = (unsigned)num(optarg, SESS_MAX); break;
      case 'n': opt.total = num(optarg, UINT64_MAX / 2); break;
      case 't': opt.seconds = (double)num(optarg, 86400); break;
      case 'w': opt.window = (unsigned)num(optarg, WIN_MAX); break;
      case 'k': opt.permail = num(optarg, 1000000); break;
      case 's': opt.persess = num(optarg, UINT64_MAX / 2); break;
      case 'm':
        if (!strcmp(optarg, "known")) opt.known = 1;
        else if (!strcmp(optarg, "unknown")) opt.known = 0;
        else { fprintf(stderr, "rcptblast: -m known|unknown\n"); return 100; }
        break;
      case 'u': opt.users = num(optarg, UINT64_MAX / 2); break;
      case 'd': opt.domain = optarg; break;
      case 'a': opt.file = optarg; break;
      case 'f': opt.sender = optarg; break;
      case 'H': opt.helo = optarg; break;
      case 'r': rng = num(optarg, UINT64_MAX) | 1; break;
      case 'l': opt.linger = 1; break;
      default:
        fprintf(stderr, "usage: rcptblast [-c sessions] [-n rcpts] [-t seconds] [-w window] [-k rcpts-per-mail] "
                        "[-s rcpts-per-session] [-m known|unknown] [-u users] [-d domain] [-a file] [-f sender] "
                        "[-H helo] [-r seed] [-l] host port\n");
        return 100;
    }
  }
  if (argc - optind != 2 || !opt.sessions || !opt.window || !opt.permail || !opt.users ||
      strlen(opt.domain) > 200 || strlen(opt.sender) > ADDR_MAX || strlen(opt.helo) > 200) {
    fprintf(stderr, "rcptblast: bad arguments (see the usage in bench/rcptblast.c)\n");
    return 100;
  }
  opt.sa.sin_family = AF_INET;
  if (inet_pton(AF_INET, argv[optind], &opt.sa.sin_addr) != 1) { fprintf(stderr, "rcptblast: host must be an IPv4 address\n"); return 100; }
  opt.sa.sin_port = htons((uint16_t)num(argv[optind + 1], 65535));
  if (opt.file) loadfile(opt.file);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGUSR1, onsig);
  signal(SIGTERM, onsig);

  outcap = (size_t)(opt.window + 4) * (ADDR_MAX + 32);
  struct sess *ss = calloc(opt.sessions, sizeof *ss);
  struct pollfd *pf = calloc(opt.sessions, sizeof *pf);
  if (!ss || !pf) die("out of memory");
  for (unsigned i = 0; i < opt.sessions; ++i) {
    ss[i].fd = -1;
    if (!(ss[i].out = malloc(outcap))) die("out of memory");
  }
  double t0 = now(), t1 = 0, last = t0;
  for (unsigned i = 0; i < opt.sessions; ++i) sess_open(&ss[i]);
  int quitting = 0;
  for (;;) {
    unsigned live = 0, busy = 0;
    for (unsigned i = 0; i < opt.sessions; ++i) {
      struct sess *s = &ss[i];
      pf[i].fd = s->fd; pf[i].events = 0; pf[i].revents = 0;
      if (s->state == S_FREE) continue;
      live++;
      if (s->pn) busy++;
      pf[i].events = POLLIN;
      if (s->state == S_CONN || s->outlen > s->outoff) pf[i].events |= POLLOUT;
    }
    if (!t1 && !busy && stopping(t0)) {
      t1 = now();
      if (opt.linger) {
        report(t1 - t0);
        /* a short sleep, not pause(): a signal just before it is not lost */
        while (!release) nanosleep(&(struct timespec){0, 10000000}, 0);
      }
    }
    if (t1 && !quitting) {
      quitting = 1;
      last = now();
      for (unsigned i = 0; i < opt.sessions; ++i)
        if (ss[i].state == S_OPEN) { put(&ss[i], K_QUIT, "QUIT\r\n%s", ""); ss[i].state = S_QUIT; }
      continue;
    }
    if (quitting && !live) break;
    if (!quitting) {
      /* sessions that used up -s, or died, are replaced while work is left */
      for (unsigned i = 0; i < opt.sessions; ++i) {
        struct sess *s = &ss[i];
        if (s->state == S_OPEN && !s->pn && opt.persess && s->sent >= opt.persess && !stopping(t0)) {
          put(s, K_QUIT, "QUIT\r\n%s", ""); s->state = S_QUIT;
        } else if (s->state == S_FREE && !stopping(t0)) {
          if (st.protoerr) die("giving up after a protocol error");
          sess_open(s);
        }
      }
    }
    int r = poll(pf, opt.sessions, 1000);
    if (r < 0) { if (errno == EINTR) continue; die("poll"); }
    double tn = now();
    if (r == 0) {
      if (tn - last > (quitting ? 5 : STALL_S)) {
        if (quitting) break;
        errno = 0; die("stalled: no reply for 60 s");
      }
      continue;
    }
    last = tn;
    for (unsigned i = 0; i < opt.sessions; ++i) {
      struct sess *s = &ss[i];
      if (!pf[i].revents || s->state == S_FREE) continue;
      if (s->state == S_CONN && (pf[i].revents & (POLLOUT | POLLERR | POLLHUP))) {
        int err = 0;
        socklen_t el = sizeof err;
        getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err) { errno = err; die("connect"); }
        s->state = S_OPEN;
      }
      if (pf[i].revents & POLLIN || pf[i].revents & (POLLERR | POLLHUP)) {
        ssize_t n = read(s->fd, s->in + s->inlen, sizeof s->in - s->inlen);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) { errno = 0; }
        else if (n <= 0) {
          if (s->state != S_QUIT) { st.protoerr++; fprintf(stderr, "rcptblast: server closed a session\n"); }
          errno = 0; sess_close(s); continue;
        } else {
          s->inlen += (size_t)n;
          input(s, t0);
          if (s->state == S_FREE) continue;
        }
      }
      if (s->outlen > s->outoff) {
        ssize_t n = write(s->fd, s->out + s->outoff, s->outlen - s->outoff);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
          st.protoerr++; fprintf(stderr, "rcptblast: write: %s\n", strerror(errno)); errno = 0; sess_close(s); continue;
        }
        errno = 0;
        if (n > 0) s->outoff += (size_t)n;
      }
    }
  }
  if (!opt.linger) report((t1 ? t1 : now()) - t0);
  return st.protoerr ? 111 : 0;
}
