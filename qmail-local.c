/* qmail-local: deliver or forward one message as dot-qmail(5) says.
 * qmail-local [-nN] -- user home local dash ext domain sender defaultdelivery
 * Texts on fd 2 (qmail-lspawn passes them to qmail-send); exit 0, 100
 * permanent, 111 temporary. */
#include "auto.h"
#include "ctl.h"
#include "dotqmail.h"
#include "io.h"
#include "maildir.h"
#include "mailmagic.h"
#include "mbox.h"
#include "qmail-ldap.h"
#include "qq.h"
#include "quota.h"
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
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *progname = "qmail-local";

#define DOTQMAIL_MAX (1024 * 1024)     /* bytes of a .qmail file */
#define HEADER_MAX (256 * 1024)        /* header bytes searched for Precedence: */

/* A delivery for a directory entry: qmail-lspawn passes the entry's
 * instructions in the environment (QMAILDOTMODE and friends). */
enum { DOT_PLAIN = 0, DOT_LDAPONLY, DOT_LDAPWITHPROG, DOT_DOTONLY, DOT_BOTH, DOT_NONE };
struct ldapinfo {
  int dot;                                  /* DOT_PLAIN: not from the directory */
  int nolocal, noforward, noprogram, reply, forwardonly;
  const char *forwards, *programs, *replytext, *quotadef;
  struct quota q;
  int hasquota;
};

struct local {
  int doit;                     /* 0 with -n: only describe */
  const char *user, *home, *local, *dash, *ext, *host, *sender, *defdel;
  sb dtline, rpline, ufline, safeext, newsender, qmail;
  sb recips;                    /* forward addresses, each followed by \0 */
  uint64_t nfile, nforward, nprogram, nrecips;
  uint64_t qp;                  /* qmail-queue pid of the forward */
  int forwardonly, stop;
  size_t dotstart;              /* where .qmail lines start in qmail (dot-mode both) */
  int dotcutable;               /* their file has the x bit */
  struct ldapinfo ld;
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

/* Read the matching .qmail file into *out; 1 found, 0 none. */
static int read_dotqmail(struct local *l, sb *out, int *cutable)
{
  struct found f = {-1, 0};
  size_t defpos;
  int r = dq_search(l->dash, l->ext, try_qmail, &f, &defpos);
  if (r < 0) nomem();
  /* a directory entry's own instructions stand even without a .qmail-ext */
  if (!r && *l->dash && (l->ld.dot == DOT_PLAIN || l->ld.dot == DOT_DOTONLY))
    fail(100, "Sorry, no mailbox here by that name. (#5.1.1)");
  if (r && defpos != SIZE_MAX) setenv_or_die("DEFAULT", l->ext + defpos);
  out->len = 0;
  *cutable = 0;
  if (!r) return 0;
  char buf[8192];
  for (;;) {
    ssize_t n = read(f.fd, buf, sizeof buf);
    if (n < 0) { if (errno == EINTR) continue; fail(111, "Unable to read .qmail file: %s. (#4.3.0)", strerror(errno)); }
    if (n == 0) break;
    if ((size_t)n > DOTQMAIL_MAX - out->len) fail(111, "Uh-oh: .qmail file is too long. (#4.2.1)");
    if (!sb_catb(out, buf, (size_t)n)) nomem();
  }
  close(f.fd);
  *cutable = f.cutable;
  return 1;
}

/* '\n'-separated values as dot-qmail lines with a leading mark */
static void add_lines(sb *q, char mark, const char *list)
{
  while (list && *list) {
    size_t n = strcspn(list, "\n");
    if (n && (!sb_catc(q, mark) || !sb_catb(q, list, n) || !sb_catc(q, '\n'))) nomem();
    list += n;
    if (*list) ++list;
  }
}

/* The entry's instructions (facts §4.4): programs, forwards, then the
 * mailbox; the reply is sent separately, before them. */
static void ldap_instructions(struct local *l)
{
  const struct ldapinfo *d = &l->ld;
  if (!d->forwardonly && !d->noprogram) add_lines(&l->qmail, '|', d->programs);
  if (!d->noforward) add_lines(&l->qmail, '&', d->forwards);
  if (!d->nolocal && !d->forwardonly) {
    if (!sb_cats(&l->qmail, l->defdel)) nomem();
    if (l->qmail.len && l->qmail.s[l->qmail.len - 1] != '\n' && !sb_catc(&l->qmail, '\n')) nomem();
  }
  /* nothing at all is a deliberate "accept and drop" (e.g. nolocal with
   * only a reply); a comment keeps it from meaning the default delivery */
  if (!l->qmail.len && !sb_cats(&l->qmail, "#\n")) nomem();
}

/* the instructions to follow; fills l->qmail */
static void instructions(struct local *l)
{
  sb dot = SB_INIT;
  int found = 0, cutable = 0;
  int usedot = l->ld.dot == DOT_PLAIN || l->ld.dot == DOT_DOTONLY || l->ld.dot == DOT_BOTH;
  if (usedot) found = read_dotqmail(l, &dot, &cutable);
  if (dq_newsender(&l->newsender, l->sender, l->local, l->host, l->dash, l->safeext.s, exists, NULL) < 0) nomem();
  setenv_or_die("NEWSENDER", l->newsender.s);
  l->qmail.len = 0;
  l->dotstart = SIZE_MAX;
  if (l->ld.dot != DOT_PLAIN && l->ld.dot != DOT_DOTONLY) {
    ldap_instructions(l);
    if (l->ld.dot == DOT_BOTH && found && dot.len) {
      l->dotstart = l->qmail.len;
      l->dotcutable = cutable;
      if (!sb_catsb(&l->qmail, &dot)) nomem();
    }
  } else if (found && dot.len) {
    if (!sb_catsb(&l->qmail, &dot)) nomem();
    l->forwardonly = cutable;
  } else {                                      /* missing or empty: the default delivery */
    if (!sb_copys(&l->qmail, l->defdel)) nomem();
    l->forwardonly = 0;
  }
  sb_free(&dot);
}

/* QMAILDOTMODE, QMAILMODE, ... from qmail-lspawn (ldapdeliver) */
static void ldap_env(struct local *l)
{
  struct ldapinfo *d = &l->ld;
  static const struct { const char *name; int dot; } dots[] = {
    {DOTMODE_LDAPONLY, DOT_LDAPONLY}, {DOTMODE_LDAPWITHPROG, DOT_LDAPWITHPROG}, {DOTMODE_DOTONLY, DOT_DOTONLY},
    {DOTMODE_BOTH, DOT_BOTH}, {DOTMODE_NONE, DOT_NONE}};
  const char *v = getenv(ENV_DOTMODE);
  memset(d, 0, sizeof *d);
  if (!v) return;
  for (size_t i = 0; i < sizeof dots / sizeof dots[0]; ++i)
    if (!strcasecmp(v, dots[i].name)) d->dot = dots[i].dot;
  if (d->dot == DOT_PLAIN) fail(100, "Illegal value in LDAP attribute qmailDotMode. (#5.3.5)");
  for (const char *m = getenv(ENV_MODE); m && *m;) {
    size_t n = strcspn(m, ",: \t");
#define IS(w) (n == sizeof w - 1 && !strncasecmp(m, w, n))
    if (IS(MODE_NOLOCAL) || IS(MODE_NOMBOX)) d->nolocal = 1;
    else if (IS(MODE_NOFORWARD)) d->noforward = 1;
    else if (IS(MODE_NOPROG)) d->noprogram = 1;
    else if (IS(MODE_REPLY)) d->reply = 1;
    else if (IS(MODE_FORWARDONLY)) d->forwardonly = 1;
#undef IS
    m += n;
    if (*m) ++m;
  }
  d->forwards = getenv(ENV_FORWARDS);
  d->programs = getenv(ENV_PROGRAM);
  d->replytext = getenv(ENV_REPLYTEXT);
  /* dotonly: the user's .qmail files alone decide; none: the mailbox alone */
  if (d->dot == DOT_DOTONLY || d->dot == DOT_NONE) {
    d->nolocal = d->noforward = d->noprogram = d->reply = d->forwardonly = 0;
    d->forwards = d->programs = d->replytext = NULL;
  }
  d->quotadef = getenv(ENV_QUOTA);
  if (d->quotadef && *d->quotadef) {
    if (quota_parse(d->quotadef, &d->q) < 0) fail(111, "Illegal quota definition %s. (#4.3.0)", d->quotadef);
    d->hasquota = d->q.size || d->q.count;
  }
}

/* A missing home is created (dirmaker or mkdir -p) for directory entries. */
static void makehome(const struct local *l)
{
  sb dm = SB_INIT, p = SB_INIT;
  if (ctl_line("dirmaker", &dm) < 0) fail(111, "Unable to read control/dirmaker. (#4.3.0)");
  if (dm.len) {
    pid_t pid = fork();
    int st;
    if (pid < 0) fail(111, "Unable to fork: %s. (#4.3.0)", strerror(errno));
    if (pid == 0) {
      char *argv[4] = {dm.s, (char *)l->home, (char *)l->defdel, 0};
      int null = open("/dev/null", O_RDWR);
      if (null >= 0) { dup2(null, 0); dup2(2, 1); }
      execv(dm.s, argv);
      fail(111, "Unable to run the dirmaker %s: %s. (#4.3.0)", dm.s, strerror(errno));
    }
    while (waitpid(pid, &st, 0) < 0)
      if (errno != EINTR) fail(111, "Unable to wait for the dirmaker: %s. (#4.3.0)", strerror(errno));
    /* exit 100 is the dirmaker's permanent "no" (facts §2a); anything
     * else may pass, so the mail waits */
    if (WIFEXITED(st) && WEXITSTATUS(st) == 100)
      fail(100, "The dirmaker refused to create %s. (#5.3.0)", l->home);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) fail(111, "The dirmaker failed to create %s. (#4.3.0)", l->home);
  } else {
    if (!sb_copys(&p, l->home)) nomem();
    for (size_t i = 1; i <= p.len; ++i) {
      if (i < p.len && p.s[i] != '/') continue;
      p.s[i] = 0;
      if (mkdir(p.s, 0700) < 0 && errno != EEXIST)
        fail(111, "Unable to create home directory %s: %s. (#4.2.1)", p.s, strerror(errno));
      if (i < p.len) p.s[i] = '/';
    }
  }
  sb_free(&dm); sb_free(&p);
}

static void gohome(const struct local *l)
{
  if (chdir(l->home) == 0) return;
  if (errno == ENOENT && l->ld.dot != DOT_PLAIN && l->doit) {
    makehome(l);
    if (chdir(l->home) == 0) return;
  }
  fail(111, "Unable to switch to %s: %s. (#4.3.0)", l->home, strerror(errno));
}

/* run bin/<prog> args... with the message on stdin; returns the exit code */
static int runhelper(const char *prog, char *const argv[])
{
  pid_t pid;
  int st;
  rewind0();
  pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    sb p = SB_INIT;
    if (!sb_cats(&p, AUTO_QMAIL "/bin/") || !sb_cats(&p, prog)) _exit(111);
    dup2(2, 1);                  /* its words go into the delivery report */
    execv(p.s, argv);
    _exit(111);
  }
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int is_maildir_line(const char *s)
{
  size_t n = strcspn(s, "\n");
  return n && (s[0] == '.' || s[0] == '/') && s[n - 1] == '/';
}

/* deliveryMode reply: qmail-reply answers (once per sender) before the
 * mail is stored. A failed reply never holds up the mail itself. */
static void autoreply(const struct local *l)
{
  sb md = SB_INIT;
  char *argv[3] = {"qmail-reply", 0, 0};
  if (!l->ld.reply || !l->ld.replytext || !*l->ld.replytext || !*l->sender || !strcmp(l->sender, "#@[]")) return;
  if (!l->doit) { say("reply ", l->sender, strlen(l->sender)); return; }
  if (is_maildir_line(l->defdel)) {
    if (!sb_catb(&md, l->defdel, strcspn(l->defdel, "\n"))) nomem();
    argv[1] = md.s;
    /* the reply database lives in the Maildir: on an entry's first
     * message it must exist before qmail-reply runs, or the reply fails
     * and the sender is answered again next time */
    if (l->ld.dot != DOT_PLAIN && maildir_ensure(md.s, 0700) < 0)
      fail(111, "Unable to create maildir %s: %s. (#4.2.1)", md.s, strerror(errno));
  }
  if (runhelper("qmail-reply", argv) != 0) io_writeall(2, "Warning: the automatic reply failed.\n", 38);
  sb_free(&md);
}

static void quotawarn(const char *box)
{
  char *argv[3] = {"qmail-quotawarn", (char *)box, 0};
  if (runhelper("qmail-quotawarn", argv) != 0) io_writeall(2, "Warning: the quota warning failed.\n", 36);
}

static uint64_t msgsize(size_t prefix)
{
  struct stat st;
  if (fstat(0, &st) < 0) fail(111, "Unable to stat message: %s. (#4.3.0)", strerror(errno));
  return (uint64_t)st.st_size + prefix;
}

static noreturn void overquota(const char *box)
{
  quotawarn(box);
  fail(100, "The users mailfolder is over the allowed quota (size). (#5.2.2)");
}

/* Maildir++ check before a maildir delivery (facts §4.8) */
/* A mailbox on a hung file server must not hold the delivery slot
 * forever: after a day the attempt is given up and retried later. */
#define FILE_DELIVERY_TIMEOUT 86400
static void file_timeout(int sig)
{
  static const char text[] = "Timeout on file delivery. (#4.3.0)\n";
  (void)sig;
  ssize_t w = write(2, text, sizeof text - 1);
  (void)w;
  _exit(111);
}

static void deliver_maildir(const struct local *l, const char *dir)
{
  sb pre = SB_INIT, final = SB_INIT;
  int r;
  if (!sb_catsb(&pre, &l->rpline) || !sb_catsb(&pre, &l->dtline)) nomem();
  /* a directory entry's Maildir is created on first delivery */
  if (l->ld.dot != DOT_PLAIN && maildir_ensure(dir, 0700) < 0)
    fail(111, "Unable to create maildir %s: %s. (#4.2.1)", dir, strerror(errno));
  struct usage u = {0, 0};
  if (l->ld.hasquota) {
    int over = quota_check(dir, l->ld.quotadef, &l->ld.q, msgsize(pre.len), &u);
    if (over < 0) fail(111, "Unable to read the quota of %s: %s. (#4.3.0)", dir, strerror(errno));
    if (over) overquota(dir);
  }
  rewind0();
  alarm(FILE_DELIVERY_TIMEOUT);
  r = maildir_deliver(dir, pre.s, pre.len, 0, &final);
  alarm(0);
  sb_free(&pre);
  switch (r) {
  case MD_OK: break;
  case MD_ERR_DIR: fail(111, "Unable to chdir to maildir. (#4.2.1)");
  case MD_ERR_READ: fail(111, "Unable to read message. (#4.3.0)");
  case MD_ERR_NOMEM: nomem();
  default: fail(111, "Temporary error on maildir delivery. (#4.3.0)");
  }
  if (l->ld.hasquota && quota_record(dir, l->ld.quotadef, &l->ld.q, final.s, u)) quotawarn(dir);
  sb_free(&final);
}

static void deliver_mbox(const struct local *l, const char *fn)
{
  sb pre = SB_INIT;
  int r;
  if (!sb_catsb(&pre, &l->ufline) || !sb_catsb(&pre, &l->rpline) || !sb_catsb(&pre, &l->dtline)) nomem();
  if (l->ld.hasquota && l->ld.q.size) {       /* an mbox has a size quota only */
    struct stat st;
    uint64_t have = stat(fn, &st) == 0 ? (uint64_t)st.st_size : 0, want;
    if (!add_u64(have, msgsize(pre.len), &want) || want > l->ld.q.size) overquota(fn);
  }
  rewind0();
  alarm(FILE_DELIVERY_TIMEOUT);
  r = mbox_deliver(fn, pre.s, pre.len, 0);
  alarm(0);
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

/* Does the header carry a Precedence: line? (bounded read from fd 0) */
static int has_precedence(void)
{
  sb h = SB_INIT, v = SB_INIT;
  char buf[8192];
  int found;
  rewind0();
  while (h.len < HEADER_MAX) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n < 0) { if (errno == EINTR) continue; fail(111, "Unable to read message: %s. (#4.3.0)", strerror(errno)); }
    if (n == 0) break;
    if (!sb_catb(&h, buf, (size_t)n)) nomem();
    if (memmem(h.s, h.len, "\n\n", 2)) break;
  }
  char *end = memmem(h.s ? h.s : "", h.len, "\n\n", 2);
  found = mm_header(h.s ? h.s : "", end ? (size_t)(end - h.s) + 1 : h.len, "Precedence", &v) > 0;
  sb_free(&h); sb_free(&v);
  return found;
}

/* All forwards in one message: Delivered-To line, then the message.
 * A directory entry forwarding to several addresses marks the copies
 * as bulk so vacation programs downstream stay quiet. */
static void forward(struct local *l)
{
  struct qq q;
  char buf[8192];
  const char *t;
  int code, bulk = l->ld.dot != DOT_PLAIN && l->nrecips > 1 && !has_precedence();
  rewind0();
  if (qq_open(&q) < 0) fail(111, "Unable to fork: %s. (#4.3.0)", strerror(errno));
  l->qp = (uint64_t)q.pid;
  qq_put(&q, l->dtline.s, l->dtline.len);
  if (bulk) qq_put(&q, "Precedence: bulk\n", 17);
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
  const struct ldapinfo *ld = &l->ld;
  while (!l->stop && dq_next(l->qmail.s, l->qmail.len, &pos, &d)) {
    if (!sb_copyb(&arg, d.s, d.len)) nomem();
    if (l->dotstart != SIZE_MAX && pos > l->dotstart) {       /* the .qmail part of dot-mode both */
      l->forwardonly |= l->dotcutable;
      l->dotstart = SIZE_MAX;
    }
    /* deliveryMode flags also govern the user's .qmail lines */
    if (((d.kind == DQ_MAILDIR || d.kind == DQ_MBOX) && ld->nolocal) ||
        (d.kind == DQ_PROGRAM && ld->noprogram) || (d.kind == DQ_FORWARD && ld->noforward)) {
      first = 0;
      continue;
    }
    if ((d.kind == DQ_MAILDIR || d.kind == DQ_MBOX || d.kind == DQ_PROGRAM) && ld->forwardonly)
      fail(111, "Uh-oh: user has %s delivery but is not allowed to. (#4.7.0)", d.kind == DQ_PROGRAM ? "prog" : "file");
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
  signal(SIGALRM, file_timeout);
  args(&l, argc, argv);
  if (l.doit && (getuid() == 0 || geteuid() == 0)) fail(111, "Not allowed to perform deliveries as root. (#4.3.0)");
  ldap_env(&l);
  gohome(&l);
  checkhome(&l);
  setup(&l);
  if (l.doit) loopcheck(&l);
  instructions(&l);
  autoreply(&l);
  follow(&l);
  report(&l);
  return 0;
}
