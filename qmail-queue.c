/* qmail-queue: put a message into the queue (INTERNALS 1).
 * Message on fd 0, envelope on fd 1; setuid qmailq. Exit codes: qq.h. */
#include "auto.h"
#include "ctl.h"
#include "io.h"
#include "priv.h"
#include "qq.h"
#include "queue.h"
#include "queuepol.h"
#include "rd.h"
#include "sb.h"
#include "wr.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdnoreturn.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *progname = "qmail-queue";

#define DEATH 86400      /* seconds; must stay below qmail-clean's 36 hours */
#define MAXADDR 1000     /* bytes of one envelope address */
#define QQ_BIGBROTHER_ERR QQ_CONFIG_ERR

/* Names are fixed before the alarm can fire, so the handler only unlinks. */
static char pidfn[128], messfn[128], intdfn[128], todofn[128];
static volatile sig_atomic_t madepid, mademess, madeintd;

static void cleanup(void)
{
  if (madeintd) unlink(intdfn);
  if (mademess) unlink(messfn);
  if (madepid) unlink(pidfn);
}

static noreturn void fail(int code)
{
  cleanup();
  _exit(code);
}

static void sigalrm(int s) { (void)s; cleanup(); _exit(QQ_TIMEOUT); }
static void sigbug(int s) { (void)s; _exit(QQ_INTERNAL); }

static void signals(void)
{
  static const int bugs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
  struct sigaction sa;
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, 0);
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &sa, 0);
  sa.sa_handler = sigalrm;
  sigaction(SIGALRM, &sa, 0);
  sa.sa_handler = sigbug;
  for (size_t i = 0; i < sizeof bugs / sizeof bugs[0]; ++i) sigaction(bugs[i], &sa, 0);
}

static void setname(char *dst, size_t size, const char *dir, uint64_t id)
{
  sb p = SB_INIT;
  if (!qpath(&p, dir, id)) fail(QQ_NOMEM);
  if (p.len >= size) fail(QQ_INTERNAL);
  memcpy(dst, p.s, p.len + 1);
  sb_free(&p);
}

/* How the invoker is named in the Received line. */
static int invoker(uid_t uid)
{
  /* one passwd lookup per message, not one per candidate name */
  struct passwd *pw = getpwuid(uid);
  if (!pw) return QP_UID;
  if (!strcmp(pw->pw_name, AUTO_USERA)) return QP_ALIAS;
  if (!strcmp(pw->pw_name, AUTO_USERD)) return QP_NETWORK;
  if (!strcmp(pw->pw_name, AUTO_USERS)) return QP_BOUNCE;
  return QP_UID;
}

/* pid/<pid>.<time>.<seq>, created exclusively; its inode names the message. */
static int pidopen(pid_t pid, time_t now)
{
  for (unsigned seq = 1; seq < 10; ++seq) {
    int n = snprintf(pidfn, sizeof pidfn, "pid/%lu.%llu.%u", (unsigned long)pid, (unsigned long long)now, seq);
    if (n < 0 || (size_t)n >= sizeof pidfn) fail(QQ_INTERNAL);
    int fd = open(pidfn, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) { madepid = 1; return fd; }
  }
  fail(63);
}

/* Received line, then fd 0 to the end, then fsync. */
static void write_message(int fd, const sb *received)
{
  static char buf[65536];
  struct wr w;
  uint64_t bytes = 0;
  wr_init(&w, fd, 0);
  wr_put(&w, received->s, received->len);
  for (;;) {
    ssize_t r = read(0, buf, sizeof buf);
    if (r < 0) { if (errno == EINTR) continue; fail(QQ_READ_ERR); }
    if (r == 0) break;
    if (!add_u64(bytes, (uint64_t)r, &bytes)) fail(QQ_WRITE_ERR);
    wr_put(&w, buf, (size_t)r);
    if (w.err) fail(QQ_WRITE_ERR);
  }
  if (wr_flush(&w) < 0 || fsync(fd) < 0) fail(QQ_WRITE_ERR);
}

/* One envelope record from fd 1 into rec (without its \0). */
static void envrecord(struct rd *r, sb *rec)
{
  switch (rd_line(r, rec, 0, MAXADDR + 1)) {
  case RD_OK: return;
  case RD_TOOLONG: fail(QQ_ADDR_TOO_LONG);
  default: fail(QQ_READ_ERR);
  }
}

static void watch(const sb *bb, const char *a, size_t n, sb *obs)
{
  if (bb->len && !qp_bigbrother(bb->s, bb->len, a, n, obs)) fail(QQ_NOMEM);
}

/* u and p records, then the envelope from fd 1 checked record by record,
 * plus bigbrother's observers; fsync. */
static void write_envelope(int fd, uid_t uid, pid_t pid, const sb *bb)
{
  struct rd r;
  struct wr w;
  sb rec = SB_INIT, obs = SB_INIT;
  rd_init(&r, 1, 0);
  wr_init(&w, fd, 0);
  wr_putc(&w, 'u'); wr_putu64(&w, (uint64_t)uid); wr_putc(&w, 0);
  wr_putc(&w, 'p'); wr_putu64(&w, (uint64_t)pid); wr_putc(&w, 0);
  envrecord(&r, &rec);
  if (!rec.len || rec.s[0] != 'F') fail(QQ_ENVELOPE);
  wr_put(&w, rec.s, rec.len); wr_putc(&w, 0);
  watch(bb, rec.s + 1, rec.len - 1, &obs);
  for (;;) {
    envrecord(&r, &rec);
    if (!rec.len) break;
    if (rec.s[0] != 'T' || rec.len < 2) fail(QQ_ENVELOPE);
    wr_put(&w, rec.s, rec.len); wr_putc(&w, 0);
    watch(bb, rec.s + 1, rec.len - 1, &obs);
    if (w.err) fail(QQ_WRITE_ERR);
  }
  for (size_t i = 0; i < obs.len; i += strlen(obs.s + i) + 1) {
    wr_putc(&w, 'T'); wr_puts(&w, obs.s + i); wr_putc(&w, 0);
  }
  wr_putc(&w, 0);
  if (wr_flush(&w) < 0 || fsync(fd) < 0) fail(QQ_WRITE_ERR);
  sb_free(&rec);
  sb_free(&obs);
}

/* Wake qmail-todo; nobody listening is fine. */
static void trigger(void)
{
  int fd = open("lock/trigger", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t w = write(fd, "", 1);
  (void)w;
  close(fd);
}

/* Make the todo link; after it exists the message belongs to qmail-todo. */
static void commit(void)
{
  sigset_t alrm;
  sigemptyset(&alrm);
  sigaddset(&alrm, SIGALRM);
  sigprocmask(SIG_BLOCK, &alrm, 0);
  if (link(intdfn, todofn) < 0) fail(66);
  if (fsync_dir(todofn) < 0) {
    if (unlink(todofn) == 0) fail(QQ_WRITE_ERR);
    _exit(QQ_WRITE_ERR);   /* cannot take it back: leave it queued */
  }
}

static void queue(const sb *bb)
{
  pid_t pid = getpid();
  uid_t uid = getuid();
  time_t now = time(0);
  sb received = SB_INIT;
  struct stat st;
  if (!qp_received(&received, (uint64_t)pid, (uint64_t)uid, invoker(uid), now)) fail(QQ_NOMEM);
  alarm(DEATH);
  int messfd = pidopen(pid, now);
  if (fstat(messfd, &st) < 0) fail(63);
  setname(messfn, sizeof messfn, "mess", (uint64_t)st.st_ino);
  setname(intdfn, sizeof intdfn, "intd", (uint64_t)st.st_ino);
  setname(todofn, sizeof todofn, "todo", (uint64_t)st.st_ino);
  mademess = 1;   /* set first: the alarm may come between link and flag */
  if (link(pidfn, messfn) < 0) fail(64);
  if (unlink(pidfn) < 0) fail(63);
  madepid = 0;
  write_message(messfd, &received);
  if (close(messfd) < 0 || fsync_dir(messfn) < 0) fail(QQ_WRITE_ERR);
  madeintd = 1;   /* a name made of our own inode number is nobody else's */
  int intdfd = open(intdfn, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (intdfd < 0) fail(65);
  write_envelope(intdfd, uid, pid, bb);
  if (close(intdfd) < 0) fail(QQ_WRITE_ERR);
  commit();
  trigger();
  sb_free(&received);
}

int main(void)
{
  sb bb = SB_INIT;
  umask(033);
  signals();
  if (chdir(AUTO_QMAIL) < 0) _exit(QQ_HOMEDIR);
  if (ctl_list("bigbrother", &bb) < 0) _exit(QQ_BIGBROTHER_ERR);
  if (chdir("queue") < 0) _exit(62);
  queue(&bb);
  _exit(QQ_OK);
}
