#include "spawn.h"
#include "auto.h"
#include "die.h"
#include "io.h"
#include "priv.h"
#include "qlx.h"
#include "queue.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- pure parts ---- */

void spawn_parser_init(struct spawn_parser *p) { memset(p, 0, sizeof *p); }

void spawn_parser_free(struct spawn_parser *p)
{
  sb_free(&p->id); sb_free(&p->sender); sb_free(&p->rcpt);
}

int spawn_parse(struct spawn_parser *p, const char *buf, size_t n, size_t *pos)
{
  while (*pos < n) {
    unsigned char c = (unsigned char)buf[(*pos)++];
    sb *f;
    size_t max;
    if (p->stage == 0) {
      if (c == SPAWN_RELOAD) return SPAWN_HUP;
      p->slot = c;
      p->bad = 0;
      if (!sb_copyb(&p->id, "", 0) || !sb_copyb(&p->sender, "", 0) || !sb_copyb(&p->rcpt, "", 0)) p->bad = 2;
      p->stage = 1;
      continue;
    }
    f = p->stage == 1 ? &p->id : p->stage == 2 ? &p->sender : &p->rcpt;
    max = p->stage == 1 ? SPAWN_ID_MAX : SPAWN_FIELD_MAX;
    if (c) {
      if (f->len >= max) { if (!p->bad) p->bad = 1; continue; }
      if (!sb_catc(f, (char)c)) p->bad = 2;
      continue;
    }
    if (p->stage++ < 3) continue;
    p->stage = 0;
    return SPAWN_REQ;
  }
  return SPAWN_NEED;
}

const char *spawn_check(const struct spawn_parser *p, unsigned nslots, struct spawn_req *r)
{
  const char *at;
  r->slot = p->slot;
  if (p->bad == 2 || !p->id.s || !p->sender.s || !p->rcpt.s) return "Zqmail-spawn out of memory. (#4.3.0)";
  if (p->slot >= nslots) return "ZInternal error: delnum too big. (#4.3.5)";
  if (p->bad) return "DInternal error: request field too long. (#5.3.5)";
  if (!p->id.len) return "DInternal error: messid too short. (#5.3.5)";
  if (!scan_u64(p->id.s, p->id.len, &r->id)) return "DInternal error: messid has nonnumerics. (#5.3.5)";
  at = strrchr(p->rcpt.s, '@');
  if (!at) return "DSorry, address must include host name. (#5.1.3)";
  r->sender = p->sender.s;
  r->rcpt = p->rcpt.s;
  r->at = (size_t)(at - p->rcpt.s);
  return NULL;
}

int spawn_reply(sb *out, unsigned slot, const char *report, size_t len)
{
  static const char toolong[] = "\nError report too long, sorry.\n";
  const char *z = memchr(report, 0, len);
  char st;
  size_t i, n;
  if (z) len = (size_t)(z - report);
  st = len ? report[0] : 0;
  if (st != 'K' && st != 'Z' && st != 'D') {
    report = "ZInternal error: malformed report. (#4.3.5)";
    len = strlen(report);
    st = 'Z';
  }
  n = len - 1;
  out->len = 0;
  if (!sb_catc(out, (char)slot) || !sb_catc(out, st)) return 0;
  if (n > SPAWN_TEXT_MAX) n = SPAWN_TEXT_MAX - (sizeof toolong - 1);
  for (i = 1; i <= n; ++i) {
    unsigned char c = (unsigned char)report[i];
    if ((c < 32 && c != '\n') || c == 127) c = '_';   /* '\n' stays, as in qmail */
    else if (c > 127) c = '?';
    if (!sb_catc(out, (char)c)) return 0;
  }
  if (n < len - 1 && !sb_cats(out, toolong)) return 0;
  return sb_cat0(out);
}

void spawn_report_local(int wstatus, const char *out, size_t len, sb *report)
{
  const char *fixed = NULL;
  char st;
  report->len = 0;
  if (WIFSIGNALED(wstatus) || !WIFEXITED(wstatus)) { sb_copys(report, "Zqmail-local crashed.\n"); return; }
  switch (WEXITSTATUS(wstatus)) {
  case QLX_CDB: fixed = "ZTrouble reading users/cdb in qmail-lspawn.\n"; break;
  case QLX_NOMEM: fixed = "ZOut of memory in qmail-lspawn.\n"; break;
  case QLX_SYS: fixed = "ZTemporary failure in qmail-lspawn.\n"; break;
  case QLX_NOALIAS: fixed = "ZUnable to find alias user!\n"; break;
  case QLX_ROOT: fixed = "ZNot allowed to perform deliveries as root.\n"; break;
  case QLX_USAGE: case QLX_BUG: fixed = "ZInternal qmail-lspawn bug.\n"; break;
  case QLX_NFS: fixed = "ZNFS failure in qmail-local.\n"; break;
  case QLX_EXECHARD: fixed = "DUnable to run qmail-local.\n"; break;
  case QLX_EXECSOFT: fixed = "ZUnable to run qmail-local.\n"; break;
  case QLX_EXECPW: fixed = "ZUnable to run qmail-getpw.\n"; break;
  }
  if (fixed) { sb_copys(report, fixed); return; }
  /* INTERNALS 6: 0 delivered, 100 permanent, anything else temporary */
  st = WEXITSTATUS(wstatus) == 0 ? 'K' : WEXITSTATUS(wstatus) == 100 ? 'D' : 'Z';
  {
    const char *z = memchr(out, 0, len);
    if (z) len = (size_t)(z - out);
  }
  if (!sb_catc(report, st) || !sb_catb(report, out, len)) sb_copys(report, "ZOut of memory in qmail-lspawn.\n");
}

static int rank(char c) { return c == 'K' ? 2 : c == 'Z' ? 1 : 0; }

void spawn_report_remote(int wstatus, const char *out, size_t len, sb *report)
{
  const char *r1, *r2 = NULL, *z;
  size_t n1, n2 = 0;
  char st;
  report->len = 0;
  if (WIFSIGNALED(wstatus) || !WIFEXITED(wstatus)) { sb_copys(report, "Zqmail-remote crashed.\n"); return; }
  if (WEXITSTATUS(wstatus) == 111) { sb_copys(report, "ZUnable to run qmail-remote.\n"); return; }
  if (WEXITSTATUS(wstatus) != 0) { sb_copys(report, "DUnable to run qmail-remote.\n"); return; }
  z = memchr(out, 0, len);
  if (!len || !z) { sb_copys(report, "Zqmail-remote produced no output.\n"); return; }
  r1 = out; n1 = (size_t)(z - out);
  if ((size_t)(z + 1 - out) < len) {
    const char *z2 = memchr(z + 1, 0, len - (size_t)(z + 1 - out));
    if (z2) { r2 = z + 1; n2 = (size_t)(z2 - r2); }
  }
  if (!n1 || !strchr("KZD", r1[0]) || (r2 && (!n2 || !strchr("KZD", r2[0])))) {
    sb_copys(report, "Zqmail-remote produced malformed output.\n");
    return;
  }
  st = r1[0];
  if (r2 && st == 'K') st = r2[0];
  if (!sb_catc(report, st) || !sb_catb(report, r1 + 1, n1 - 1)) goto nomem;
  if (r2 && rank(r2[0]) <= rank(r1[0]) && !sb_catb(report, r2 + 1, n2 - 1)) goto nomem;
  return;
nomem:
  sb_copys(report, "Zqmail-rspawn out of memory. (#4.3.0)\n");
}

/* ---- the driver ---- */

struct slot {
  int used;
  pid_t pid;
  int fd;          /* read end of the report pipe, -1 after EOF */
  int reaped;
  int wstatus;
  sb out;
};

static struct slot slots[AUTO_SPAWN];
static int selfpipe[2] = {-1, -1};
static int writing = 1;

static void sigchld(int s)
{
  int e = errno;
  ssize_t w = write(selfpipe[1], "", 1);
  (void)w; (void)s;
  errno = e;
}

void spawn_child_signals(void)
{
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGCHLD, SIG_DFL);
}

pid_t spawn_fork(int fdmess, int fdout)
{
  pid_t pid = fork();
  if (pid != 0) return pid;
  spawn_child_signals();
  signal(SIGPIPE, SIG_DFL);
  if (fd_move(0, fdmess) < 0 || fd_move(1, fdout) < 0 || fd_copy(2, 1) < 0) _exit(QLX_SYS);
  return 0;
}

pid_t spawn_exec(int fdmess, int fdout, const char *path, char *const argv[], char *const envp[],
                 uid_t uid, gid_t gid, int execfail)
{
  sigset_t none;
  struct sigaction dfl;
  sigemptyset(&none);
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  /* A parent holding libldap and its TLS libraries maps many pages;
   * copying its page tables for every delivery cost more than the
   * delivery. The vfork child shares the parent's memory until execve,
   * so it only makes system calls: raw set*id calls, because glibc's
   * wrappers would coordinate with the parent's threads. */
  pid_t pid = vfork();
  if (pid != 0) return pid;
  sigaction(SIGPIPE, &dfl, NULL);
  sigaction(SIGCHLD, &dfl, NULL);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (fdmess != 0 && (dup2(fdmess, 0) < 0 || close(fdmess) < 0)) _exit(QLX_SYS);
  if (dup2(fdout, 1) < 0 || dup2(fdout, 2) < 0) _exit(QLX_SYS);
  if (fdout != 1 && fdout != 2) close(fdout);
  if (syscall(SYS_setgroups, 1, &gid) < 0 || syscall(SYS_setresgid, gid, gid, gid) < 0 ||
      syscall(SYS_setresuid, uid, uid, uid) < 0)
    _exit(QLX_SYS);
  if (uid != 0 && syscall(SYS_setresuid, 0, 0, 0) == 0) _exit(QLX_ROOT);   /* root must be gone */
  execve(path, argv, envp);
  _exit(execfail);
}

static void send_reply(unsigned slot, const char *report, size_t len)
{
  sb r = SB_INIT;
  if (!spawn_reply(&r, slot, report, len)) {
    sb_free(&r);
    if (!spawn_reply(&r, slot, "Zqmail-spawn out of memory. (#4.3.0)", 36)) die_nomem();
  }
  if (writing && io_writeall(1, r.s, r.len) < 0) writing = 0;   /* qmail-send is gone */
  sb_free(&r);
}

static void collect(struct slot *s)
{
  char buf[4096];
  for (;;) {
    ssize_t n = read(s->fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return;
    }
    if (n <= 0) { close(s->fd); s->fd = -1; return; }
    size_t keep = SPAWN_OUT_MAX - s->out.len;     /* the rest is read and dropped */
    if ((size_t)n < keep) keep = (size_t)n;
    if (keep && !sb_catb(&s->out, buf, keep)) continue;   /* out of memory: drop it */
  }
}

static void reap(void)
{
  pid_t pid;
  int st;
  while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
    for (unsigned i = 0; i < AUTO_SPAWN; ++i)
      if (slots[i].used && !slots[i].reaped && slots[i].pid == pid) {
        slots[i].reaped = 1;
        slots[i].wstatus = st;
      }
}

static void finish(const struct spawn_agent *a, unsigned i)
{
  struct slot *s = &slots[i];
  sb rep = SB_INIT;
  /* the child is gone: what it wrote is in the pipe; a grandchild that
   * kept the pipe open must not hold up the report */
  if (s->fd >= 0) collect(s);
  if (s->fd >= 0) { close(s->fd); s->fd = -1; }
  a->report(s->wstatus, s->out.s ? s->out.s : "", s->out.len, &rep);
  send_reply(i, rep.s ? rep.s : "", rep.len);
  sb_free(&rep);
  s->used = 0;
  s->out.len = 0;
}

static void start(const struct spawn_agent *a, const struct spawn_parser *p, uid_t uidq)
{
  struct spawn_req r;
  const char *err = spawn_check(p, AUTO_SPAWN, &r);
  sb path = SB_INIT, rep = SB_INIT;
  struct stat st;
  int fdm = -1, pi[2] = {-1, -1};
  pid_t pid;
  if (!err && slots[r.slot].used) err = "ZInternal error: delnum in use. (#4.3.5)";
  if (!err && !qpath(&path, "mess", r.id)) err = "Zqmail-spawn out of memory. (#4.3.0)";
  if (!err && (fdm = open(path.s, O_RDONLY | O_CLOEXEC)) < 0) err = "Zqmail-spawn unable to open message. (#4.3.0)";
  if (!err && fstat(fdm, &st) < 0) err = "Zqmail-spawn unable to fstat message. (#4.3.0)";
  if (!err && !S_ISREG(st.st_mode)) err = "ZSorry, message has wrong type. (#4.3.5)";
  if (!err && st.st_uid != uidq) err = "ZSorry, message has wrong owner. (#4.3.5)";   /* qmailq must be trusted */
  if (!err && pipe2(pi, O_CLOEXEC) < 0) err = "Zqmail-spawn unable to create pipe. (#4.3.0)";
  if (err) {
    send_reply(r.slot, err, strlen(err));
    goto out;
  }
  pid = a->start(&r, fdm, pi[1], &rep);
  if (pid < 0) {
    send_reply(r.slot, "Zqmail-spawn unable to fork. (#4.3.0)", 37);
  } else if (pid == 0) {
    send_reply(r.slot, rep.s ? rep.s : "", rep.len);
  } else {
    struct slot *s = &slots[r.slot];
    s->used = 1; s->pid = pid; s->reaped = 0; s->wstatus = 0;
    s->fd = pi[0]; pi[0] = -1;
    s->out.len = 0;
    fd_nonblock(s->fd);
  }
out:
  if (fdm >= 0) close(fdm);
  if (pi[0] >= 0) close(pi[0]);
  if (pi[1] >= 0) close(pi[1]);
  sb_free(&path); sb_free(&rep);
}

int spawn_main(const struct spawn_agent *a)
{
  struct spawn_parser p;
  struct pollfd pfd[AUTO_SPAWN + 2];
  unsigned idx[AUTO_SPAWN + 2];
  struct sigaction sa;
  int reading = 1;
  uid_t uidq;
  gid_t gidq;
  char buf[4096];

  if (chdir(AUTO_QMAIL "/queue") < 0) die(111, "unable to chdir to %s/queue: %s", AUTO_QMAIL, strerror(errno));
  if (priv_user(AUTO_USERQ, &uidq, &gidq) < 0) die(111, "unable to find user %s", AUTO_USERQ);
  if (pipe2(selfpipe, O_CLOEXEC | O_NONBLOCK) < 0) die(111, "unable to create pipe: %s", strerror(errno));
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = sigchld;
  sa.sa_flags = SA_NOCLDSTOP;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGCHLD, &sa, NULL) < 0) die(111, "unable to catch SIGCHLD");
  signal(SIGPIPE, SIG_IGN);
  spawn_parser_init(&p);

  for (;;) {
    nfds_t n = 0;
    int busy = 0;
    for (unsigned i = 0; i < AUTO_SPAWN; ++i) {
      if (!slots[i].used) continue;
      if (slots[i].reaped) { finish(a, i); continue; }
      busy = 1;
      if (slots[i].fd >= 0) { pfd[n].fd = slots[i].fd; pfd[n].events = POLLIN; idx[n++] = i; }
    }
    if (!reading && !busy) break;
    pfd[n].fd = selfpipe[0]; pfd[n].events = POLLIN; idx[n++] = AUTO_SPAWN;
    if (reading) { pfd[n].fd = 0; pfd[n].events = POLLIN; idx[n++] = AUTO_SPAWN + 1; }
    if (poll(pfd, n, -1) < 0) {
      if (errno == EINTR) continue;
      die(111, "poll failed: %s", strerror(errno));
    }
    for (nfds_t k = 0; k < n; ++k) {
      if (!pfd[k].revents) continue;
      if (idx[k] < AUTO_SPAWN) { collect(&slots[idx[k]]); continue; }
      if (idx[k] == AUTO_SPAWN) {
        while (read(selfpipe[0], buf, sizeof buf) > 0) {}
        continue;
      }
      ssize_t r = read(0, buf, sizeof buf);
      if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (r <= 0) { reading = 0; continue; }   /* EOF: finish what runs, then exit */
      size_t pos = 0;
      int ev;
      while ((ev = spawn_parse(&p, buf, (size_t)r, &pos)) != SPAWN_NEED) {
        /* The agent's lookups (a directory search in poll()) must not be
         * cut short by SIGCHLD; the signal waits and then wakes the loop. */
        sigset_t chld, old;
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        sigprocmask(SIG_BLOCK, &chld, &old);
        if (ev == SPAWN_HUP) { if (a->reload) a->reload(); }
        else start(a, &p, uidq);
        sigprocmask(SIG_SETMASK, &old, NULL);
      }
    }
    reap();
  }
  spawn_parser_free(&p);
  return 0;
}
