/* qmail-verify: answers qmail-smtpd's RCPTCHECK and SENDERCHECK
 * questions (INTERNALS 9) the way delivery would decide them: the
 * directory first (one search for the whole catch-all chain, one kept
 * connection), then users/cdb, passwd and ~alias as qmail-lspawn falls
 * back to them, and for recipients the quota and mailSizeMax delivery
 * would apply.
 *
 * Privileges: installed setuid root only so that a Maildir's maildirsize
 * (readable by its owner alone) can be read. At start a tiny child keeps
 * root and does nothing but read usage "<uid> <gid> <maildir>" as that
 * user (setfsuid); the rest drops to the caller (qmail-smtpd's qmaild)
 * before reading a control file or talking to the directory. */
#include "auto.h"
#include "ctl.h"
#include "die.h"
#include "dotqmail.h"
#include "io.h"
#include "priv.h"
#include "qldap.h"
#include "qllookup.h"
#include "qlpolicy.h"
#include "qlverify.h"
#include "qmail-ldap.h"
#include "qslog.h"
#include "quota.h"
#include "rd.h"
#include "sb.h"
#include "users.h"
#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const char *progname = "qmail-verify";

#define ADDR_MAX 1000          /* INTERNALS 9 */
#define SIZE_DIGITS 20
#define QR_TIMEOUT 30          /* seconds the quota reader may take for one answer */
#define QR_LINE_MAX 4200       /* one request to the quota reader */
#define QR_PATH_MAX 4000
#define QR_MAXFILE 5120        /* quota.c recounts a longer maildirsize, and so do we */
#define GETPW_USERLEN 32       /* as qmail-getpw */

static int loglevel;

static void logline(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logline(const char *fmt, ...)
{
  char buf[1024];
  va_list ap;
  int n = snprintf(buf, sizeof buf, "qmail-verify %ld: ", (long)getpid());
  if (n < 0 || (size_t)n >= sizeof buf) return;
  va_start(ap, fmt);
  int m = vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
  va_end(ap);
  if (m < 0) return;
  n += (size_t)m < sizeof buf - (size_t)n - 1 ? m : (int)(sizeof buf - (size_t)n - 2);
  buf[n++] = '\n';
  io_writeall(2, buf, (size_t)n);
}

/* ------------------------------------------------------------ the quota reader (root) */

/* <maildir>/maildirsize as the Maildir's owner. 1 usage known, 0 not:
 * no maildirsize (delivery has not counted yet: never refuse on a
 * guess), not a regular file, or unreadable. A long or malformed file is
 * recounted, as delivery would; so is every file when asked (recount). */
static int qr_usage(const char *maildir, int recount, struct usage *u)
{
  sb p = SB_INIT, buf = SB_INIT, def = SB_INIT;
  uint64_t lines;
  struct stat st;
  int ok = 0;
  char chunk[2048];
  if (!sb_copys(&p, maildir) || (p.s[p.len - 1] != '/' && !sb_catc(&p, '/')) || !sb_cats(&p, "maildirsize"))
    goto out;
  /* O_NONBLOCK: a FIFO planted there must not hang the reader */
  int fd = open(p.s, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) goto out;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) { close(fd); goto out; }
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) { close(fd); goto out; }
    if (n == 0) break;
    if (!sb_catb(&buf, chunk, (size_t)n)) { close(fd); goto out; }
    if (buf.len > QR_MAXFILE) break;
  }
  close(fd);
  if (!recount && buf.len <= QR_MAXFILE && quota_parse_file(buf.s, buf.len, &def, u, &lines) == 0) ok = 1;
  else ok = quota_recalc(maildir, u) == 0;
out:
  sb_free(&p); sb_free(&buf); sb_free(&def);
  return ok;
}

/* "<uid> <gid> <path>[ recount]": only the ids and paths delivery can
 * have (qlp_decide's range, never root; an absolute path qlp_path_ok
 * accepts). 1 usage known, 0 not (or refused). */
static int qr_serve(const char *line, struct usage *u)
{
  char f[4][QR_PATH_MAX + 1];
  size_t nf = 0;
  uint64_t uid, gid;
  /* exactly 3 or 4 fields, single spaces, none empty */
  for (const char *p = line;; ++p) {
    size_t n = strcspn(p, " ");
    if (!n || n > QR_PATH_MAX || nf == 4) return 0;
    memcpy(f[nf], p, n);
    f[nf++][n] = 0;
    p += n;
    if (!*p) break;
  }
  if (nf < 3 || (nf == 4 && strcmp(f[3], "recount"))) return 0;
  if (!scan_u64s(f[0], &uid) || !scan_u64s(f[1], &gid)) return 0;
  if (uid < UID_MIN || uid > UID_MAX || gid < GID_MIN || gid > GID_MAX) return 0;
  if (f[2][0] != '/' || !qlp_path_ok(f[2])) return 0;
  /* file access as the user (and only the user: setgroups was cleared) */
  setfsgid((gid_t)gid);
  setfsuid((uid_t)uid);
  int ok = 0;
  if ((uid_t)setfsuid((uid_t)-1) == (uid_t)uid && (gid_t)setfsgid((gid_t)-1) == (gid_t)gid)
    ok = qr_usage(f[2], nf == 4, u);
  setfsuid(0);
  setfsgid(0);
  return ok;
}

static noreturn void qr_main(int fd)
{
  struct rd r;
  sb line = SB_INIT, out = SB_INIT;
  int null = open("/dev/null", O_RDWR);
  /* not the protocol pipes: qmail-smtpd must see EOF when the parent dies */
  if (null < 0 || fd_copy(0, null) < 0 || fd_copy(1, null) < 0) _exit(111);
  if (null > 2) close(null);
  /* root for real (the caller cannot signal it), without the caller's groups */
  if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) _exit(111);
  signal(SIGPIPE, SIG_IGN);
  rd_init(&r, fd, 0);
  for (;;) {
    struct usage u;
    int k = rd_line(&r, &line, '\n', QR_LINE_MAX);
    if (k == RD_EOF) _exit(0);
    if (k != RD_OK) _exit(111);
    int known = !memchr(line.s, 0, line.len) && qr_serve(line.s, &u);
    out.len = 0;
    if (!(known ? sb_fmt(&out, "%lld %lld\n", (long long)u.size, (long long)u.count) : sb_copys(&out, "-\n")))
      _exit(111);
    if (io_writeall(fd, out.s, out.len) < 0) _exit(0);
  }
}

static int qr_fd = -1;
static pid_t qr_pid = -1;
static struct rd qr_rd;

static void qr_start(void)
{
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
    if (loglevel >= 3) logline("no quota checks: socketpair: %s", strerror(errno));
    return;
  }
  pid_t pid = fork();
  if (pid < 0) {
    if (loglevel >= 3) logline("no quota checks: fork: %s", strerror(errno));
    close(sv[0]); close(sv[1]);
    return;
  }
  if (pid == 0) { close(sv[0]); qr_main(sv[1]); }
  close(sv[1]);
  qr_fd = sv[0];
  qr_pid = pid;
  rd_init(&qr_rd, qr_fd, QR_TIMEOUT);
}

static void qr_stop(const char *why)
{
  if (qr_fd < 0) return;
  if (loglevel >= 3) logline("quota checks off for this session: %s", why);
  close(qr_fd);
  qr_fd = -1;
  kill(qr_pid, SIGKILL);
  while (waitpid(qr_pid, NULL, 0) < 0 && errno == EINTR) {}
  qr_pid = -1;
}

/* The mailbox's usage: 1 known, 0 unknown (no reader, no maildirsize,
 * trouble; a reader that fails once is not asked again). */
static int qr_ask(const struct qlv_mailbox *m, int recount, struct usage *u)
{
  sb req = SB_INIT, line = SB_INIT;
  int known = 0;
  if (qr_fd < 0 || !m->maildir.len) return 0;
  if (!sb_fmt(&req, "%llu %llu %s%s\n", (unsigned long long)m->uid, (unsigned long long)m->gid, m->maildir.s,
              recount ? " recount" : "")) goto out;
  if (io_writeall(qr_fd, req.s, req.len) < 0) { qr_stop("cannot write to the quota reader"); goto out; }
  int k = rd_line(&qr_rd, &line, '\n', 64);
  if (k != RD_OK) { qr_stop(k == RD_TIMEOUT ? "the quota reader timed out" : "the quota reader died"); goto out; }
  if (line.len == 1 && line.s[0] == '-') goto out;
  const char *sp = memchr(line.s, ' ', line.len);
  int64_t s, c;
  if (!sp || !scan_i64(line.s, (size_t)(sp - line.s), &s) || !scan_i64(sp + 1, line.len - (size_t)(sp + 1 - line.s), &c)) {
    qr_stop("bad answer from the quota reader");
    goto out;
  }
  u->size = s;
  u->count = c;
  known = 1;
out:
  sb_free(&req); sb_free(&line);
  return known;
}

/* ------------------------------------------------------------ no directory entry */

/* users/cdb as qmail-lspawn reads it: 1 found, 0 not, -1 trouble */
static int local_cdb(const char *local, size_t n, sb *why)
{
  struct cdb c;
  struct users_ent e;
  int fd = open(AUTO_QMAIL "/users/cdb", O_RDONLY | O_CLOEXEC), r;
  if (fd < 0) {
    if (errno == ENOENT) return 0;
    sb_fmt(why, "users/cdb: %s", strerror(errno));
    return -1;
  }
  users_init(&e);
  if (cdb_init(&c, fd) < 0) r = USERS_ERR;
  else { r = users_lookup(local, n, users_cdb_fetch, &c, &e); cdb_free(&c); }
  close(fd);
  users_free(&e);
  if (r == USERS_FOUND) return 1;
  if (r == USERS_NONE) return 0;
  sb_copys(why, "users/cdb: unreadable or bad record");
  return -1;
}

/* qmail-getpw's passwd rule: the local part, then each prefix before a
 * BREAK from the right, lower-cased; a user counts if uid != 0 and it
 * owns its home. 1 found, 0 not, -1 trouble. */
static int local_passwd(const char *local, size_t n, sb *why)
{
  for (size_t i = n + 1; i-- > 0;) {
    char name[GETPW_USERLEN];
    struct passwd *pw;
    struct stat st;
    if (i >= sizeof name) continue;
    if (i != n && (!AUTO_BREAK[0] || local[i] != AUTO_BREAK[0])) continue;
    if (!i) break;
    memcpy(name, local, i);
    name[i] = 0;
    for (size_t k = 0; k < i; ++k)
      if (name[k] >= 'A' && name[k] <= 'Z') name[k] = (char)(name[k] + 32);
    errno = 0;
    pw = getpwnam(name);
    if (!pw) {
      if (errno == EIO || errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == EAGAIN || errno == EINTR) {
        sb_fmt(why, "passwd: %s", strerror(errno));
        return -1;
      }
      continue;
    }
    if (!pw->pw_uid) continue;
    if (stat(pw->pw_dir, &st) < 0) {
      if (errno == ENOENT || errno == ENOTDIR || errno == EACCES || errno == ENAMETOOLONG || errno == ELOOP) continue;
      sb_fmt(why, "home of %s: %s", name, strerror(errno));
      return -1;
    }
    if (st.st_uid == pw->pw_uid) return 1;
  }
  return 0;
}

struct aliasctx { sb path, *why; };

/* dq_search callback: does ~alias/<name> exist as qmail-local would use it */
static int try_alias(void *ctx, const char *name)
{
  struct aliasctx *a = ctx;
  struct stat st;
  if (!sb_copys(&a->path, AUTO_ALIASHOME "/") || !sb_cats(&a->path, name)) return -1;
  if (stat(a->path.s, &st) == 0) return S_ISREG(st.st_mode) ? 1 : 0;
  if (errno == ENOENT || errno == ENOTDIR || errno == ENAMETOOLONG || errno == ELOOP) return 0;
  sb_fmt(a->why, "%s: %s", a->path.s, strerror(errno));
  return -1;
}

/* The alias user takes local when ~alias/.qmail-<local>, one of its
 * .qmail-<prefix>-default or .qmail-default exists (qmail-local bounces
 * otherwise). 1 found, 0 not, -1 trouble. */
static int local_alias(const char *local, size_t n, sb *why)
{
  struct aliasctx a = {SB_INIT, why};
  sb ext = SB_INIT;
  size_t defpos;
  int r = -1;
  if (sb_copyb(&ext, local, n)) r = dq_search("-", ext.s, try_alias, &a, &defpos);
  if (r < 0 && !why->len) sb_copys(why, "out of memory");
  sb_free(&a.path); sb_free(&ext);
  return r;
}

/* ------------------------------------------------------------ one request */

struct verifier {
  struct qlsetup s;
  struct qldap q;
  int ldap;            /* control/ldapserver is set */
};

/* No entry: what qmail-lspawn would do with the local part. */
static int local_lookup(const struct verifier *v, const char *addr, sb *why)
{
  const char *at = strrchr(addr, '@');
  size_t n = at ? (size_t)(at - addr) : strlen(addr);
  int r;
  if (!v->ldap || v->s.localdelivery) {
    if ((r = local_cdb(addr, n, why))) return r;
    if ((r = local_passwd(addr, n, why))) return r;
  }
  /* qmail-getpw's last resort, and all of ldaplocaldelivery 0 */
  return local_alias(addr, n, why);
}

static void verify(struct verifier *v, int kind, const char *addr, int hassize, uint64_t size, struct qlv_reply *r,
                   sb *why)
{
  struct qldap_entry e;
  struct qlv_mailbox m;
  int found = QLV_NOTFOUND, qwhy = QLW_NONE, rc = QLDAP_NOTFOUND;
  why->len = 0;
  if (!qlv_has_host(addr)) { qlv_decide(kind, addr, QLV_NOTFOUND, 0, NULL, 0, 0, NULL, r); return; }
  qldap_entry_init(&e);
  if (v->ldap) {
    rc = ql_lookup_mail1(&v->q, &v->s, addr, &e, NULL, NULL);
    if (rc == QLDAP_OK) found = QLV_ENTRY;
    else if (rc != QLDAP_NOTFOUND) {
      found = rc == QLDAP_TEMP ? QLV_TEMP : QLV_PERM;
      qwhy = v->q.why;
      sb_copys(why, v->q.err[0] ? v->q.err : qldap_why_text(qwhy));
    }
  }
  if (rc == QLDAP_NOTFOUND) {
    int k = local_lookup(v, addr, why);
    found = k > 0 ? QLV_LOCAL : k == 0 ? QLV_NOTFOUND : QLV_TEMP;
  }
  if (found != QLV_ENTRY) { qlv_decide(kind, addr, found, qwhy, NULL, hassize, size, NULL, r); return; }
  qlv_mailbox_init(&m);
  qlv_mailbox(&e, &v->s.pcfg, &m);
  qldap_entry_free(&e);
  struct usage u;
  int known = kind == 'R' && m.status == QLV_BOX_OK && (m.quota.size || m.quota.count) && qr_ask(&m, 0, &u);
  qlv_decide(kind, addr, found, qwhy, &m, hassize, size, known ? &u : NULL, r);
  /* maildirsize's deltas may be stale (deletions by a client that does
   * not update it): recount before refusing, as delivery does */
  if (r->quota) {
    known = qr_ask(&m, 1, &u);
    qlv_decide(kind, addr, found, qwhy, &m, hassize, size, known ? &u : NULL, r);
  }
  qlv_mailbox_free(&m);
}

/* ------------------------------------------------------------ setup and the protocol */

/* the default delivery as boot/qmail/run hands it to qmail-start */
static int defaultdelivery(sb *out)
{
  static const char *const names[] = {"defaultdelivery", "aliasempty"};
  for (size_t i = 0; i < 2; ++i) {
    int r = ctl_raw(names[i], out);
    if (r < 0) return -1;
    if (r > 0 && out->len && strspn(out->s, " \t\n") < out->len) return 0;
  }
  return sb_copys(out, "./Maildir/") ? 0 : -1;
}

static int setup(struct verifier *v)
{
  sb dd = SB_INIT;
  int ok = defaultdelivery(&dd) == 0 && qlsetup_read(&v->s, dd.s) == 0;
  sb_free(&dd);
  if (!ok) return -1;
  qldap_init(&v->q);
  v->q.cfg = v->s.lcfg;
  v->ldap = v->s.lcfg.servers.len > 0;
  return 0;
}

enum { REQ_OK, REQ_EOF, REQ_BAD };

/* <kind><address>\0<size>\0 */
static int request(struct rd *in, int *kind, sb *addr, int *hassize, uint64_t *size)
{
  unsigned char c;
  sb sz = SB_INIT;
  int k = rd_getc(in, &c), r = REQ_BAD;
  if (k == RD_EOF) return REQ_EOF;
  if (k != RD_OK || (c != 'R' && c != 'S')) return REQ_BAD;
  *kind = c;
  if (rd_line(in, addr, 0, ADDR_MAX) != RD_OK || rd_line(in, &sz, 0, SIZE_DIGITS) != RD_OK) goto out;
  if (strspn(sz.s, "0123456789") != sz.len) goto out;
  *hassize = sz.len > 0;
  *size = 0;
  /* 20 digits may not fit: a SIZE= that big is bigger than any limit */
  if (*hassize && !scan_u64(sz.s, sz.len, size)) *size = UINT64_MAX;
  r = REQ_OK;
out:
  sb_free(&sz);
  return r;
}

static void answer(const struct qlv_reply *r)
{
  sb out = SB_INIT;
  if (!qlv_format(r, &out) || io_writeall(1, out.s, out.len) < 0) _exit(111);
  sb_free(&out);
}

static void logreply(int kind, const char *addr, const struct qlv_reply *r, const sb *why)
{
  sb a = SB_INIT;
  size_t n = strlen(addr);
  if (!qslog_safe(&a, addr, n > 200 ? 200 : n) || (n > 200 && !sb_cats(&a, "..."))) return;
  logline("%s <%s>: %u %s%s%s%s", kind == 'R' ? "recipient" : "sender", a.s, r->code, r->text,
          why->len ? " (" : "", why->len ? why->s : "", why->len ? ")" : "");
  sb_free(&a);
}

int main(void)
{
  struct verifier v;
  struct rd in;
  sb addr = SB_INIT, why = SB_INIT;
  const char *ll = getenv("LOGLEVEL");
  uint64_t lv;
  uid_t uid = getuid();
  gid_t gid = getgid();

  if (ll && scan_u64s(ll, &lv)) loglevel = lv > 4 ? 4 : (int)lv;
  signal(SIGPIPE, SIG_IGN);
  if (geteuid() == 0) qr_start();
  /* everything else runs as the caller; started by root: as qmaild */
  if (uid == 0 && priv_user(AUTO_USERD, &uid, &gid) < 0) {
    if (loglevel >= 1) logline("fatal: no user %s", AUTO_USERD);
    _exit(111);
  }
  if (priv_drop(uid, gid) < 0) {
    if (loglevel >= 1) logline("fatal: unable to drop privileges: %s", strerror(errno));
    _exit(111);
  }
  int ready = setup(&v) == 0;
  if (!ready && loglevel >= 1) logline("fatal: unable to read the control files: %s", strerror(errno));
  rd_init(&in, 0, 0);
  for (;;) {
    struct qlv_reply r;
    int kind, hassize;
    uint64_t size;
    int k = request(&in, &kind, &addr, &hassize, &size);
    if (k == REQ_EOF) break;
    if (k == REQ_BAD || !ready) {
      /* the session's later questions are temporary failures to qmail-smtpd */
      static const struct qlv_reply bad = {'Z', 451, "Malformed request to qmail-verify. (#4.3.0)", 0};
      static const struct qlv_reply noctl = {'Z', 451, "Unable to read the control files. (#4.3.0)", 0};
      answer(k == REQ_BAD ? &bad : &noctl);
      if (loglevel >= 3 && k == REQ_BAD) logline("malformed request, exiting");
      _exit(111);
    }
    verify(&v, kind, addr.s, hassize, size, &r, &why);
    answer(&r);
    if (r.kind != 'K' && loglevel >= 3) logreply(kind, addr.s, &r, &why);
  }
  qldap_close(&v.q);
  _exit(0);
}
