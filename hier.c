#include "hier.h"
#include "auto.h"
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define O AUTO_USERO
#define Q AUTO_USERQ
#define S AUTO_USERS
#define R AUTO_USERR
#define A AUTO_USERA
#define GQ AUTO_GROUPQ

#define D(p, u, m) {H_DIR, p, NULL, u, GQ, m, 0, 0}
#define DS(p, u, m) {H_DIR, p, NULL, u, GQ, m, 0, HIER_SPLIT}
#define BIN(n, u, m) {H_FILE, "bin/" n, n, u, GQ, m, 0, 0}
#define BIN0(n, u, m) {H_FILE, "bin/" n, n, u, NULL, m, 0, 0}  /* group: gid 0 */
#define DOC(n) {H_FILE, "doc/" n, n, O, GQ, 0644, 0, HIER_OPTIONAL}
#define MAN(sec) {H_FILE, "man/man" sec, "." sec, O, GQ, 0644, 0, HIER_GLOB}
/* daemontools services: run scripts built with conf-qmail substituted
 * (Makefile BOOT), env/ and rules kept once installed; logs as qmaill. */
#define SVC(s) D("boot/" s, O, 0755), D("boot/" s "/env", O, 0755), D("boot/" s "/log", O, 0755), \
  {H_FILE, "boot/" s "/run", "boot/" s "/run.inst", O, GQ, 0755, 0, 0}, \
  {H_FILE, "boot/" s "/log/run", "boot/" s "/log/run.inst", O, GQ, 0755, 0, 0}, \
  {H_DIR, "log/" s, NULL, AUTO_USERL, NULL, 0750, 0, 0}
#define KEEP(p, src) {H_FILE, p, src, O, GQ, 0644, 0, HIER_KEEP}

/* Modes as in qmail-ldap's hier.c; qmail-todo etc. as its EXTERNAL_TODO
 * and BIGTODO build (todo/ and intd/ hashed, see queue.h). */
const struct hier_entry hier_table[] = {
  D("", O, 0755),
  D("control", O, 0755),
  D("users", O, 0755),
  D("bin", O, 0755),
  D("doc", O, 0755),
  D("boot", O, 0755),
  D("man", O, 0755),
  D("man/man1", O, 0755),
  D("man/man5", O, 0755),
  D("man/man7", O, 0755),
  D("man/man8", O, 0755),

  D("alias", A, 02755),
  {H_EMPTY, "alias/.qmail-postmaster", NULL, A, GQ, 0644, 0, 0},
  {H_EMPTY, "alias/.qmail-root", NULL, A, GQ, 0644, 0, 0},
  {H_EMPTY, "alias/.qmail-mailer-daemon", NULL, A, GQ, 0644, 0, 0},
  /* the empty .qmail files above mean "default delivery", ./Maildir/ */
  D("alias/Maildir", A, 0700),
  D("alias/Maildir/tmp", A, 0700),
  D("alias/Maildir/new", A, 0700),
  D("alias/Maildir/cur", A, 0700),

  D("queue", Q, 0750),
  D("queue/pid", Q, 0700),
  DS("queue/intd", Q, 0700),
  DS("queue/todo", Q, 0750),
  DS("queue/mess", Q, 0750),
  DS("queue/info", S, 0700),
  DS("queue/local", S, 0700),
  DS("queue/remote", S, 0700),
  D("queue/bounce", S, 0700),
  D("queue/lock", Q, 0750),
  {H_ZERO, "queue/lock/sendmutex", NULL, S, GQ, 0600, 0, 0},
  {H_ZERO, "queue/lock/tcpto", NULL, R, GQ, 0644, 1024, 0},
  {H_FIFO, "queue/lock/trigger", NULL, S, GQ, 0622, 0, 0},

  BIN("qmail-queue", Q, 04711),
  BIN("qmail-lspawn", O, 0700),
  BIN("qmail-start", O, 0700),
  BIN("qmail-getpw", O, 0711),
  BIN("qmail-local", O, 0711),
  BIN("qmail-rspawn", O, 0711),
  BIN("qmail-clean", O, 0711),
  BIN("qmail-send", O, 0711),
  BIN("qmail-todo", O, 0711),
  BIN("qmail-newu", O, 0700),
  BIN("qmail-pw2u", O, 0711),
  BIN("qmail-inject", O, 0755),
  BIN("sendmail", O, 0755),
  BIN("qmail-showctl", O, 0755),
  BIN("qmail-qread", O, 0755),
  BIN("qmail-qstat", O, 0755),
  BIN("maildirmake", O, 0755),
  BIN("forward", O, 0755),
  BIN("condredirect", O, 0755),
  BIN("condwrite", O, 0755),
  BIN("bouncesaying", O, 0755),
  BIN("except", O, 0755),
  BIN("preline", O, 0755),
  BIN("qmail-cdb", O, 0700),
  BIN0("qmail-ldaplookup", O, 0750),
  BIN("config-fast", O, 0755),
  BIN("qmail-reply", O, 0755),
  BIN("qmail-quotawarn", O, 0755),
  BIN("qmail-smtpd", O, 0755),
  BIN("qmail-remote", O, 0711),
  BIN("qmail-tcpto", O, 0755),
  BIN("qmail-tcpok", O, 0755),
  BIN("qmail-qmqpd", O, 0755),
  BIN("qmail-qmqpc", O, 0755),
  BIN("qmail-qmtpd", O, 0755),
  BIN("qmail-mkslapd", O, 0755),
  /* setuid root only for its quota reader child; the rest runs as the caller */
  BIN("qmail-verify", O, 04711),
  BIN("auth_smtp", O, 0755),
  BIN("qmail-starttls", O, 0755),
  /* the POP3 and IMAP logins: root's, they switch to the user */
  BIN("auth_pop", O, 0700),
  BIN("auth_imap", O, 0700),
  BIN("digest", O, 0755),
  /* POP3: qmail-popup starts as root (auth_pop needs it) and splits at
   * once, qmail-pop3d runs as the mailbox owner; 0711 as in qmail */
  BIN("qmail-popup", O, 0711),
  BIN("qmail-pop3d", O, 0711),
  /* IMAP: qmail-imaplogin starts as root (auth_imap needs it) and splits
   * at once; 0711 like qmail-popup */
  BIN("qmail-imaplogin", O, 0711),

  DOC("README.md"),
  DOC("INTERNALS"),
  DOC("QLDAPINSTALL"),
  DOC("QLDAPNEWS"),
  DOC("QLDAPGROUP"),
  DOC("EXTTODO"),
  DOC("POPBEFORESMTP"),
  DOC("qmail.schema"),
  DOC("qmail.ldif"),
  MAN("1"),
  MAN("5"),
  MAN("7"),
  MAN("8"),

  D("log", O, 0755),
  SVC("qmail"),
  SVC("qmail-smtpd"),
  KEEP("boot/qmail-smtpd/env/CONCURRENCY", "boot/qmail-smtpd/env/CONCURRENCY"),
  SVC("qmail-qmqpd"),
  KEEP("boot/qmail-qmqpd/env/CONCURRENCY", "boot/qmail-qmqpd/env/CONCURRENCY"),
  SVC("qmail-slapd"),
  SVC("qmail-smtpsd"),
  KEEP("boot/qmail-smtpsd/env/CONCURRENCY", "boot/qmail-smtpsd/env/CONCURRENCY"),
  KEEP("boot/qmail-smtpsd/env/SMTPS", "boot/qmail-smtpsd/env/SMTPS"),
  KEEP("boot/qmail-smtpsd/env/SMTPAUTH", "boot/qmail-smtpsd/env/SMTPAUTH"),
  KEEP("boot/qmail-smtpsd/env/AUTHREQUIRED", "boot/qmail-smtpsd/env/AUTHREQUIRED"),
  SVC("qmail-submission"),
  KEEP("boot/qmail-submission/env/CONCURRENCY", "boot/qmail-submission/env/CONCURRENCY"),
  KEEP("boot/qmail-submission/env/TLSREQUIRED", "boot/qmail-submission/env/TLSREQUIRED"),
  KEEP("boot/qmail-submission/env/SMTPAUTH", "boot/qmail-submission/env/SMTPAUTH"),
  KEEP("boot/qmail-submission/env/AUTHREQUIRED", "boot/qmail-submission/env/AUTHREQUIRED"),
  SVC("qmail-pop3d"),
  KEEP("boot/qmail-pop3d/env/CONCURRENCY", "boot/qmail-pop3d/env/CONCURRENCY"),
  SVC("qmail-pop3sd"),
  KEEP("boot/qmail-pop3sd/env/CONCURRENCY", "boot/qmail-pop3sd/env/CONCURRENCY"),
  KEEP("boot/qmail-pop3sd/env/POP3S", "boot/qmail-pop3sd/env/POP3S"),
  SVC("qmail-imapd"),
  KEEP("boot/qmail-imapd/env/CONCURRENCY", "boot/qmail-imapd/env/CONCURRENCY"),
  SVC("qmail-imapsd"),
  KEEP("boot/qmail-imapsd/env/CONCURRENCY", "boot/qmail-imapsd/env/CONCURRENCY"),
  KEEP("boot/qmail-imapsd/env/IMAPS", "boot/qmail-imapsd/env/IMAPS"),
  KEEP("control/qmail-smtpd.rules", "boot/qmail-smtpd.rules"),
  KEEP("control/qmail-qmqpd.rules", "boot/qmail-qmqpd.rules"),
  KEEP("control/qmail-smtpsd.rules", "boot/qmail-smtpsd.rules"),
  KEEP("control/qmail-submission.rules", "boot/qmail-submission.rules"),
  KEEP("control/qmail-pop3d.rules", "boot/qmail-pop3d.rules"),
  KEEP("control/qmail-imapd.rules", "boot/qmail-imapd.rules"),
  /* Dovecot's configuration as the IMAP engine behind auth_imap */
  KEEP("control/dovecot-imap.conf", "boot/dovecot-imap.conf"),
  {H_FILE, "control/Makefile", "boot/control.Makefile.inst", O, GQ, 0644, 0, 0},
};
const unsigned hier_count = sizeof hier_table / sizeof hier_table[0];

int hier_notinstalled(const char *prog)
{
  return !strcmp(prog, "install") || !strcmp(prog, "instcheck");
}

static void item_of(struct hier_item *it, const struct hier_entry *e)
{
  memset(it, 0, sizeof *it);
  it->kind = e->kind;
  it->user = e->user;
  it->group = e->group;
  it->mode = e->mode;
  it->size = e->size;
  it->optional = (e->flags & HIER_OPTIONAL) != 0;
  it->keep = (e->flags & HIER_KEEP) != 0;
}

static int fits(size_t cap, int n)
{
  if (n < 0 || (size_t)n >= cap) { errno = ENAMETOOLONG; return 0; }
  return 1;
}

static int cmpstr(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file in . ending in the suffix, sorted so runs are reproducible. */
static int walk_glob(const struct hier_entry *e, int (*fn)(const struct hier_item *, void *), void *arg)
{
  DIR *d = opendir(".");
  struct dirent *de;
  char **names = NULL;
  size_t n = 0, cap = 0, sl = strlen(e->src);
  int r = 0;
  if (!d) return -1;
  while ((de = readdir(d))) {
    size_t l = strlen(de->d_name);
    struct stat st;
    if (l <= sl || strcmp(de->d_name + l - sl, e->src)) continue;
    if (stat(de->d_name, &st) < 0 || !S_ISREG(st.st_mode)) continue;
    if (n == cap) {
      char **nn;
      cap = cap ? cap * 2 : 32;
      if (cap > SIZE_MAX / sizeof *names || !(nn = realloc(names, cap * sizeof *names))) { r = -1; break; }
      names = nn;
    }
    if (!(names[n] = strdup(de->d_name))) { r = -1; break; }
    ++n;
  }
  closedir(d);
  if (!r) {
    if (n) qsort(names, n, sizeof *names, cmpstr);   /* names is NULL when n == 0 */
    for (size_t i = 0; i < n && !r; ++i) {
      struct hier_item it;
      item_of(&it, e);
      if (!fits(sizeof it.path, snprintf(it.path, sizeof it.path, "%s/%s", e->path, names[i])) ||
          !fits(sizeof it.src, snprintf(it.src, sizeof it.src, "%s", names[i])))
        r = -1;
      else
        r = fn(&it, arg);
    }
  }
  for (size_t i = 0; i < n; ++i) free(names[i]);
  free(names);
  return r;
}

int hier_walk(int (*fn)(const struct hier_item *, void *), void *arg)
{
  for (unsigned i = 0; i < hier_count; ++i) {
    const struct hier_entry *e = &hier_table[i];
    struct hier_item it;
    int r;
    if (e->flags & HIER_GLOB) {
      if ((r = walk_glob(e, fn, arg))) return r;
      continue;
    }
    item_of(&it, e);
    if (!fits(sizeof it.path, snprintf(it.path, sizeof it.path, "%s", e->path))) return -1;
    if (e->kind == H_FILE) {
      const char *src = e->src ? e->src : strrchr(e->path, '/') + 1;
      if (!fits(sizeof it.src, snprintf(it.src, sizeof it.src, "%s", src))) return -1;
      if (it.optional && access(it.src, F_OK) < 0) continue;
    }
    if ((r = fn(&it, arg))) return r;
    if (e->flags & HIER_SPLIT) {
      for (unsigned k = 0; k < AUTO_SPLIT; ++k) {
        if (!fits(sizeof it.path, snprintf(it.path, sizeof it.path, "%s/%u", e->path, k))) return -1;
        if ((r = fn(&it, arg))) return r;
      }
    }
  }
  return 0;
}
