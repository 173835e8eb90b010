/* qmail-lspawn: local deliveries for qmail-send (INTERNALS 5 and 6).
 * Runs as root; looks each recipient up itself (so a long-lived lookup
 * such as a directory connection lives here), then runs qmail-local as
 * that user. */
#include "auto.h"
#include "die.h"
#include "io.h"
#include "ldapdeliver.h"
#include "priv.h"
#include "qlx.h"
#include "rd.h"
#include "sb.h"
#include "spawn.h"
#include "users.h"
#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const char *progname = "qmail-lspawn";

#define GETPW_TIMEOUT 120           /* seconds qmail-getpw may take */
#define GETPW_OUT_MAX (6 * (USERS_FIELD_MAX + 1))

static const char *defaultdelivery;
static uid_t uidp;                  /* qmail-getpw runs as qmailp:nofiles */
static gid_t gidn;
/* The directory connection lives here, across deliveries. ld_ok is 0
 * when the ldap control files could not be read: every delivery is then
 * deferred until a reload succeeds (a half-read configuration must not
 * turn into local or alias deliveries). */
static struct ld_state ld;
static int ld_ok;

enum { LOOKUP_OK, LOOKUP_NONE, LOOKUP_FAIL };

/* users/cdb (INTERNALS 6). LOOKUP_FAIL leaves the report in *report. */
static int lookup_cdb(const char *local, size_t n, struct users_ent *e, sb *report)
{
  struct cdb c;
  int fd = open(AUTO_QMAIL "/users/cdb", O_RDONLY | O_CLOEXEC), r;
  if (fd < 0) {
    if (errno == ENOENT) return LOOKUP_NONE;
    sb_copys(report, "ZTrouble reading users/cdb in qmail-lspawn.\n");
    return LOOKUP_FAIL;
  }
  if (cdb_init(&c, fd) < 0) r = USERS_ERR;
  else { r = users_lookup(local, n, users_cdb_fetch, &c, e); cdb_free(&c); }
  close(fd);
  if (r == USERS_FOUND) return LOOKUP_OK;
  if (r == USERS_NONE) return LOOKUP_NONE;
  sb_copys(report, "ZTrouble reading users/cdb in qmail-lspawn.\n");
  return LOOKUP_FAIL;
}

/* Read all of fd within the deadline. 0 ok, -1 timeout/error, -2 too long. */
static int slurp(int fd, sb *out, size_t max)
{
  struct rd r;
  rd_init(&r, fd, GETPW_TIMEOUT);
  out->len = 0;
  for (;;) {
    int k = rd_fill(&r);
    if (k == RD_EOF) return 0;
    if (k != RD_OK) return -1;
    if (rd_buffered(&r) > max - out->len) return -2;
    if (!sb_catb(out, r.buf + r.pos, rd_buffered(&r))) return -1;
    r.pos = r.len;
  }
}

/* bin/qmail-getpw as qmailp: the passwd user, else the alias user. */
static int lookup_getpw(const char *local, struct users_ent *e, sb *report)
{
  sb out = SB_INIT;
  int pi[2], st, k, ret = LOOKUP_FAIL;
  pid_t pid;
  if (pipe2(pi, O_CLOEXEC) < 0) { sb_copys(report, "ZTemporary failure in qmail-lspawn.\n"); return ret; }
  pid = fork();
  if (pid == 0) {
    char *argv[3];
    int null = open("/dev/null", O_RDONLY);
    argv[0] = "qmail-getpw"; argv[1] = (char *)local; argv[2] = 0;
    spawn_child_signals();
    if (null < 0 || fd_move(0, null) < 0 || fd_move(1, pi[1]) < 0) _exit(QLX_SYS);
    if (priv_drop(uidp, gidn) < 0) _exit(QLX_SYS);
    execv(AUTO_QMAIL "/bin/qmail-getpw", argv);
    _exit(QLX_EXECPW);
  }
  close(pi[1]);
  if (pid < 0) { close(pi[0]); sb_copys(report, "ZTemporary failure in qmail-lspawn.\n"); return ret; }
  k = slurp(pi[0], &out, GETPW_OUT_MAX);
  close(pi[0]);
  if (k == -1) kill(pid, SIGKILL);
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) { st = 0; k = -1; break; }
  if (k == -1) sb_copys(report, "ZTimeout or read error talking to qmail-getpw. (#4.3.0)\n");
  else if (!WIFEXITED(st)) sb_copys(report, "ZTemporary failure in qmail-lspawn.\n");
  else if (WEXITSTATUS(st) != 0) {
    spawn_report_local(st, "", 0, report);
    if (report->len <= 1 || report->s[0] != 'Z') sb_copys(report, "ZTemporary failure in qmail-getpw.\n");
  } else if (k == -2 || users_parse(out.s, out.len, e) < 0)
    sb_copys(report, "ZInternal error: bad output from qmail-getpw. (#4.3.5)\n");
  else
    ret = LOOKUP_OK;
  sb_free(&out);
  return ret;
}

/* Who receives a local delivery, and how qmail-local is run. */
struct target {
  struct users_ent u;     /* user uid gid home dash ext */
  sb defdel;              /* default delivery; empty = qmail-lspawn's argument */
  sb env;                 /* NAME=value\0 ... added to qmail-local's environment */
};

/* ldaplocaldelivery off: the alias user, dash "-", ext = the local part,
 * so ~alias/.qmail-<local> or .qmail-default decides (facts §4.2);
 * ~alias is this installation's alias directory (see qmail-getpw). */
static int lookup_alias(const char *local, size_t n, struct users_ent *e, sb *report)
{
  struct passwd *pw;
  errno = 0;
  pw = getpwnam(AUTO_USERA);
  if (!pw) {
    sb_copys(report, errno ? "ZUnable to read the password database. (#4.3.0)\n"
                           : "ZUnable to find the alias user. (#4.3.0)\n");
    return LOOKUP_FAIL;
  }
  if (!sb_copys(&e->user, AUTO_USERA) || !sb_copys(&e->home, AUTO_ALIASHOME) || !sb_copys(&e->dash, "-") ||
      !sb_copyb(&e->ext, local, n)) {
    sb_copys(report, "ZOut of memory in qmail-lspawn.\n");
    return LOOKUP_FAIL;
  }
  e->uid = pw->pw_uid;
  e->gid = pw->pw_gid;
  return LOOKUP_OK;
}

/* LD_TEMP/LD_PERM texts into a report for qmail-send */
static void ld_report(sb *report, char kind, const char *text)
{
  if (!sb_copyb(report, &kind, 1) || !sb_cats(report, text ? text : "Temporary failure in LDAP lookup. (#4.4.3)") ||
      !sb_catc(report, '\n'))
    sb_copys(report, "ZOut of memory in qmail-lspawn.\n");
}

/* The one place a recipient becomes a user (INTERNALS 6). The directory
 * goes first, in this long-lived process; rcpt is the whole address,
 * local its local part, msgsize the queued size. */
static int lookup_local(const char *rcpt, const char *local, size_t n, uint64_t msgsize,
                        struct target *t, sb *report)
{
  struct ld_target lt;
  int r;
  if (!ld_ok) {
    sb_copys(report, "ZUnable to read the LDAP control files. (#4.3.0)\n");
    return LOOKUP_FAIL;
  }
  ld_target_init(&lt);
  r = ld_lookup(&ld, rcpt, msgsize, &lt);
  switch (r) {
  case LD_DELIVER:
    if (!sb_copysb(&t->u.user, &lt.user) || !sb_copysb(&t->u.home, &lt.home) || !sb_copysb(&t->u.dash, &lt.dash) ||
        !sb_copys(&t->u.ext, lt.ext.s) || !sb_copysb(&t->defdel, &lt.aliasempty) || !sb_copysb(&t->env, &lt.env)) {
      sb_copys(report, "ZOut of memory in qmail-lspawn.\n");
      r = LOOKUP_FAIL;
      break;
    }
    t->u.uid = lt.uid;
    t->u.gid = lt.gid;
    r = LOOKUP_OK;
    break;
  case LD_TEMP: ld_report(report, 'Z', lt.text); r = LOOKUP_FAIL; break;
  case LD_PERM: ld_report(report, 'D', lt.text); r = LOOKUP_FAIL; break;
  case LD_CLUSTER:
    /* forwarding to the entry's mailHost is not built yet: keep the mail */
    if (!sb_copys(report, "ZThe mailbox lives on cluster host ") || !sb_catsb(report, &lt.mailhost) ||
        !sb_cats(report, ", and cluster forwarding is not available here. (#4.3.0)\n"))
      sb_copys(report, "ZOut of memory in qmail-lspawn.\n");
    r = LOOKUP_FAIL;
    break;
  default:      /* LD_OFF (no directory) or not found with ldaplocaldelivery */
    if (r == LD_NOTFOUND && !ld_localdelivery(&ld)) { r = lookup_alias(local, n, &t->u, report); break; }
    r = lookup_cdb(local, n, &t->u, report);
    if (r == LOOKUP_NONE) r = lookup_getpw(local, &t->u, report);
    break;
  }
  ld_target_free(&lt);
  return r;
}

extern char **environ;

/* qmail-lspawn's environment with t->env (NAME=value\0...) put over it,
 * as an array for execve; the strings stay owned by environ and env. */
static char **mkenv(const sb *env)
{
  size_t n = 0, k = 0, extra = 0;
  for (size_t i = 0; i < env->len; i += strlen(env->s + i) + 1) ++extra;
  while (environ[n]) ++n;
  char **e = calloc(n + extra + 1, sizeof *e);
  if (!e) return NULL;
  for (size_t i = 0; i < env->len; i += strlen(env->s + i) + 1)
    if (strchr(env->s + i, '=')) e[k++] = env->s + i;
  for (size_t j = 0; j < n; ++j) {
    size_t nl = strcspn(environ[j], "=");
    int shadowed = 0;
    for (size_t m = 0; m < k && !shadowed; ++m)
      shadowed = !strncmp(e[m], environ[j], nl) && e[m][nl] == '=';
    if (!shadowed) e[k++] = environ[j];
  }
  return e;
}

static pid_t lspawn_start(const struct spawn_req *r, int fdmess, int fdout, sb *report)
{
  struct target t;
  struct stat st;
  sb local = SB_INIT;
  pid_t pid = 0;
  memset(&t, 0, sizeof t);
  users_init(&t.u);
  if (!r->at) { sb_copys(report, "K"); goto out; }          /* "@host": nobody to deliver to */
  if (!sb_copyb(&local, r->rcpt, r->at)) { sb_copys(report, "ZOut of memory in qmail-lspawn.\n"); goto out; }
  if (fstat(fdmess, &st) < 0) { sb_copys(report, "ZTemporary failure in qmail-lspawn.\n"); goto out; }
  if (lookup_local(r->rcpt, local.s, local.len, (uint64_t)st.st_size, &t, report) != LOOKUP_OK) goto out;
  if (t.u.uid == 0) { sb_copys(report, "ZNot allowed to perform deliveries as root.\n"); goto out; }
  if (t.u.uid != (uid_t)t.u.uid || t.u.gid != (gid_t)t.u.gid) { sb_copys(report, "ZInternal qmail-lspawn bug.\n"); goto out; }
  if (!sb_catb(&t.u.dash, "", 0) || !sb_catb(&t.u.ext, "", 0) || !sb_catb(&t.defdel, "", 0)) {
    sb_copys(report, "ZOut of memory in qmail-lspawn.\n");
    goto out;
  }
  {
    char *argv[11];
    char **envp = mkenv(&t.env);
    if (!envp) { sb_copys(report, "ZOut of memory in qmail-lspawn.\n"); goto out; }
    argv[0] = "qmail-local"; argv[1] = "--";
    argv[2] = t.u.user.s; argv[3] = t.u.home.s; argv[4] = local.s;
    argv[5] = t.u.dash.s; argv[6] = t.u.ext.s;
    argv[7] = (char *)r->rcpt + r->at + 1; argv[8] = (char *)r->sender;
    argv[9] = t.defdel.len ? t.defdel.s : (char *)defaultdelivery; argv[10] = 0;
    /* a broken install must not bounce mail: exec failure is temporary */
    pid = spawn_exec(fdmess, fdout, AUTO_QMAIL "/bin/qmail-local", argv, envp, (uid_t)t.u.uid, (gid_t)t.u.gid,
                     QLX_EXECSOFT);
    free(envp);
    if (pid < 0) { sb_copys(report, "ZUnable to fork: temporary failure in qmail-lspawn. (#4.3.0)\n"); pid = 0; }
  }
out:
  users_free(&t.u);
  sb_free(&t.defdel); sb_free(&t.env);
  sb_free(&local);
  return pid;
}

/* SPAWN_RELOAD (qmail-send got SIGHUP): reread the ldap control files;
 * the connection is kept unless the server or identity changed.
 * users/cdb is opened per lookup. */
static void lspawn_reload(void)
{
  ld_ok = ld_config(&ld, defaultdelivery) == 0;
}

static void lspawn_report(int wstatus, const char *out, size_t len, sb *report)
{
  spawn_report_local(wstatus, out, len, report);
}

int main(int argc, char **argv)
{
  static const struct spawn_agent agent = {lspawn_reload, lspawn_start, lspawn_report};
  if (argc < 2 || !argv[1][0]) die(100, "usage: qmail-lspawn defaultdelivery");
  defaultdelivery = argv[1];
  if (priv_user(AUTO_USERP, &uidp, NULL) < 0) die(111, "unable to find user %s", AUTO_USERP);
  if (priv_group(AUTO_GROUPN, &gidn) < 0) die(111, "unable to find group %s", AUTO_GROUPN);
  lspawn_reload();
  return spawn_main(&agent);
}
