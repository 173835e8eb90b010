/* qmail-local: deliver or forward one message as dot-qmail(5) says.
 * qmail-local [-nN] -- user home local dash ext domain sender defaultdelivery
 * Texts on fd 2 (qmail-lspawn passes them to qmail-send); exit 0, 100
 * permanent, 111 temporary. */
#include "auto.h"
#include "dotqmail.h"
#include "io.h"
#include "maildir.h"
#include "mbox.h"
#include "qq.h"
#include "rd.h"
#include "sb.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *progname = "qmail-local";

#define DOTQMAIL_MAX (1024 * 1024)     /* bytes of a .qmail file */

struct local {
  int doit;                     /* 0 with -n: only describe */
  const char *user, *home, *local, *dash, *ext, *host, *sender, *defdel;
  sb dtline, rpline, ufline, safeext, newsender, qmail;
  sb recips;                    /* forward addresses, each followed by \0 */
  uint64_t nfile, nforward, nprogram, nrecips;
  uint64_t qp;                  /* qmail-queue pid of the forward */
  int forwardonly, stop;
};

static noreturn void fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static noreturn void fail(int code, const char *fmt, ...)
{
  char buf[2048];
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if ((size_t)n > sizeof buf - 2) n = (int)sizeof buf - 2;
  buf[n++] = '\n';
  io_writeall(2, buf, (size_t)n);
  _exit(code);
}

static noreturn void nomem(void) { fail(111, "Out of memory. (#4.3.0)"); }
static noreturn void usage(void)
{
  fail(100, "qmail-local: usage: qmail-local [ -nN ] user homedir local dash ext domain sender aliasempty");
}

static void say(const char *what, const char *s, size_t n)
{
  sb b = SB_INIT;
  if (!sb_cats(&b, what) || !sb_catb(&b, s, n) || !sb_catc(&b, '\n')) nomem();
  io_writeall(1, b.s, b.len);
  sb_free(&b);
}

static void setenv_or_die(const char *name, const char *value)
{
  if (setenv(name, value, 1) < 0) nomem();
}

static void rewind0(void)
{
  if (lseek(0, 0, SEEK_SET) < 0) fail(111, "Unable to rewind message. (#4.3.0)");
}

static void checkhome(const struct local *l)
{
  struct stat st;
  if (stat(".", &st) < 0) fail(111, "Unable to stat home directory: %s. (#4.3.0)", strerror(errno));
  if (st.st_mode & AUTO_PATRN) fail(111, "Uh-oh: home directory is writable. (#4.7.0)");
  if (st.st_mode & S_ISVTX) {
    if (l->doit) fail(111, "Home directory is sticky: user is editing his .qmail file. (#4.2.1)");
    io_writeall(2, "Warning: home directory is sticky.\n", 35);
  }
}

static int absent(int e) { return e == ENOENT || e == ENOTDIR || e == ENAMETOOLONG || e == ELOOP; }

struct found { int fd, cutable; };

/* dq_search callback: open a candidate .qmail file */
static int try_qmail(void *ctx, const char *name)
{
  struct found *f = ctx;
  struct stat st;
  int fd = open(name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (absent(errno)) return 0;
    fail(111, "Unable to open %s: %s. (#4.3.0)", name, strerror(errno));
  }
  if (fstat(fd, &st) < 0) fail(111, "Unable to open %s: %s. (#4.3.0)", name, strerror(errno));
  if (!S_ISREG(st.st_mode)) { close(fd); return 0; }
  if (st.st_mode & AUTO_PATRN) fail(111, "Uh-oh: .qmail file is writable. (#4.7.0)");
  f->fd = fd;
  f->cutable = (st.st_mode & 0100) != 0;
  return 1;
}

/* dq_newsender callback */
static int exists(void *ctx, const char *name)
{
  struct stat st;
  (void)ctx;
  if (stat(name, &st) == 0) return 1;
  if (absent(errno) || errno == EACCES) return 0;
  fail(111, "Unable to open %s: %s. (#4.3.0)", name, strerror(errno));
}

/* qmail-local's own header lines and the environment of qmail-command(8) */
static void setup(struct local *l)
{
  sb b = SB_INIT;
  setenv_or_die("HOST", l->host);
  setenv_or_die("HOME", l->home);
  setenv_or_die("USER", l->user);
  setenv_or_die("LOCAL", l->local);
  if (!sb_copys(&b, l->local) || !sb_catc(&b, '@') || !sb_cats(&b, l->host)) nomem();
  setenv_or_die("RECIPIENT", b.s);
  if (!dq_dtline(&l->dtline, l->local, l->host)) nomem();
  setenv_or_die("DTLINE", l->dtline.s);
  setenv_or_die("SENDER", l->sender);
  if (!dq_rpline(&l->rpline, l->sender)) nomem();
  setenv_or_die("RPLINE", l->rpline.s);
  if (!dq_ufline(&l->ufline, l->sender, time(NULL))) nomem();
  setenv_or_die("UFLINE", l->ufline.s);
  setenv_or_die("EXT", l->ext);
  setenv_or_die("EXT2", dq_extn(l->ext, 2));
  setenv_or_die("EXT3", dq_extn(l->ext, 3));
  setenv_or_die("EXT4", dq_extn(l->ext, 4));
  if (!dq_hostn(&b, l->host, 2)) nomem();
  setenv_or_die("HOST2", b.s);
  if (!dq_hostn(&b, l->host, 3)) nomem();
  setenv_or_die("HOST3", b.s);
  if (!dq_hostn(&b, l->host, 4)) nomem();
  setenv_or_die("HOST4", b.s);
  unsetenv("DEFAULT");
  if (!dq_safeext(&l->safeext, l->ext)) nomem();
  sb_free(&b);
}

/* Bounce if the header already has our Delivered-To line. */
static void loopcheck(const struct local *l)
{
  struct rd r;
  sb line = SB_INIT;
  rewind0();
  rd_init(&r, 0, 0);
  for (;;) {
    int k = rd_line(&r, &line, '\n', l->dtline.len);
    if (k == RD_TOOLONG) { k = rd_skip(&r, '\n'); if (k == RD_OK) continue; }
    if (k == RD_ERR) fail(111, "Unable to read message: %s. (#4.3.0)", strerror(errno));
    if (k != RD_OK || !line.len) break;       /* end of header (or of a headers-only message) */
    if (dq_is_loop(line.s, line.len, &l->dtline))
      fail(100, "This message is looping: it already has my Delivered-To line. (#5.4.6)");
  }
  sb_free(&line);
}

/* the .qmail text to follow; fills l->qmail */
static void instructions(struct local *l)
{
  struct found f = {-1, 0};
  size_t defpos;
  int r = dq_search(l->dash, l->ext, try_qmail, &f, &defpos);
  if (r < 0) nomem();
  if (!r && *l->dash) fail(100, "Sorry, no mailbox here by that name. (#5.1.1)");
  if (r && defpos != SIZE_MAX) setenv_or_die("DEFAULT", l->ext + defpos);
  if (dq_newsender(&l->newsender, l->sender, l->local, l->host, l->dash, l->safeext.s, exists, NULL) < 0) nomem();
  setenv_or_die("NEWSENDER", l->newsender.s);
  l->qmail.len = 0;
  if (r) {
    char buf[8192];
    for (;;) {
      ssize_t n = read(f.fd, buf, sizeof buf);
      if (n < 0) { if (errno == EINTR) continue; fail(111, "Unable to read .qmail file: %s. (#4.3.0)", strerror(errno)); }
      if (n == 0) break;
      if ((size_t)n > DOTQMAIL_MAX - l->qmail.len) fail(111, "Uh-oh: .qmail file is too long. (#4.2.1)");
      if (!sb_catb(&l->qmail, buf, (size_t)n)) nomem();
    }
    close(f.fd);
    l->forwardonly = f.cutable;
  }
  if (!l->qmail.len) {                          /* missing or empty: the default delivery */
    if (!sb_copys(&l->qmail, l->defdel)) nomem();
    l->forwardonly = 0;
  }
}

static void deliver_maildir(const struct local *l, const char *dir)
{
  sb pre = SB_INIT;
  int r;
  if (!sb_catsb(&pre, &l->rpline) || !sb_catsb(&pre, &l->dtline)) nomem();
  rewind0();
  r = maildir_deliver(dir, pre.s, pre.len, 0, NULL);
  sb_free(&pre);
  switch (r) {
  case MD_OK: return;
  case MD_ERR_DIR: fail(111, "Unable to chdir to maildir. (#4.2.1)");
  case MD_ERR_READ: fail(111, "Unable to read message. (#4.3.0)");
  case MD_ERR_NOMEM: nomem();
  default: fail(111, "Temporary error on maildir delivery. (#4.3.0)");
  }
}

static void deliver_mbox(const struct local *l, const char *fn)
{
  sb pre = SB_INIT;
  int r;
  if (!sb_catsb(&pre, &l->ufline) || !sb_catsb(&pre, &l->rpline) || !sb_catsb(&pre, &l->dtline)) nomem();
  rewind0();
  r = mbox_deliver(fn, pre.s, pre.len, 0);
  sb_free(&pre);
  switch (r) {
  case MBOX_OK: return;
  case MBOX_ERR_OPEN: fail(111, "Unable to open %s: %s. (#4.2.1)", fn, strerror(errno));
  case MBOX_ERR_LOCKTIME: fail(111, "File has been locked for 30 seconds straight. (#4.3.0)");
  case MBOX_ERR_READ: fail(111, "Unable to read message: %s. (#4.3.0)", strerror(errno));
  case MBOX_ERR_NOMEM: nomem();
  default: fail(111, "Unable to write %s: %s. (#4.3.0)", fn, strerror(errno));
  }
}

/* |command: sh -c command in the home directory, message on stdin */
static void deliver_program(struct local *l, const char *cmd)
{
  pid_t pid;
  int st;
  rewind0();
  pid = fork();
  if (pid < 0) fail(111, "Unable to fork: %s. (#4.3.0)", strerror(errno));
  if (pid == 0) {
    char *argv[4];
    argv[0] = "/bin/sh"; argv[1] = "-c"; argv[2] = (char *)cmd; argv[3] = 0;
    signal(SIGPIPE, SIG_DFL);
    execv(argv[0], argv);
    fail(111, "Unable to run /bin/sh: %s. (#4.3.0)", strerror(errno));
  }
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) fail(111, "Unable to wait for child: %s. (#4.3.0)", strerror(errno));
  if (!WIFEXITED(st)) fail(111, "Aack, child crashed. (#4.3.0)");
  switch (dq_prog_exit(WEXITSTATUS(st))) {
  case DQ_PROG_OK: return;
  case DQ_PROG_STOP: l->stop = 1; return;
  case DQ_PROG_HARD: _exit(100);       /* the program said why */
  default: _exit(111);
  }
}

/* All forwards in one message: Delivered-To line, then the message. */
static void forward(struct local *l)
{
  struct qq q;
  char buf[8192];
  const char *t;
  int code;
  rewind0();
  if (qq_open(&q) < 0) fail(111, "Unable to fork: %s. (#4.3.0)", strerror(errno));
  l->qp = (uint64_t)q.pid;
  qq_put(&q, l->dtline.s, l->dtline.len);
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      qq_abort(&q);
      fail(111, "Unable to read message: %s. (#4.3.0)", strerror(e));
    }
    if (n == 0) break;
    qq_put(&q, buf, (size_t)n);
  }
  qq_from(&q, l->newsender.s);
  for (size_t i = 0; i < l->recips.len; i += strlen(l->recips.s + i) + 1)
    qq_to(&q, l->recips.s + i);
  code = qq_close(&q);
  if (code == QQ_OK) return;
  t = qq_text(code);
  fail(t[0] == 'D' ? 100 : 111, "Unable to forward message: %s.", t + 1);
}

/* Follow the instructions line by line (dot-qmail(5)). */
static void follow(struct local *l)
{
  struct dq_line d;
  sb arg = SB_INIT;
  size_t pos = 0;
  int first = 1;
  while (!l->stop && dq_next(l->qmail.s, l->qmail.len, &pos, &d)) {
    if (!sb_copyb(&arg, d.s, d.len)) nomem();
    switch (d.kind) {
    case DQ_BLANK:
      if (first) fail(111, "Uh-oh: first line of .qmail file is blank. (#4.2.1)");
      break;
    case DQ_COMMENT:
      break;
    case DQ_MAILDIR: case DQ_MBOX:
      ++l->nfile;
      if (l->forwardonly) fail(111, "Uh-oh: .qmail has file delivery but has x bit set. (#4.7.0)");
      if (!l->doit) say(d.kind == DQ_MAILDIR ? "maildir " : "mbox ", d.s, d.len);
      else if (d.kind == DQ_MAILDIR) deliver_maildir(l, arg.s);
      else deliver_mbox(l, arg.s);
      break;
    case DQ_PROGRAM:
      ++l->nprogram;
      if (l->forwardonly) fail(111, "Uh-oh: .qmail has prog delivery but has x bit set. (#4.7.0)");
      if (l->doit) deliver_program(l, arg.s);
      else say("program ", d.s, d.len);
      break;
    case DQ_PLUS:
      if (d.len == 4 && !memcmp(d.s, "list", 4)) l->forwardonly = 1;
      break;
    case DQ_FORWARD:
      ++l->nforward;
      if (!l->doit) say("forward ", d.s, d.len);
      else if (!sb_catb(&l->recips, d.s, d.len) || !sb_cat0(&l->recips)) nomem();
      else ++l->nrecips;
      break;
    }
    first = 0;
  }
  sb_free(&arg);
  if (l->nrecips && l->doit) forward(l);
}

static void report(const struct local *l)
{
  sb b = SB_INIT;
  if (!sb_fmt(&b, "did %llu+%llu+%llu\n", (unsigned long long)l->nfile, (unsigned long long)l->nforward,
              (unsigned long long)l->nprogram)) nomem();
  if (l->qp && !sb_fmt(&b, "qp %llu\n", (unsigned long long)l->qp)) nomem();
  io_writeall(1, b.s, b.len);
  sb_free(&b);
}

static void args(struct local *l, int argc, char **argv)
{
  int opt;
  l->doit = 1;
  while ((opt = getopt(argc, argv, "+nN")) != -1)
    switch (opt) {
    case 'n': l->doit = 0; break;
    case 'N': l->doit = 1; break;
    default: usage();
    }
  if (argc - optind != 8) usage();
  argv += optind;
  l->user = argv[0]; l->home = argv[1]; l->local = argv[2]; l->dash = argv[3];
  l->ext = argv[4]; l->host = argv[5]; l->sender = argv[6]; l->defdel = argv[7];
  if (l->home[0] != '/') usage();
}

int main(int argc, char **argv)
{
  static struct local l;
  umask(077);
  signal(SIGPIPE, SIG_IGN);
  args(&l, argc, argv);
  if (l.doit && (getuid() == 0 || geteuid() == 0)) fail(111, "Not allowed to perform deliveries as root. (#4.3.0)");
  if (chdir(l.home) < 0) fail(111, "Unable to switch to %s: %s. (#4.3.0)", l.home, strerror(errno));
  checkhome(&l);
  setup(&l);
  if (l.doit) loopcheck(&l);
  instructions(&l);
  follow(&l);
  report(&l);
  return 0;
}
