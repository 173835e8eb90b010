/* qmail-todo: turns todo/ entries into info/, local/ and remote/ files and
 * tells qmail-send about them (INTERNALS 3). Crash safety: every file is
 * written and fsync'd before qmail-clean removes todo/, and qmail-send
 * learns of a message only after that, so a crash at any point leaves
 * either todo/ (redone here) or a complete info/ (announced here at start
 * and loaded by qmail-send). */
#include "auto.h"
#include "ctl.h"
#include "die.h"
#include "idset.h"
#include "io.h"
#include "qslog.h"
#include "queue.h"
#include "rewrite.h"
#include "sb.h"
#include <cdb.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *progname = "qmail-todo";

#define FD_FROMSEND 0
#define FD_TOSEND 1
#define FD_TOCLEAN 7
#define FD_FROMCLEAN 8
#define RESCAN 1800                 /* seconds between full scans without trigger */
#define RESCAN_NOTRIGGER 5
#define ENVMAX (64 * 1024 * 1024)   /* largest envelope accepted */

struct controls {
  sb locals, vdoms, percent, envnoathost;
};

static struct controls ctl;
static struct idset warned;         /* malformed todo entries already reported */
static int trigger = -1;
static int flagexit;

/* ---------------------------------------------------------------- output */

static void put_record(char type, const char *text, size_t n)
{
  sb rec = SB_INIT;
  if (!sb_catc(&rec, type) || !sb_catb(&rec, text, n) || !sb_cat0(&rec)) die_nomem();
  if (io_writeall(FD_TOSEND, rec.s, rec.len) < 0) _exit(111);   /* qmail-send is gone */
  sb_free(&rec);
}

static void logline(const sb *line) { put_record('L', line->s, line->len); }

static void logmsg(const char *a, const char *b, const char *c)
{
  sb line = SB_INIT;
  if (!sb_cats(&line, a) || !sb_cats(&line, b) || !sb_cats(&line, c)) die_nomem();
  logline(&line);
  sb_free(&line);
}

static void announce(uint64_t id, int haslocal, int hasremote)
{
  char c = haslocal ? (hasremote ? 'B' : 'L') : (hasremote ? 'R' : 'N');
  sb rec = SB_INIT;
  if (!sb_catc(&rec, c) || !sb_catu64(&rec, id)) die_nomem();
  put_record('D', rec.s, rec.len);
  sb_free(&rec);
}

/* ------------------------------------------------------------- controls */

static int read_controls(struct controls *c)
{
  if (ctl_list("locals", &c->locals) < 0) return 0;
  if (ctl_list("virtualdomains", &c->vdoms) < 0) return 0;
  if (ctl_list("percenthack", &c->percent) < 0) return 0;
  if (ctl_line("envnoathost", &c->envnoathost) < 0) return 0;
  if (!c->envnoathost.len && !sb_copys(&c->envnoathost, "envnoathost")) return 0;
  return 1;
}

static void reread(void)
{
  struct controls n = {SB_INIT, SB_INIT, SB_INIT, SB_INIT};
  if (!read_controls(&n)) {
    sb_free(&n.locals); sb_free(&n.vdoms); sb_free(&n.percent); sb_free(&n.envnoathost);
    logmsg("alert: unable to reread controls", "", "");
    return;
  }
  sb_free(&ctl.locals); sb_free(&ctl.vdoms); sb_free(&ctl.percent); sb_free(&ctl.envnoathost);
  ctl = n;
}

/* locals.cdb replaces locals and is read on the fly (no HUP needed) */
struct localscdb {
  int fd;
  struct cdb cdb;
  sb key;
};

static int cdb_islocal(void *ctx, const char *dom, size_t n)
{
  struct localscdb *l = ctx;
  int r;
  if (!sb_copyb(&l->key, dom, n)) return -1;
  sb_lower(&l->key);
  if (l->key.len > 0xffffffffu) return 0;
  r = cdb_find(&l->cdb, l->key.s, (unsigned)l->key.len);
  return r < 0 ? -1 : r > 0;
}

/* 1 opened, 0 no locals.cdb, -1 error */
static int localscdb_open(struct localscdb *l)
{
  sb path = SB_INIT;
  l->key.s = 0; l->key.len = l->key.cap = 0;
  if (!sb_cats(&path, ctl_dir()) || !sb_cats(&path, "/locals.cdb")) { sb_free(&path); return -1; }
  l->fd = open(path.s, O_RDONLY | O_CLOEXEC);
  sb_free(&path);
  if (l->fd < 0) return errno == ENOENT ? 0 : -1;
  if (cdb_init(&l->cdb, l->fd) < 0) { close(l->fd); return -1; }
  return 1;
}

static void localscdb_close(struct localscdb *l)
{
  cdb_free(&l->cdb);
  close(l->fd);
  sb_free(&l->key);
}

/* ---------------------------------------------------------------- files */

static int write_file(const char *path, const sb *data)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return 0;
  if (io_writeall(fd, data->s, data->len) < 0 || fsync(fd) < 0) { close(fd); return 0; }
  return close(fd) == 0;
}

/* fd 8 readable between requests: qmail-clean has exited */
static void clean_gone(void)
{
  logmsg("alert: oh no! lost qmail-clean connection! dying...", "", "");
  _exit(111);
}

static int clean_todo(uint64_t id)
{
  sb req = SB_INIT;
  char ch;
  ssize_t r;
  if (!sb_catc(&req, 'T') || !sb_catu64(&req, id) || !sb_cat0(&req)) die_nomem();
  if (io_writeall(FD_TOCLEAN, req.s, req.len) < 0) die(111, "lost qmail-clean connection");
  sb_free(&req);
  do r = read(FD_FROMCLEAN, &ch, 1); while (r < 0 && errno == EINTR);
  if (r != 1) clean_gone();
  return ch == '+';
}

static void warn_todo(uint64_t id, const sb *fn, const char *why)
{
  if (idset_has(&warned, id)) return;
  if (!idset_add(&warned, id)) die_nomem();
  logmsg("warning: trouble with ", fn->s, why);
}

/* Build the info record: F<sender>\0 then the u and p records. */
static int info_record(const struct envelope *e, sb *out)
{
  out->len = 0;
  if (!sb_catc(out, 'F') || !sb_catsb(out, &e->sender) || !sb_cat0(out)) return 0;
  if (e->has_uid && (!sb_catc(out, 'u') || !sb_catu64(out, e->uid) || !sb_cat0(out))) return 0;
  if (e->has_pid && (!sb_catc(out, 'p') || !sb_catu64(out, e->pid) || !sb_cat0(out))) return 0;
  return 1;
}

static void log_info(uint64_t id, uint64_t bytes, const struct envelope *e)
{
  sb line = SB_INIT;
  if (!sb_cats(&line, "info msg ") || !sb_catu64(&line, id) || !sb_cats(&line, ": bytes ") ||
      !sb_catu64(&line, bytes) || !sb_cats(&line, " from <") ||
      !qslog_safe(&line, e->sender.s ? e->sender.s : "", e->sender.len) ||
      !sb_cats(&line, "> qp ") || !sb_catu64(&line, e->pid) || !sb_cats(&line, " uid ") ||
      !sb_catu64(&line, e->uid)) die_nomem();
  logline(&line);
  sb_free(&line);
}

/* Process todo/<split>/<id>. Leaves todo/ in place on any trouble. */
static void process(uint64_t id)
{
  static const char *const chdirs[2] = {"local", "remote"};
  sb fn = SB_INIT, buf = SB_INIT, info = SB_INIT, chan[2] = {SB_INIT, SB_INIT}, num = SB_INIT;
  struct envelope e;
  struct stat st;
  struct localscdb lc;
  struct rewrite rw;
  int r, c, cdbopen;

  envelope_init(&e);
  if (!qpath(&fn, "todo", id)) die_nomem();
  if (io_readfile(fn.s, &buf, ENVMAX) < 0) {
    if (errno != ENOENT) warn_todo(id, &fn, errno == EFBIG ? ": envelope too large" : ": unable to read");
    goto done;
  }
  if (envelope_parse(buf.s, buf.len, &e) < 0) { warn_todo(id, &fn, ": malformed envelope"); goto done; }
  if (!qpath(&fn, "mess", id)) die_nomem();
  if (stat(fn.s, &st) < 0) { warn_todo(id, &fn, ": unable to stat message"); goto done; }

  cdbopen = localscdb_open(&lc);
  if (cdbopen < 0) { logmsg("warning: unable to read ", ctl_dir(), "/locals.cdb; will try again later"); goto done; }
  rw.locals = &ctl.locals; rw.islocal = cdbopen ? cdb_islocal : 0; rw.ctx = &lc;
  rw.vdoms = &ctl.vdoms; rw.percenthack = &ctl.percent; rw.envnoathost = ctl.envnoathost.s;
  r = rewrite_split(&rw, e.rcpts.s ? e.rcpts.s : "", e.rcpts.len, chan);
  if (cdbopen) localscdb_close(&lc);
  if (r == REWRITE_NOMEM) die_nomem();
  if (r != REWRITE_LOCAL) { logmsg("warning: unable to read ", ctl_dir(), "/locals.cdb; will try again later"); goto done; }

  /* info first: qmail-send keys on it, but ignores it while todo/ exists */
  if (!info_record(&e, &info) || !qpath(&fn, "info", id)) die_nomem();
  if (!write_file(fn.s, &info) || fsync_dir(fn.s) < 0) { logmsg("warning: trouble writing ", fn.s, ""); goto done; }
  for (c = 0; c < 2; ++c) {
    if (!qpath(&fn, chdirs[c], id)) die_nomem();
    if (chan[c].len) {
      if (!write_file(fn.s, &chan[c]) || fsync_dir(fn.s) < 0) { logmsg("warning: trouble writing ", fn.s, ""); goto done; }
    } else if (unlink(fn.s) < 0 && errno != ENOENT) {   /* left by an earlier attempt */
      logmsg("warning: unable to unlink ", fn.s, ""); goto done;
    }
  }

  if (!sb_catu64(&num, id)) die_nomem();
  logmsg("new msg ", num.s, "");
  log_info(id, (uint64_t)st.st_size, &e);
  if (!clean_todo(id)) {
    if (!qpath(&fn, "todo", id)) die_nomem();
    logmsg("warning: qmail-clean unable to clean up ", fn.s, "");
    goto done;
  }
  announce(id, chan[0].len > 0, chan[1].len > 0);
done:
  envelope_free(&e);
  sb_free(&fn); sb_free(&buf); sb_free(&info); sb_free(&chan[0]); sb_free(&chan[1]); sb_free(&num);
}

/* ---------------------------------------------------------------- input */

/* Handle what qmail-send sent; wait up to ms milliseconds for it. */
static void from_send(int ms)
{
  struct pollfd p = { .fd = FD_FROMSEND, .events = POLLIN };
  char buf[64];
  ssize_t n;
  if (poll(&p, 1, ms) <= 0) return;
  n = read(FD_FROMSEND, buf, sizeof buf);
  if (n < 0) { if (errno == EINTR || errno == EAGAIN) return; flagexit = 1; return; }
  if (n == 0) { flagexit = 1; return; }
  for (ssize_t i = 0; i < n; ++i) {
    if (buf[i] == 'H') reread();
    else if (buf[i] == 'X') flagexit = 1;
  }
}

static int numeric(const char *s, uint64_t *id) { return scan_u64s(s, id); }

/* Scan one hashed directory level: calls fn(id) for each numeric entry. */
static void scan_dir(const char *dir, void (*fn)(uint64_t))
{
  sb sub = SB_INIT;
  for (unsigned s = 0; s < qsplit() && !flagexit; ++s) {
    DIR *d;
    struct dirent *de;
    sub.len = 0;
    if (!sb_cats(&sub, dir) || !sb_catc(&sub, '/') || !sb_catu64(&sub, s)) die_nomem();
    d = opendir(sub.s);
    if (!d) { logmsg("warning: unable to opendir ", sub.s, ""); continue; }
    while (!flagexit && (de = readdir(d))) {
      uint64_t id;
      if (!numeric(de->d_name, &id)) continue;
      fn(id);
      from_send(0);
    }
    closedir(d);
  }
  sb_free(&sub);
}

/* An info/ entry without todo/ is complete: tell qmail-send (it ignores
 * ids it already has). This catches messages finished by an earlier
 * qmail-todo whose qmail-send died before hearing of them. */
static void announce_info(uint64_t id)
{
  static const char *const chdirs[2] = {"local", "remote"};
  sb fn = SB_INIT;
  struct stat st;
  int has[2];
  if (!qpath(&fn, "todo", id)) die_nomem();
  if (stat(fn.s, &st) == 0 || errno != ENOENT) { sb_free(&fn); return; }
  for (int c = 0; c < 2; ++c) {
    if (!qpath(&fn, chdirs[c], id)) die_nomem();
    has[c] = stat(fn.s, &st) == 0;
  }
  sb_free(&fn);
  announce(id, has[0], has[1]);
}

static void drain_trigger(void)
{
  char buf[256];
  while (trigger >= 0 && read(trigger, buf, sizeof buf) > 0) {}
}

static void lock_queue(void)
{
  /* one qmail-todo at a time: a new one waits for a dying one to finish */
  int fd = open("info", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) die(111, "unable to open info/");
  if (lock_exnb(fd) < 0) {
    logmsg("status: waiting for the previous qmail-todo to exit", "", "");
    if (lock_ex(fd) < 0) die(111, "unable to lock info/");
  }
}

static void run(void)
{
  time_t nextscan = 0;
  int every = RESCAN;
  trigger = open("lock/trigger", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (trigger < 0) {
    logmsg("warning: unable to open lock/trigger; polling todo/", "", "");
    every = RESCAN_NOTRIGGER;
  }
  scan_dir("info", announce_info);
  while (!flagexit) {
    struct pollfd p[3] = { { .fd = FD_FROMSEND, .events = POLLIN }, { .fd = FD_FROMCLEAN, .events = POLLIN },
                           { .fd = trigger, .events = POLLIN } };
    time_t now = time(0);
    int k, scan = 0;
    if (now >= nextscan) {
      scan = 1;
      idset_free(&warned);       /* repeat warnings about bad entries now and then */
      nextscan = now + every;
    } else {
      k = poll(p, trigger >= 0 ? 3 : 2, (int)(nextscan - now) * 1000);
      if (k < 0 && errno != EINTR) die(111, "poll failed");
      if (k > 0 && p[0].revents) from_send(0);
      if (k > 0 && p[1].revents) clean_gone();
      if (k > 0 && trigger >= 0 && p[2].revents) scan = 1;
    }
    if (scan && !flagexit) {
      drain_trigger();          /* before scanning, so a later pull is seen */
      scan_dir("todo", process);
    }
  }
}

int main(void)
{
  signal(SIGPIPE, SIG_IGN);
  if (chdir(AUTO_QMAIL) < 0 || chdir("queue") < 0) die(111, "unable to chdir to %s/queue", AUTO_QMAIL);
  umask(077);
  if (!read_controls(&ctl)) die(111, "unable to read controls");
  lock_queue();
  run();
  return 0;
}
