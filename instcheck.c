/* instcheck: verify every item of hier.c under conf-qmail: type, owner,
 * group and mode. Prints one line per problem; exit 111 if any. */
#include "auto.h"
#include "die.h"
#include "hier.h"
#include "priv.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

const char *progname = "instcheck";

static const char *kindname(enum hier_kind k)
{
  switch (k) {
  case H_DIR: return "a directory";
  case H_FIFO: return "a named pipe";
  default: return "a regular file";
  }
}

static int kind_ok(enum hier_kind k, mode_t m)
{
  switch (k) {
  case H_DIR: return S_ISDIR(m);
  case H_FIFO: return S_ISFIFO(m);
  default: return S_ISREG(m);
  }
}

/* Counts the problems of one item in *arg; always continues. */
static int check_item(const struct hier_item *it, void *arg)
{
  unsigned *bad = arg;
  char path[4096];
  struct stat st;
  uid_t uid;
  gid_t gid = 0, ugid;
  int n = snprintf(path, sizeof path, "%s%s%s", AUTO_QMAIL, it->path[0] ? "/" : "", it->path);
  if (n < 0 || (size_t)n >= sizeof path) die(111, "path too long: %s", it->path);
  if (priv_user(it->user, &uid, &ugid) < 0) { printf("instcheck: user %s does not exist\n", it->user); ++*bad; return 0; }
  if (it->group && priv_group(it->group, &gid) < 0) { printf("instcheck: group %s does not exist\n", it->group); ++*bad; return 0; }
  if (lstat(path, &st) < 0) {
    if (errno == ENOENT) printf("instcheck: %s: missing\n", path);
    else printf("instcheck: %s: unable to stat: %s\n", path, strerror(errno));
    ++*bad;
    return 0;
  }
  if (!kind_ok(it->kind, st.st_mode)) { printf("instcheck: %s: not %s\n", path, kindname(it->kind)); ++*bad; return 0; }
  if (st.st_uid != uid) { printf("instcheck: %s: wrong owner %lu, want %s (%lu)\n", path, (unsigned long)st.st_uid, it->user, (unsigned long)uid); ++*bad; }
  if (st.st_gid != gid) { printf("instcheck: %s: wrong group %lu, want %s (%lu)\n", path, (unsigned long)st.st_gid, it->group ? it->group : "0", (unsigned long)gid); ++*bad; }
  if ((st.st_mode & 07777) != it->mode) { printf("instcheck: %s: wrong mode %04o, want %04o\n", path, (unsigned)(st.st_mode & 07777), (unsigned)it->mode); ++*bad; }
  if (it->kind == H_ZERO && it->size && (size_t)st.st_size != it->size) { printf("instcheck: %s: size %lld, want %zu\n", path, (long long)st.st_size, it->size); ++*bad; }
  return 0;
}

int main(void)
{
  unsigned bad = 0;
  if (hier_walk(check_item, &bad) != 0) die(111, "unable to walk the install table: %s", strerror(errno));
  fflush(stdout);
  if (bad) die(111, "%u problem%s in %s", bad, bad == 1 ? "" : "s", AUTO_QMAIL);
  return 0;
}
