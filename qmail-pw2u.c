/* qmail-pw2u: print qmail-users(5) assignments for the accounts of a
 * V7 passwd file read on stdin, following qmail-getpw's rules, adjusted
 * by users/include, exclude, mailnames, subusers and append. */
#include "auto.h"
#include "ctl.h"
#include "die.h"
#include "io.h"
#include "rd.h"
#include "sb.h"
#include "wr.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *progname = "qmail-pw2u";

#define PW_LINE_MAX 8192
#define USERSFILE_MAX (64 * 1024 * 1024)

struct opts {
  const char *dashcolon;   /* "-:" or "-/:" */
  int noupper;             /* skip users with upper-case letters */
  int home;                /* 2 skip missing home, 1 stop, 0 ignore */
  char brk;                /* extension delimiter, 0 = none */
};

struct lists {
  int okincl, okexcl, okmana;
  sb incl, excl, mana;     /* \0-separated entries */
  sb allusers;             /* user\0uugh\0 pairs for subusers */
};

static struct wr out;

static void put(const char *s, size_t n) { wr_put(&out, s, n); }
static void puts0(const char *s) { wr_puts(&out, s); }

/* \0-separated list: entry equal to s[0..n) (key mode: up to first ':') */
static const char *find(const sb *list, const char *s, size_t n, int key)
{
  for (size_t i = 0; i < list->len; i += strlen(list->s + i) + 1) {
    const char *e = list->s + i;
    size_t el = key ? strcspn(e, ":") : strlen(e);
    if (key && !e[el]) continue;                 /* "user" without ':' is no mapping */
    if (el == n && !memcmp(e, s, n)) return key ? e + el + 1 : e;
  }
  return NULL;
}

/* users/<name> as a control-style list; 1 present, 0 absent */
static int readlist(const char *name, sb *list)
{
  sb raw = SB_INIT, path = SB_INIT;
  if (!sb_copys(&path, "users/") || !sb_cats(&path, name)) die_nomem();
  if (io_readfile(path.s, &raw, USERSFILE_MAX) < 0) {
    if (errno == ENOENT) { sb_free(&raw); sb_free(&path); return 0; }
    die(111, "unable to read controls");
  }
  if (ctl_parse_list(raw.s, raw.len, list) < 0) die_nomem();
  sb_free(&raw); sb_free(&path);
  return 1;
}

/* split a ':'-separated line into n fields; 0 if it has fewer */
static int fields(const char *s, size_t len, const char **f, size_t *fl, int n)
{
  for (int i = 0; i < n; ++i) {
    const char *c = i < n - 1 ? memchr(s, ':', len) : NULL;
    if (i < n - 1 && !c) return 0;
    f[i] = s;
    fl[i] = c ? (size_t)(c - s) : len;
    if (c) { len -= fl[i] + 1; s = c + 1; }
  }
  return 1;
}

static void account(const struct opts *o, struct lists *l, const char *line, size_t len)
{
  const char *f[7], *mailnames;
  size_t fl[7];
  uint64_t uid, gid;
  sb user = SB_INIT, home = SB_INIT, uugh = SB_INIT;
  if (memchr(line, 0, len) || !fields(line, len, f, fl, 7)) return;
  if (!scan_u64(f[2], fl[2], &uid) || !scan_u64(f[3], fl[3], &gid) || !uid) return;
  if (!sb_copyb(&user, f[0], fl[0]) || !sb_copyb(&home, f[5], fl[5])) die_nomem();
  if (o->noupper)
    for (size_t i = 0; i < user.len; ++i)
      if (user.s[i] >= 'A' && user.s[i] <= 'Z') goto out;
  if (l->okincl && !find(&l->incl, user.s, user.len, 0)) goto out;
  if (l->okexcl && find(&l->excl, user.s, user.len, 0)) goto out;
  if (o->home) {
    struct stat st;
    if (stat(home.s, &st) < 0) {
      if (errno != ENOENT || o->home == 1) die(111, "unable to stat %s", home.s);
      goto out;
    }
    if (st.st_uid != uid) goto out;
  }
  if (!sb_fmt(&uugh, ":%s:%llu:%llu:%s:", user.s, (unsigned long long)uid, (unsigned long long)gid, home.s))
    die_nomem();
  if (!sb_catsb(&l->allusers, &user) || !sb_cat0(&l->allusers) || !sb_catsb(&l->allusers, &uugh) ||
      !sb_cat0(&l->allusers)) die_nomem();
  if (!strcmp(user.s, AUTO_USERA)) {
    puts0("+"); put(uugh.s, uugh.len); puts0(o->dashcolon); puts0(":\n");
  }
  mailnames = l->okmana ? find(&l->mana, user.s, user.len, 1) : NULL;
  if (!mailnames) mailnames = user.s;
  for (;;) {
    size_t n;
    while (*mailnames == ':') ++mailnames;
    if (!*mailnames) break;
    n = strcspn(mailnames, ":");
    puts0("="); put(mailnames, n); put(uugh.s, uugh.len); puts0("::\n");
    if (o->brk) {
      puts0("+"); put(mailnames, n); put(&o->brk, 1); put(uugh.s, uugh.len); puts0(o->dashcolon); puts0(":\n");
    }
    mailnames += n;
  }
out:
  sb_free(&user); sb_free(&home); sb_free(&uugh);
}

static int seen_alias(const struct lists *l) { return find(&l->allusers, AUTO_USERA, strlen(AUTO_USERA), 0) != NULL; }

static void subuser(const struct opts *o, const struct lists *l, const char *line, size_t len)
{
  const char *f[3], *uugh = NULL;
  size_t fl[3];
  /* sub:user:pre: */
  if (!fields(line, len, f, fl, 3) || !memchr(f[2], ':', fl[2])) return;
  fl[2] = (size_t)((const char *)memchr(f[2], ':', fl[2]) - f[2]);
  for (size_t i = 0; i < l->allusers.len;) {
    const char *u = l->allusers.s + i, *g = u + strlen(u) + 1;
    if (strlen(u) == fl[1] && !memcmp(u, f[1], fl[1])) { uugh = g; break; }
    i = (size_t)(g - l->allusers.s) + strlen(g) + 1;
  }
  if (!uugh) die(111, "unable to find %.*s user for subuser", (int)fl[1], f[1]);
  puts0("="); put(f[0], fl[0]); puts0(uugh); puts0(o->dashcolon); put(f[2], fl[2]); puts0(":\n");
  if (o->brk) {
    puts0("+"); put(f[0], fl[0]); put(&o->brk, 1); puts0(uugh); puts0(o->dashcolon); put(f[2], fl[2]); puts0("-:\n");
  }
}

/* each line of fd (bounded) to fn */
static void eachline(int fd, void (*fn)(const struct opts *, struct lists *, const char *, size_t),
                     const struct opts *o, struct lists *l, int raw)
{
  struct rd r;
  sb line = SB_INIT;
  rd_init(&r, fd, 0);
  for (;;) {
    int k = rd_line(&r, &line, '\n', PW_LINE_MAX);
    if (k == RD_ERR) die(111, "unable to read input");
    if (k == RD_EOF) break;
    if (k == RD_TOOLONG) {
      if (raw) die(111, "line too long in users/append");
      if (rd_skip(&r, '\n') != RD_OK) break;
      continue;
    }
    if (raw) { put(line.s, line.len); if (k == RD_OK) puts0("\n"); }
    else fn(o, l, line.s, line.len);
    if (k != RD_OK) break;
  }
  sb_free(&line);
}

static void sub_cb(const struct opts *o, struct lists *l, const char *s, size_t n) { subuser(o, l, s, n); }

static void optional(const char *name, const struct opts *o, struct lists *l, int raw)
{
  int fd = open(name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) die(111, "unable to read controls");
    return;
  }
  eachline(fd, sub_cb, o, l, raw);
  close(fd);
}

static void getopts(struct opts *o, int argc, char **argv)
{
  int c;
  o->dashcolon = "-:"; o->noupper = 1; o->home = 2; o->brk = AUTO_BREAK[0];
  while ((c = getopt(argc, argv, "+/ohHuUc:C")) != -1)
    switch (c) {
    case '/': o->dashcolon = "-/:"; break;
    case 'o': o->home = 2; break;
    case 'h': o->home = 1; break;
    case 'H': o->home = 0; break;
    case 'u': o->noupper = 0; break;
    case 'U': o->noupper = 1; break;
    case 'c': o->brk = optarg[0]; break;
    case 'C': o->brk = 0; break;
    default: die(100, "usage: qmail-pw2u [ -/ohHuUC ] [ -c char ]");
    }
}

int main(int argc, char **argv)
{
  static struct opts o;
  static struct lists l;
  getopts(&o, argc, argv);
  if (chdir(AUTO_QMAIL) < 0) die(111, "unable to chdir");
  l.okincl = readlist("include", &l.incl);
  l.okexcl = readlist("exclude", &l.excl);
  l.okmana = readlist("mailnames", &l.mana);
  if (!sb_ready(&l.allusers, 0)) die_nomem();
  wr_init(&out, 1, 0);
  eachline(0, account, &o, &l, 0);
  if (!seen_alias(&l)) die(111, "unable to find %s user", AUTO_USERA);
  optional("users/subusers", &o, &l, 0);
  optional("users/append", &o, &l, 1);
  puts0(".\n");
  if (wr_flush(&out) < 0) die(111, "unable to write output");
  return 0;
}
