/* qmail-send: schedules deliveries of queued messages through
 * qmail-lspawn and qmail-rspawn, retries, bounces and finishes messages
 * (INTERNALS 2, 3, 5, 7, 8). Single-threaded poll() loop.
 *
 * Crash safety: a recipient is marked done (its T record overwritten
 * with D and fsync'd) only after the spawner reported it delivered or
 * failed, and for a failure only after its bounce block is fsync'd in
 * bounce/<id>. A message is finished in this order: local/ and remote/
 * gone, bounce queued and bounce/<id> removed, info/<split>/<id> renamed
 * to info/done.<id> (so a reused inode number never meets our info),
 * qmail-clean M<id>, info/done.<id> removed. A crash anywhere repeats at
 * worst a delivery or a bounce. */
#include "auto.h"
#include "bounce.h"
#include "ctl.h"
#include "die.h"
#include "idset.h"
#include "io.h"
#include "prioq.h"
#include "qq.h"
#include "qslog.h"
#include "queue.h"
#include "rewrite.h"
#include "sb.h"
#include "sched.h"
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

const char *progname = "qmail-send";

#define CHANNELS 2
#define FD_LOG 1
#define FD_TOCLEAN 7
#define FD_FROMCLEAN 8
#define FD_TOTODO 9
#define FD_FROMTODO 10
#define SLEEP_SYSFAIL 123           /* retry after a file system problem */
#define SLEEP_FOREVER 86400
#define SLEEP_CLEANUP 76431         /* between sweeps for leftover files */
#define OSSIFIED 129600             /* 36 hours: older than any qmail-queue run */
#define REPORTMAX 10000             /* longest spawner/todo record kept */
#define INFOMAX (1024 * 1024)
#define CHANMAX (64 * 1024 * 1024)
#define COMMMAX 65536               /* queued requests per spawner */
#define DONEPERLOOP 16
#define MAXSLOTS (AUTO_SPAWN < 254 ? AUTO_SPAWN : 254)

static const char *const chandir[CHANNELS] = {"local", "remote"};
static const int chanfdout[CHANNELS] = {3, 5};
static const int chanfdin[CHANNELS] = {4, 6};
static const unsigned chanskip[CHANNELS] = {SCHED_SKIP_LOCAL, SCHED_SKIP_REMOTE};

static volatile sig_atomic_t flagexitasap, flagrunasap, flagreadasap;
static void sigterm(int s) { (void)s; flagexitasap = 1; }
static void sigalrm(int s) { (void)s; flagrunasap = 1; }
static void sighup(int s) { (void)s; flagreadasap = 1; }
static int exitcode;
static int64_t recent;

/* ------------------------------------------------------------------ log */

static void logsb(const sb *line)
{
  /* one write per line, errors ignored: a dead logger must not stop mail */
  ssize_t w = write(FD_LOG, line->s, line->len);
  (void)w;
}

static void nomem(void)
{
  static const char m[] = "alert: out of memory, sleeping...\n";
  ssize_t w = write(FD_LOG, m, sizeof m - 1);
  (void)w;
  sleep(10);
}

/* Log a + safe(b) + c. */
static void log3(const char *a, const char *b, const char *c)
{
  sb line = SB_INIT;
  while (!sb_cats(&line, a) || !qslog_safes(&line, b ? b : "") || !sb_cats(&line, c) || !sb_catc(&line, '\n')) {
    line.len = 0; nomem();
  }
  logsb(&line);
  sb_free(&line);
}

static void logfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logfmt(const char *fmt, ...)
{
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n > sizeof buf - 2) n = (int)sizeof buf - 2;
  buf[n++] = '\n';
  ssize_t w = write(FD_LOG, buf, (size_t)n);
  (void)w;
}

/* ------------------------------------------------------------- controls */

struct config {
  uint64_t lifetime;
  unsigned conc[CHANNELS];
  uint64_t bouncemaxbytes;
  sb bouncefrom, bouncehost, doublebounceto, custom, vdoms;
};
static struct config cfg;

static void config_free(struct config *c)
{
  sb_free(&c->bouncefrom); sb_free(&c->bouncehost); sb_free(&c->doublebounceto);
  sb_free(&c->custom); sb_free(&c->vdoms);
}

static unsigned clampconc(uint64_t u) { return u > MAXSLOTS ? MAXSLOTS : (unsigned)u; }

/* a host default: control/me, else the name itself, as qmail does */
static int ctl_host(const char *name, sb *out)
{
  if (ctl_line(name, out) < 0) return 0;
  return out->len || sb_copys(out, name);
}

static int config_read(struct config *c)
{
  uint64_t u;
  sb dbhost = SB_INIT, raw = SB_INIT;
  int ok = 0;
  if (ctl_u64("queuelifetime", &c->lifetime) < 0) goto out;
  if (ctl_u64("concurrencylocal", &u) < 0) goto out;
  c->conc[0] = clampconc(u);
  if (ctl_u64("concurrencyremote", &u) < 0) goto out;
  c->conc[1] = clampconc(u);
  if (ctl_u64("bouncemaxbytes", &c->bouncemaxbytes) < 0) goto out;
  if (ctl_line("bouncefrom", &c->bouncefrom) < 0) goto out;
  if (!c->bouncefrom.len && !sb_copys(&c->bouncefrom, "MAILER-DAEMON")) goto out;
  if (!ctl_host("bouncehost", &c->bouncehost)) goto out;
  if (!ctl_host("doublebouncehost", &dbhost)) goto out;
  if (ctl_line("doublebounceto", &c->doublebounceto) < 0) goto out;
  /* an empty doublebounceto discards double bounces */
  if (c->doublebounceto.len && (!sb_catc(&c->doublebounceto, '@') || !sb_catsb(&c->doublebounceto, &dbhost))) goto out;
  if (ctl_raw("custombouncetext", &raw) < 0) goto out;
  if (!bounce_custom(&c->custom, raw.s ? raw.s : "", raw.len)) goto out;
  if (ctl_list("virtualdomains", &c->vdoms) < 0) goto out;
  ok = 1;
out:
  sb_free(&dbhost); sb_free(&raw);
  return ok;
}

/* ------------------------------------------------------------ filenames */

static sb fn, fn2;

static void fnmake(sb *out, const char *dir, uint64_t id) { while (!qpath(out, dir, id)) nomem(); }

static void fnmake_done(sb *out, uint64_t id)
{
  out->len = 0;
  while (!sb_cats(out, "info/done.") || !sb_catu64(out, id)) { out->len = 0; nomem(); }
}

/* 1 exists, 0 does not, -1 could not tell */
static int exists(const char *path, struct stat *st)
{
  struct stat tmp;
  if (stat(path, st ? st : &tmp) == 0) return 1;
  return errno == ENOENT ? 0 : -1;
}

/* ----------------------------------------------------------- qmail-clean */

static int flagcleanalive = 1;

static void cleandied(void)
{
  log3("alert: oh no! lost qmail-clean connection! dying...", "", "");
  flagcleanalive = 0;
  flagexitasap = 1;
  exitcode = 111;
}

/* Called when fd 8 is readable between requests: end of file means
 * qmail-clean died; a stray byte is a protocol slip. */
static void clean_check(void)
{
  char ch;
  ssize_t r = read(FD_FROMCLEAN, &ch, 1);
  if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) cleandied();
  else if (r == 1) log3("warning: unexpected reply from qmail-clean", "", "");
}

/* 1 done, 0 qmail-clean could not, -1 qmail-clean is gone */
static int clean_mess(uint64_t id)
{
  sb req = SB_INIT;
  char ch;
  ssize_t r;
  if (!flagcleanalive) return -1;
  while (!sb_catc(&req, 'M') || !sb_catu64(&req, id) || !sb_cat0(&req)) { req.len = 0; nomem(); }
  if (io_writeall(FD_TOCLEAN, req.s, req.len) < 0) { sb_free(&req); cleandied(); return -1; }
  sb_free(&req);
  do r = read(FD_FROMCLEAN, &ch, 1); while (r < 0 && errno == EINTR);
  if (r != 1) { cleandied(); return -1; }
  if (ch != '+') {
    fnmake(&fn2, "mess", id);
    log3("warning: qmail-clean unable to clean up ", fn2.s, "");
    return 0;
  }
  return 1;
}

/* --------------------------------------------------------------- queues */

static struct idset known;          /* ids scheduled in memory */
static struct prioq pqchan[CHANNELS], pqdone, pqfail;

static void pqins(struct prioq *q, int64_t due, uint64_t id) { while (!prioq_insert(q, due, id)) nomem(); }

/* Schedule a message found in info/ (startup) or announced by qmail-todo. */
static void pqadd(uint64_t id)
{
  struct stat st;
  int has[CHANNELS], c, any = 0;
  int64_t due[CHANNELS];
  if (idset_has(&known, id)) return;
  fnmake(&fn, "info", id);
  switch (exists(fn.s, 0)) {
  case 0: return;                    /* finished meanwhile */
  case -1: goto fail;
  }
  fnmake(&fn, "todo", id);
  switch (exists(fn.s, 0)) {
  case 1: return;                    /* qmail-todo is (re)doing it and will say so */
  case -1: goto fail;
  }
  for (c = 0; c < CHANNELS; ++c) {
    fnmake(&fn, chandir[c], id);
    has[c] = exists(fn.s, &st);
    if (has[c] < 0) goto fail;
    due[c] = st.st_mtime;            /* qmail-send leaves the next retry time there */
    any |= has[c];
  }
  while (!idset_add(&known, id)) nomem();
  for (c = 0; c < CHANNELS; ++c)
    if (has[c]) pqins(&pqchan[c], due[c], id);
  if (!any) pqins(&pqdone, recent, id);
  return;
fail:
  log3("warning: unable to stat ", fn.s, "; will try again later");
  pqins(&pqfail, recent + SLEEP_SYSFAIL, id);
}

/* Read info/<id>: the sender and birth (mtime). 1 ok, 0 trouble. */
static int getinfo(uint64_t id, sb *sender, int64_t *birth)
{
  sb buf = SB_INIT;
  struct stat st;
  int ok = 0;
  fnmake(&fn, "info", id);
  if (stat(fn.s, &st) < 0 || io_readfile(fn.s, &buf, INFOMAX) < 0) { sb_free(&buf); return 0; }
  /* records F<sender>\0, u<uid>\0, p<pid>\0; exactly one F, nothing else */
  for (size_t i = 0; i < buf.len;) {
    const char *rec = buf.s + i;
    const char *z = memchr(rec, 0, buf.len - i);
    size_t n;
    if (!z) { ok = 0; break; }
    n = (size_t)(z - rec);
    if (n == 0 || !strchr("Fup", rec[0])) { ok = 0; break; }
    if (rec[0] == 'F') {
      if (ok) { ok = 0; break; }
      while (!sb_copyb(sender, rec + 1, n - 1)) nomem();
      ok = 1;
    }
    i += n + 1;
  }
  sb_free(&buf);
  *birth = st.st_mtime;
  return ok;
}

/* ---------------------------------------------------------------- jobs */

struct job {
  int used;
  int refs;              /* the pass plus deliveries in progress */
  uint64_t id;
  int c;
  int64_t retry;
  int dying;
  int hiteof;
  int trouble;
  uint64_t numtodo;      /* recipients started and not yet done */
  sb sender;
  sb file;               /* contents of local/ or remote/ */
  size_t pos;
};
#define NUMJOBS (2 * MAXSLOTS + 2)
static struct job jo[NUMJOBS];

static int job_open(uint64_t id, int c)
{
  for (int j = 0; j < NUMJOBS; ++j)
    if (!jo[j].used) {
      struct job *p = &jo[j];
      p->used = 1; p->refs = 1; p->id = id; p->c = c;
      p->hiteof = 0; p->trouble = 0; p->numtodo = 0; p->pos = 0;
      p->sender.len = 0; p->file.len = 0;
      return j;
    }
  return -1;
}

static void job_close(int j)
{
  struct job *p = &jo[j];
  int64_t due = p->retry;
  if (--p->refs > 0) return;
  p->used = 0;
  if (p->file.cap > 1024 * 1024) sb_free(&p->file);   /* don't hoard big buffers */
  if (p->hiteof && !p->numtodo) {
    fnmake(&fn, chandir[p->c], p->id);
    if (unlink(fn.s) < 0 && errno != ENOENT) {
      log3("warning: unable to unlink ", fn.s, "; will try again later");
      pqins(&pqchan[p->c], recent + SLEEP_SYSFAIL, p->id);
      return;
    }
    for (int c = 0; c < CHANNELS; ++c) {
      if (c == p->c) continue;
      fnmake(&fn, chandir[c], p->id);
      int e = exists(fn.s, 0);
      if (e > 0) return;             /* the other channel finishes the message */
      if (e < 0) log3("warning: unable to stat ", fn.s, "");
    }
    pqins(&pqdone, recent, p->id);
    return;
  }
  if (p->trouble) due = recent + SLEEP_SYSFAIL;
  pqins(&pqchan[p->c], due, p->id);
}

/* ------------------------------------------------------------- bounces */

/* Append the failure report to bounce/<id>, fsync'd. 1 ok. */
static int addbounce(uint64_t id, const char *rcpt, const char *report, size_t n)
{
  sb block = SB_INIT;
  int fd, ok = 0;
  while (!bounce_block(&block, rewrite_strip_vdom(&cfg.vdoms, rcpt), report, n)) { block.len = 0; nomem(); }
  fnmake(&fn2, "bounce", id);
  fd = open(fn2.s, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ok = io_writeall(fd, block.s, block.len) == 0 && fsync(fd) == 0;
    if (close(fd) < 0) ok = 0;
    if (ok && fsync_dir(fn2.s) < 0) ok = 0;      /* the file may be new */
  }
  sb_free(&block);
  if (!ok) log3("alert: unable to append to ", fn2.s, "; will try the delivery again later");
  return ok;
}

/* Copy fd into the bounce, at most max bytes (0: all). 1 ok. */
static int copyfd(struct qq *q, int fd, uint64_t max, int *stripped)
{
  char buf[8192];
  uint64_t done = 0;
  *stripped = 0;
  for (;;) {
    size_t want = sizeof buf;
    if (max && max - done < want) want = (size_t)(max - done);
    if (max && !want) {
      ssize_t r;
      do r = read(fd, buf, 1); while (r < 0 && errno == EINTR);
      if (r < 0) return 0;
      *stripped = r > 0;
      return 1;
    }
    ssize_t r = read(fd, buf, want);
    if (r < 0) { if (errno == EINTR) continue; return 0; }
    if (r == 0) return 1;
    qq_put(q, buf, (size_t)r);
    done += (uint64_t)r;
  }
}

static sigset_t sigorig;

/* Queue the bounce for a finished message if bounce/<id> exists.
 * 1 done (or nothing to do), 0 try again later. */
static int injectbounce(uint64_t id)
{
  sb sender = SB_INIT, to = SB_INIT, text = SB_INIT;
  struct bounce_msg b;
  struct qq q;
  int64_t birth;
  int fdb = -1, fdm = -1, ok = 0, stripped, code;
  sigset_t blocked;

  fnmake(&fn2, "bounce", id);
  switch (exists(fn2.s, 0)) {
  case 0: return 1;
  case -1: log3("warning: unable to stat ", fn2.s, ""); return 0;
  }
  if (!getinfo(id, &sender, &birth)) { log3("warning: trouble reading ", fn.s, ""); goto out; }
  while (!rewrite_bounce_to(sender.s ? sender.s : "", &to)) nomem();
  switch (bounce_kind(to.s, cfg.doublebounceto.s)) {
  case BOUNCE_TRIPLE:
    log3("triple bounce: discarding ", fn2.s, "");
    goto discard;
  case BOUNCE_DISCARD:
    log3("double bounce: discarding ", fn2.s, "");
    goto discard;
  case BOUNCE_DOUBLE:
    b.dbl = 1; b.to = cfg.doublebounceto.s; break;
  default:
    b.dbl = 0; b.to = to.s; break;
  }
  b.bouncefrom = cfg.bouncefrom.s; b.bouncehost = cfg.bouncehost.s;
  b.sender = to.s; b.custom = &cfg.custom;

  fdb = open(fn2.s, O_RDONLY | O_CLOEXEC);
  fnmake(&fn, "mess", id);
  fdm = open(fn.s, O_RDONLY | O_CLOEXEC);
  if (fdb < 0 || fdm < 0) { log3("warning: unable to open ", fdb < 0 ? fn2.s : fn.s, "; will try again later"); goto out; }

  /* qmail-queue must not inherit our blocked signals (it uses alarm()) */
  sigprocmask(SIG_SETMASK, &sigorig, &blocked);
  code = qq_open(&q);
  sigprocmask(SIG_SETMASK, &blocked, 0);
  if (code < 0) { log3("warning: unable to start qmail-queue, will try later", "", ""); goto out; }
  while (!bounce_head(&text, &b, (time_t)recent)) { text.len = 0; nomem(); }
  qq_put(&q, text.s, text.len);
  if (!copyfd(&q, fdb, 0, &stripped)) { qq_abort(&q); log3("warning: trouble reading ", fn2.s, ""); goto out; }
  text.len = 0;
  while (!bounce_tail(&text, &b)) { text.len = 0; nomem(); }
  qq_put(&q, text.s, text.len);
  if (!copyfd(&q, fdm, cfg.bouncemaxbytes, &stripped)) { qq_abort(&q); log3("warning: trouble reading ", fn.s, ""); goto out; }
  if (stripped) qq_puts(&q, BOUNCE_STRIPPED);
  qq_from(&q, b.dbl ? "#@[]" : "");
  qq_to(&q, b.to);
  code = qq_close(&q);
  if (code) { log3("warning: trouble injecting bounce message, will try later: ", qq_text(code) + 1, ""); goto out; }
  logfmt("bounce msg %llu qp %llu", (unsigned long long)id, (unsigned long long)q.pid);
discard:
  fnmake(&fn2, "bounce", id);
  if (unlink(fn2.s) < 0 && errno != ENOENT) { log3("warning: unable to unlink ", fn2.s, ""); goto out; }
  ok = 1;
out:
  if (fdb >= 0) close(fdb);
  if (fdm >= 0) close(fdm);
  sb_free(&sender); sb_free(&to); sb_free(&text);
  return ok;
}

/* -------------------------------------------------------- finishing */

/* Recovery after an interrupted finish: info/done.<id> exists, mess/<id>
 * may. Remove mess/<id> only if it is still ours, i.e. not newer than
 * the info file (a newer one is a new message that got the same inode
 * number). 1 finished, 0 try again later. */
static int finish_done(uint64_t id)
{
  struct stat sd, sm;
  int e;
  fnmake_done(&fn2, id);
  if (stat(fn2.s, &sd) < 0) return errno == ENOENT;
  fnmake(&fn, "mess", id);
  e = exists(fn.s, &sm);
  if (e < 0) return 0;
  if (e > 0) {
    /* qmail-todo wrote info/ after the message was complete */
    int ours = sm.st_ctim.tv_sec < sd.st_mtim.tv_sec ||
               (sm.st_ctim.tv_sec == sd.st_mtim.tv_sec && sm.st_ctim.tv_nsec <= sd.st_mtim.tv_nsec);
    if (ours && clean_mess(id) != 1) return 0;
    fnmake_done(&fn2, id);
  }
  if (unlink(fn2.s) < 0 && errno != ENOENT) { log3("warning: unable to unlink ", fn2.s, ""); return 0; }
  return 1;
}

static void messdone(uint64_t id)
{
  int c;
  for (c = 0; c < CHANNELS; ++c) {
    fnmake(&fn, chandir[c], id);
    switch (exists(fn.s, 0)) {
    case 1: return;                  /* still being delivered on that channel */
    case -1: log3("warning: unable to stat ", fn.s, "; will try again later"); goto fail;
    }
  }
  fnmake(&fn, "todo", id);
  switch (exists(fn.s, 0)) {
  case 1: idset_del(&known, id); return;   /* qmail-todo will announce it again */
  case -1: log3("warning: unable to stat ", fn.s, "; will try again later"); goto fail;
  }
  fnmake(&fn, "info", id);
  switch (exists(fn.s, 0)) {
  case 0: idset_del(&known, id); return;
  case -1: log3("warning: unable to stat ", fn.s, "; will try again later"); goto fail;
  }
  if (!injectbounce(id)) goto fail;
  logfmt("end msg %llu", (unsigned long long)id);
  fnmake(&fn, "info", id);
  fnmake_done(&fn2, id);
  if (rename(fn.s, fn2.s) < 0) { log3("warning: unable to rename ", fn.s, "; will try again later"); goto fail; }
  idset_del(&known, id);
  /* if this fails, the next sweep or start finishes it via finish_done() */
  if (clean_mess(id) == 1) {
    fnmake_done(&fn2, id);
    if (unlink(fn2.s) < 0) log3("warning: unable to unlink ", fn2.s, "");
  }
  return;
fail:
  pqins(&pqdone, recent + SLEEP_SYSFAIL, id);
}

/* ------------------------------------------------------- deliveries */

struct del {
  int used;
  int j;
  uint64_t delid;
  size_t mpos;           /* offset of the T record in the channel file */
  sb rcpt;
};
static struct del d[CHANNELS][MAXSLOTS];
static unsigned concused[CHANNELS];
static int flagspawnalive[CHANNELS] = {1, 1};
static uint64_t masterdelid = 1;
static sb commout[CHANNELS];
static size_t commpos[CHANNELS];

static void spawndied(int c)
{
  log3("alert: oh no! lost spawn connection! dying...", "", "");
  flagspawnalive[c] = 0;
  flagexitasap = 1;
  exitcode = 111;
}

static void del_status(void)
{
  logfmt("status: local %u/%u remote %u/%u%s", concused[0], cfg.conc[0], concused[1], cfg.conc[1],
         flagexitasap ? " exitasap" : "");
}

static int del_avail(int c)
{
  return flagspawnalive[c] && !flagexitasap && concused[c] < cfg.conc[c] &&
         commout[c].len - commpos[c] < COMMMAX;
}

static int del_canexit(void)
{
  for (int c = 0; c < CHANNELS; ++c)
    if (flagspawnalive[c] && concused[c]) return 0;
  return 1;
}

static void comm_flush(int c)
{
  while (flagspawnalive[c] && commpos[c] < commout[c].len) {
    ssize_t w = write(chanfdout[c], commout[c].s + commpos[c], commout[c].len - commpos[c]);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) spawndied(c);
      return;
    }
    commpos[c] += (size_t)w;
  }
  if (commpos[c] == commout[c].len) commout[c].len = commpos[c] = 0;
}

static int del_start(int j, size_t mpos, const char *rcpt)
{
  struct job *p = &jo[j];
  int c = p->c;
  unsigned i;
  sb *o = &commout[c];
  size_t mark = o->len;
  for (i = 0; i < MAXSLOTS; ++i) if (!d[c][i].used) break;
  if (i == MAXSLOTS) return 0;
  while (!sb_copys(&d[c][i].rcpt, rcpt)) nomem();
  /* slot, id, sender (VERP-expanded), recipient */
  {
    sb snd = SB_INIT;
    while (!rewrite_verp(p->sender.s ? p->sender.s : "", rcpt, &snd)) nomem();
    while (!sb_catc(o, (char)i) || !sb_catu64(o, p->id) || !sb_cat0(o) ||
           !sb_catsb(o, &snd) || !sb_cat0(o) || !sb_cats(o, rcpt) || !sb_cat0(o)) {
      sb_trunc(o, mark); nomem();
    }
    sb_free(&snd);
  }
  d[c][i].used = 1; d[c][i].j = j; d[c][i].mpos = mpos; d[c][i].delid = masterdelid++;
  p->refs++; p->numtodo++;
  concused[c]++;
  {
    sb line = SB_INIT;
    while (!sb_fmt(&line, "starting delivery %llu: msg %llu to %s ", (unsigned long long)d[c][i].delid,
                   (unsigned long long)p->id, c ? "remote" : "local") ||
           !qslog_safes(&line, rcpt) || !sb_catc(&line, '\n')) { line.len = 0; nomem(); }
    logsb(&line);
    sb_free(&line);
  }
  del_status();
  comm_flush(c);
  return 1;
}

static void markdone(int c, uint64_t id, size_t pos)
{
  int fd;
  fnmake(&fn, chandir[c], id);
  fd = open(fn.s, O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    int ok = pwrite(fd, "D", 1, (off_t)pos) == 1 && fsync(fd) == 0;
    if (close(fd) == 0 && ok) return;
  }
  log3("warning: trouble marking ", fn.s, "; message will be delivered twice!");
}

/* A spawner's report for slot: K delivered, Z deferred, D failed. */
static void del_report(int c, unsigned slot, sb *text)
{
  struct del *x;
  struct job *p;
  char kind;
  sb line = SB_INIT;
  if (slot >= MAXSLOTS || !d[c][slot].used) {
    log3("warning: internal error: delivery report out of range", "", "");
    return;
  }
  x = &d[c][slot];
  p = &jo[x->j];
  kind = text->len ? text->s[0] : 0;
  if (kind == 'Z' && p->dying) {
    text->s[0] = 'D';
    kind = 'D';
    while (!bounce_lifetime(text)) nomem();
  }
  const char *what = kind == 'K' ? "success: " : kind == 'Z' ? "deferral: " : kind == 'D' ? "failure: " : 0;
  if (what) {
    while (!sb_fmt(&line, "delivery %llu: %s", (unsigned long long)x->delid, what) ||
           !qslog_safe(&line, text->s + 1, text->len - 1) || !sb_catc(&line, '\n')) { line.len = 0; nomem(); }
    logsb(&line);
  } else
    logfmt("delivery %llu: report mangled, will defer", (unsigned long long)x->delid);
  sb_free(&line);
  if (kind == 'K') {
    markdone(c, p->id, x->mpos);
    p->numtodo--;
  } else if (kind == 'D') {
    if (addbounce(p->id, x->rcpt.s, text->s + 1, text->len - 1)) {
      markdone(c, p->id, x->mpos);
      p->numtodo--;
    }
  }
  x->used = 0;
  concused[c]--;
  job_close(x->j);
  del_status();
}

/* Spawner replies: <slot byte><K|Z|D><text>\0 */
struct reader {
  int haveslot;
  unsigned char slot;
  int overflow;
  sb rec;
};
static struct reader rep[CHANNELS];

static void del_read(int c)
{
  char buf[4096];
  ssize_t r = read(chanfdin[c], buf, sizeof buf);
  if (r < 0) { if (errno != EINTR && errno != EAGAIN) spawndied(c); return; }
  if (r == 0) { spawndied(c); return; }
  for (ssize_t i = 0; i < r; ++i) {
    struct reader *x = &rep[c];
    if (!x->haveslot) { x->slot = (unsigned char)buf[i]; x->haveslot = 1; x->rec.len = 0; x->overflow = 0; continue; }
    if (buf[i]) {
      if (x->rec.len < REPORTMAX) { while (!sb_catc(&x->rec, buf[i])) nomem(); }
      continue;
    }
    x->haveslot = 0;
    del_report(c, x->slot, &x->rec);
  }
}

/* --------------------------------------------------------------- passes */

struct pass { int active; int j; };
static struct pass pass[CHANNELS];

static int pass_open(int c)
{
  struct prioq_elt pe;
  int64_t birth;
  int j, fd;
  struct stat st;
  if (!prioq_min(&pqchan[c], &pe) || pe.due > recent) return 0;
  j = job_open(pe.id, c);
  if (j < 0) return 0;
  prioq_delmin(&pqchan[c]);
  struct job *p = &jo[j];
  fnmake(&fn, chandir[c], pe.id);
  fd = open(fn.s, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {          /* finished by a crash-restart sequence; check the message */
      p->used = 0;
      pqins(&pqdone, recent, pe.id);
      return 1;
    }
    goto trouble;
  }
  if (fstat(fd, &st) < 0 || st.st_size > CHANMAX) { close(fd); goto trouble; }
  close(fd);
  if (io_readfile(fn.s, &p->file, CHANMAX) < 0) goto trouble;
  if (!getinfo(pe.id, &p->sender, &birth)) { fnmake(&fn, "info", pe.id); goto trouble; }
  p->retry = sched_nextretry(birth, recent, chanskip[c]);
  p->dying = sched_dying(birth, recent, cfg.lifetime);
  pass[c].active = 1;
  pass[c].j = j;
  return 1;
trouble:
  log3("warning: trouble opening ", fn.s, "; will try again later");
  p->used = 0;
  pqins(&pqchan[c], recent + SLEEP_SYSFAIL, pe.id);
  return 1;
}

static void pass_close(int c, int eof)
{
  struct job *p = &jo[pass[c].j];
  pass[c].active = 0;
  if (eof) p->hiteof = 1;
  else p->trouble = 1;
  job_close(pass[c].j);
}

/* Start deliveries on channel c while slots are free. */
static void pass_dochan(int c)
{
  if (flagexitasap) return;
  for (;;) {
    if (!pass[c].active) {
      if (!del_avail(c) || !pass_open(c)) return;
      continue;
    }
    struct job *p = &jo[pass[c].j];
    /* skip finished recipients; close the pass at the end of the file */
    for (;;) {
      if (p->pos >= p->file.len) { pass_close(c, 1); break; }
      const char *rec = p->file.s + p->pos;
      const char *z = memchr(rec, 0, p->file.len - p->pos);
      if (!z || (rec[0] != 'T' && rec[0] != 'D')) {
        fnmake(&fn, chandir[c], p->id);
        log3("warning: unknown record type in ", fn.s, "!");
        pass_close(c, 0);
        break;
      }
      if (rec[0] == 'D') { p->pos += (size_t)(z - rec) + 1; continue; }
      if (!del_avail(c) || !del_start(pass[c].j, p->pos, rec + 1)) return;
      p->pos += (size_t)(z - rec) + 1;
    }
  }
}

/* ----------------------------------------------------------- qmail-todo */

static int flagtodoalive = 1;
static struct reader todorec;

static void tododied(void)
{
  log3("alert: oh no! lost qmail-todo connection! dying...", "", "");
  flagexitasap = 1;
  exitcode = 111;
}

static void todo_record(sb *r)
{
  uint64_t id;
  if (r->len >= 3 && r->s[0] == 'D') {
    if (!r->s[1] || !strchr("LRBN", r->s[1]) || !scan_u64(r->s + 2, r->len - 2, &id)) {
      log3("warning: qmail-send unable to understand qmail-todo", "", "");
      return;
    }
    if (!flagexitasap) pqadd(id);
    return;
  }
  if (r->len >= 1 && r->s[0] == 'L') {
    sb line = SB_INIT;
    size_t n = r->len - 1;
    if (n && r->s[r->len - 1] == '\n') --n;
    while (!sb_catb(&line, r->s + 1, n) || !sb_catc(&line, '\n')) { line.len = 0; nomem(); }
    for (size_t i = 0; i + 1 < line.len; ++i) if (line.s[i] == '\n') line.s[i] = '/';
    logsb(&line);
    sb_free(&line);
    return;
  }
  log3("warning: qmail-send unable to understand qmail-todo: report mangled", "", "");
}

static void todo_read(void)
{
  char buf[4096];
  ssize_t r = read(FD_FROMTODO, buf, sizeof buf);
  if (r < 0) { if (errno != EINTR && errno != EAGAIN) { flagtodoalive = 0; if (!flagexitasap) tododied(); } return; }
  if (r == 0) {
    flagtodoalive = 0;
    if (!flagexitasap) tododied();
    return;
  }
  for (ssize_t i = 0; i < r; ++i) {
    if (buf[i]) {
      if (todorec.rec.len < REPORTMAX) { while (!sb_catc(&todorec.rec, buf[i])) nomem(); }
      continue;
    }
    todo_record(&todorec.rec);
    todorec.rec.len = 0;
  }
}

/* 1 written; H may be dropped when the pipe is full (qmail-todo is busy) */
static int todo_tell(char ch)
{
  if (!flagtodoalive) return 0;
  return write(FD_TOTODO, &ch, 1) == 1;
}

/* -------------------------------------------------------------- scans */

static int numeric(const char *s, uint64_t *id) { return scan_u64s(s, id); }

static void scan_info(void)
{
  sb sub = SB_INIT;
  DIR *dd;
  struct dirent *de;
  for (unsigned s = 0; s < qsplit(); ++s) {
    sub.len = 0;
    while (!sb_cats(&sub, "info/") || !sb_catu64(&sub, s)) { sub.len = 0; nomem(); }
    dd = opendir(sub.s);
    if (!dd) { log3("warning: unable to opendir ", sub.s, ""); continue; }
    while ((de = readdir(dd))) {
      uint64_t id;
      if (numeric(de->d_name, &id)) pqadd(id);
    }
    closedir(dd);
  }
  sb_free(&sub);
}

/* Leftovers: info/done.* from an interrupted finish, and mess/ or intd/
 * files of a qmail-queue that died (no todo/ and no info/, old). */
static void cleanup(void)
{
  DIR *dd = opendir("info");
  struct dirent *de;
  sb sub = SB_INIT;
  if (dd) {
    while ((de = readdir(dd))) {
      uint64_t id;
      if (!strncmp(de->d_name, "done.", 5) && numeric(de->d_name + 5, &id)) finish_done(id);
    }
    closedir(dd);
  }
  for (int k = 0; k < 2; ++k) {
    const char *dir = k ? "intd" : "mess";
    for (unsigned s = 0; s < qsplit(); ++s) {
      sub.len = 0;
      while (!sb_cats(&sub, dir) || !sb_catc(&sub, '/') || !sb_catu64(&sub, s)) { sub.len = 0; nomem(); }
      dd = opendir(sub.s);
      if (!dd) continue;
      while ((de = readdir(dd))) {
        uint64_t id;
        struct stat st;
        if (!numeric(de->d_name, &id) || idset_has(&known, id)) continue;
        fnmake(&fn, dir, id);
        if (stat(fn.s, &st) < 0) continue;
        if (recent <= st.st_mtime + OSSIFIED || recent <= st.st_ctime + OSSIFIED) continue;
        fnmake(&fn, "info", id);
        if (exists(fn.s, 0) != 0) continue;
        fnmake(&fn, "todo", id);
        if (exists(fn.s, 0) != 0) continue;
        fnmake_done(&fn, id);
        if (exists(fn.s, 0) != 0) continue;
        clean_mess(id);
      }
      closedir(dd);
    }
  }
  sb_free(&sub);
}

/* ---------------------------------------------------------------- main */

static void reread(void)
{
  struct config n;
  memset(&n, 0, sizeof n);
  if (!config_read(&n)) {
    config_free(&n);
    log3("alert: unable to reread controls", "", "");
  } else {
    config_free(&cfg);
    cfg = n;
  }
  todo_tell('H');
  for (int c = 0; c < CHANNELS; ++c)
    if (flagspawnalive[c]) {
      while (!sb_catc(&commout[c], (char)0xff)) nomem();
      comm_flush(c);
    }
}

/* On a clean exit the next retry times go into the channel files' mtimes,
 * where pqadd() finds them after a restart. */
static void pqfinish(void)
{
  for (int c = 0; c < CHANNELS; ++c)
    for (size_t i = 0; i < pqchan[c].len; ++i) {
      struct utimbuf ut;
      ut.actime = ut.modtime = (time_t)pqchan[c].p[i].due;
      fnmake(&fn, chandir[c], pqchan[c].p[i].id);
      if (utime(fn.s, &ut) < 0 && errno != ENOENT)
        log3("warning: unable to utime ", fn.s, "; message will be retried too soon");
    }
}

static void setup_signals(void)
{
  struct sigaction sa;
  sigset_t block;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = SIG_IGN; sigaction(SIGPIPE, &sa, 0);
  sa.sa_handler = SIG_DFL; sigaction(SIGCHLD, &sa, 0);
  sa.sa_handler = sigterm; sigaction(SIGTERM, &sa, 0);
  sa.sa_handler = sigalrm; sigaction(SIGALRM, &sa, 0);
  sa.sa_handler = sighup; sigaction(SIGHUP, &sa, 0);
  /* delivered only inside ppoll(), so no wakeup is lost */
  sigemptyset(&block);
  sigaddset(&block, SIGTERM); sigaddset(&block, SIGALRM); sigaddset(&block, SIGHUP);
  sigprocmask(SIG_BLOCK, &block, &sigorig);
}

static void startup(void)
{
  int fd;
  for (fd = 3; fd <= 10; ++fd)
    if (fcntl(fd, F_GETFD) < 0) { logfmt("alert: cannot start: descriptor %d is not open", fd); _exit(111); }
  if (chdir(AUTO_QMAIL) < 0) { log3("alert: cannot start: unable to switch to home directory", "", ""); _exit(111); }
  if (!config_read(&cfg)) { log3("alert: cannot start: unable to read controls", "", ""); _exit(111); }
  if (chdir("queue") < 0) { log3("alert: cannot start: unable to switch to queue directory", "", ""); _exit(111); }
  umask(077);
  fd = open("lock/sendmutex", O_WRONLY | O_CLOEXEC);
  if (fd < 0) { log3("alert: cannot start: unable to open mutex", "", ""); _exit(111); }
  if (lock_exnb(fd) < 0) { log3("alert: cannot start: qmail-send is already running", "", ""); _exit(111); }
  for (int c = 0; c < CHANNELS; ++c)
    if (fd_nonblock(chanfdout[c]) < 0) spawndied(c);
  fd_nonblock(FD_TOTODO);
  setup_signals();
}

static int64_t wakeup_time(void)
{
  struct prioq_elt pe;
  int64_t w = recent + SLEEP_FOREVER;
  if (!flagexitasap)
    for (int c = 0; c < CHANNELS; ++c) {
      if (!del_avail(c)) continue;
      if (pass[c].active) return recent;
      if (prioq_min(&pqchan[c], &pe) && pe.due < w) w = pe.due;
    }
  if (prioq_min(&pqfail, &pe) && pe.due < w) w = pe.due;
  if (prioq_min(&pqdone, &pe) && pe.due < w) w = pe.due;
  return w;
}

static void loop(void)
{
  int64_t nextcleanup = 0;
  int xsent = 0;
  while (!flagexitasap || !del_canexit() || flagtodoalive) {
    struct pollfd pf[8];
    nfds_t n = 0;
    int idx_in[CHANNELS] = {-1, -1}, idx_out[CHANNELS] = {-1, -1}, idx_todo = -1, idx_clean = -1;
    struct timespec ts;
    int64_t w;
    struct prioq_elt pe;

    recent = time(0);
    if (flagrunasap) {
      flagrunasap = 0;
      for (int c = 0; c < CHANNELS; ++c) prioq_setall(&pqchan[c], recent);
    }
    if (flagreadasap) { flagreadasap = 0; reread(); }
    if (flagexitasap && !xsent) {
      xsent = !flagtodoalive || todo_tell('X');
      if (xsent) del_status();
    }

    for (int c = 0; c < CHANNELS; ++c) {
      if (!flagspawnalive[c]) continue;
      idx_in[c] = (int)n; pf[n].fd = chanfdin[c]; pf[n].events = POLLIN; n++;
      if (commpos[c] < commout[c].len) { idx_out[c] = (int)n; pf[n].fd = chanfdout[c]; pf[n].events = POLLOUT; n++; }
    }
    if (flagtodoalive) { idx_todo = (int)n; pf[n].fd = FD_FROMTODO; pf[n].events = POLLIN; n++; }
    /* qmail-clean only answers requests: anything readable now is its end */
    if (flagcleanalive) { idx_clean = (int)n; pf[n].fd = FD_FROMCLEAN; pf[n].events = POLLIN; n++; }
    w = wakeup_time();
    if (!flagexitasap && nextcleanup < w) w = nextcleanup;
    if (!xsent && flagexitasap && w > recent + 1) w = recent + 1;
    ts.tv_sec = w > recent ? (time_t)(w - recent + 1) : 0;
    if (ts.tv_sec > SLEEP_FOREVER) ts.tv_sec = SLEEP_FOREVER;
    ts.tv_nsec = 0;
    int k = ppoll(pf, n, &ts, &sigorig);
    if (k < 0) {
      if (errno != EINTR) log3("warning: trouble in poll", "", "");
      continue;
    }
    recent = time(0);
    for (int c = 0; c < CHANNELS; ++c) {
      if (idx_out[c] >= 0 && pf[idx_out[c]].revents) comm_flush(c);
      if (idx_in[c] >= 0 && pf[idx_in[c]].revents && flagspawnalive[c]) del_read(c);
    }
    if (idx_todo >= 0 && pf[idx_todo].revents) todo_read();
    if (idx_clean >= 0 && pf[idx_clean].revents) clean_check();
    for (int c = 0; c < CHANNELS; ++c) pass_dochan(c);
    if (prioq_min(&pqfail, &pe) && pe.due <= recent) { prioq_delmin(&pqfail); pqadd(pe.id); }
    for (int i = 0; i < DONEPERLOOP && prioq_min(&pqdone, &pe) && pe.due <= recent; ++i) {
      prioq_delmin(&pqdone);
      messdone(pe.id);
    }
    if (!flagexitasap && recent >= nextcleanup) { cleanup(); nextcleanup = recent + SLEEP_CLEANUP; }
  }
}

int main(void)
{
  startup();
  recent = time(0);
  del_status();
  scan_info();
  loop();
  pqfinish();
  log3("status: exiting", "", "");
  return exitcode;
}
