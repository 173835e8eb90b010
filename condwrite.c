/* condwrite {maildir/|mailfile} program [arg ...]: if program exits 0,
 * store the message (fd 0, rewound) in the Maildir (name ends in '/') or
 * mbox and exit 99 so qmail-local skips the rest of .qmail; if program
 * exits 111 (or crashes) defer with 111; any other exit code leaves the
 * message alone (exit 0). The mailbox gets $RPLINE $DTLINE first ($UFLINE
 * too for an mbox), a missing Maildir is created, and the Maildir++ quota
 * in $MAILDIRQUOTA is honoured as qmail-local honours it (facts §4.8, §4.9):
 * over quota -> qmail-quotawarn, then a permanent failure; at
 * QUOTA_WARNING_LEVEL or more after the delivery -> qmail-quotawarn. */
#include "auto.h"
#include "die.h"
#include "io.h"
#include "maildir.h"
#include "mbox.h"
#include "qcmd.h"
#include "qmail-ldap.h"
#include "quota.h"
#include "sb.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *progname = "condwrite";

#define OVERQUOTA "The users mailfolder is over the allowed quota (size). (#5.2.2)\n"

struct box {
  const char *path;       /* as given */
  int maildir;            /* path ends in '/' */
  const char *qdef;       /* $MAILDIRQUOTA; NULL: no quota */
  struct quota q;
  sb root;                /* the Maildir holding maildirsize */
};


static const char *need(const char *var)
{
  const char *v = getenv(var);
  if (!v) die(100, "%s not set (run me from .qmail)", var);
  return v;
}

/* The lines that go before the message: [UFLINE] RPLINE DTLINE. */
static void prefix(sb *pre, int mbox)
{
  if ((mbox && !sb_cats(pre, need("UFLINE"))) || !sb_cats(pre, need("RPLINE")) ||
      !sb_cats(pre, need("DTLINE")))
    die_nomem();
}

/* A folder of a Maildir++ (it holds a maildirfolder file) keeps its
 * quota in the Maildir above it; look at most two levels up. */
static void find_root(sb *root, const char *dir)
{
  sb p = SB_INIT;
  if (!sb_copys(root, dir)) die_nomem();
  for (int up = 0; up < 2; ++up) {
    if (!sb_copysb(&p, root) || !sb_cats(&p, "maildirfolder")) die_nomem();
    if (access(p.s, F_OK) < 0) break;
    size_t n = root->len, last;
    while (n > 1 && root->s[n - 1] == '/') --n;
    sb_trunc(root, n);
    for (last = n; last > 0 && root->s[last - 1] != '/'; --last) {}
    if (!strcmp(root->s + last, ".") || !strcmp(root->s + last, "..") || last == n) {
      if (!sb_cats(root, "/../")) die_nomem();        /* "./" -> "./../" */
    } else if (last == 0) {
      if (!sb_copys(root, "./")) die_nomem();         /* ".Spam/" -> "./" */
    } else {
      sb_trunc(root, last);                           /* "Maildir/.Spam/" -> "Maildir/" */
    }
  }
  sb_free(&p);
}

static void setup(struct box *b, const char *path)
{
  const char *d = getenv(ENV_QUOTA);
  memset(b, 0, sizeof *b);
  b->path = path;
  b->maildir = path[strlen(path) - 1] == '/';
  if (d && *d) {
    if (quota_parse(d, &b->q) < 0) die(111, "illegal quota definition %s (#4.3.0)", d);
    if (b->q.size || b->q.count) b->qdef = d;
  }
}

static uint64_t msgsize(size_t prefix)
{
  struct stat st;
  uint64_t n;
  if (fstat(0, &st) < 0) die(111, "unable to stat the message: %s (#4.3.0)", strerror(errno));
  if (!add_u64((uint64_t)st.st_size, prefix, &n)) die(111, "message too big (#4.3.0)");
  return n;
}

/* bin/qmail-quotawarn box; a failed warning never holds up the mail. */
static void quotawarn(const char *box)
{
  char *argv[3] = {AUTO_QMAIL "/bin/qmail-quotawarn", (char *)box, 0};
  pid_t pid = qcmd_spawn(argv, -1);
  if (pid < 0 || qcmd_wait(pid) != 0) warn("the quota warning failed");
}

static noreturn void overquota(const char *box)
{
  quotawarn(box);
  if (io_writeall(2, OVERQUOTA, sizeof OVERQUOTA - 1) < 0) _exit(100);
  _exit(100);
}

/* A new folder inside a Maildir (.Name) is a Maildir++ folder. */
static void mark_folder(const char *dir)
{
  sb p = SB_INIT;
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/') --n;
  size_t last = n;
  while (last > 0 && dir[last - 1] != '/') --last;
  if (dir[last] != '.' || n - last < 2 || (n - last == 2 && dir[last + 1] == '.')) return;
  if (!sb_catb(&p, dir, last) || !sb_cats(&p, last ? "cur" : "./cur")) die_nomem();
  if (access(p.s, F_OK) == 0) {
    int fd;
    if (!sb_copyb(&p, dir, n) || !sb_cats(&p, "/maildirfolder")) die_nomem();
    fd = open(p.s, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) die(111, "unable to create %s: %s (#4.2.1)", p.s, strerror(errno));
    close(fd);
  }
  sb_free(&p);
}

static void to_maildir(struct box *b)
{
  sb pre = SB_INIT, final = SB_INIT;
  struct usage u = {0, 0};
  int r;
  prefix(&pre, 0);
  if (maildir_make(b->path, 0700) == 0) mark_folder(b->path);
  else if (errno != EEXIST || maildir_ensure(b->path, 0700) < 0) die(111, "unable to create maildir %s: %s (#4.2.1)", b->path, strerror(errno));
  if (b->qdef) {
    find_root(&b->root, b->path);
    int over = quota_check(b->root.s, b->qdef, &b->q, msgsize(pre.len), &u);
    if (over < 0) die(111, "unable to read the quota of %s: %s (#4.3.0)", b->root.s, strerror(errno));
    if (over) overquota(b->root.s);
  }
  r = maildir_deliver(b->path, pre.s, pre.len, 0, &final);
  switch (r) {
  case MD_OK: break;
  case MD_ERR_DIR: die(111, "%s is not a maildir (#4.2.1)", b->path);
  case MD_ERR_READ: die(111, "unable to read the message: %s (#4.3.0)", strerror(errno));
  case MD_ERR_NOMEM: die_nomem();
  default: die(111, "unable to write to %s: %s (#4.3.0)", b->path, strerror(errno));
  }
  if (b->qdef && quota_record(b->root.s, b->qdef, &b->q, final.s, u)) quotawarn(b->root.s);
  sb_free(&pre);
  sb_free(&final);
}

/* An mbox has a size quota only. */
static void to_mbox(struct box *b)
{
  sb pre = SB_INIT;
  struct quota q = {b->q.size, 0};
  struct usage u = {0, 0};
  struct stat st;
  int r;
  prefix(&pre, 1);
  if (b->qdef && q.size) {
    if (stat(b->path, &st) == 0) u.size = st.st_size;
    else if (errno != ENOENT) die(111, "unable to stat %s: %s (#4.2.1)", b->path, strerror(errno));
    if (quota_over(&q, &u, msgsize(pre.len))) overquota(b->path);
  }
  r = mbox_deliver(b->path, pre.s, pre.len, 0);
  switch (r) {
  case MBOX_OK: break;
  case MBOX_ERR_OPEN: die(111, "unable to open %s: %s (#4.2.1)", b->path, strerror(errno));
  case MBOX_ERR_LOCKTIME: die(111, "%s has been locked for %u seconds straight (#4.3.0)", b->path, mbox_lock_wait);
  case MBOX_ERR_READ: die(111, "unable to read the message: %s (#4.3.0)", strerror(errno));
  case MBOX_ERR_NOMEM: die_nomem();
  default: die(111, "unable to write to %s: %s (#4.3.0)", b->path, strerror(errno));
  }
  if (b->qdef && q.size && stat(b->path, &st) == 0) {
    u.size = st.st_size;
    if (quota_percent(&q, &u) >= QUOTA_WARNING_LEVEL) quotawarn(b->path);
  }
  sb_free(&pre);
}

int main(int argc, char **argv)
{
  struct box b;
  if (argc < 3 || !*argv[1]) die(100, "usage: condwrite {maildir/|mailfile} program [ arg ... ]");
  qcmd_condition(argv + 2);
  setup(&b, argv[1]);
  if (b.maildir) to_maildir(&b);
  else to_mbox(&b);
  sb_free(&b.root);
  _exit(99);
}
