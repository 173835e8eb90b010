/* install: create the qmail accounts if missing, then every directory and
 * file of hier.c under conf-qmail. Safe to rerun: existing queue files,
 * control files and .qmail files are never truncated or overwritten. */
#include "auto.h"
#include "die.h"
#include "hier.h"
#include "io.h"
#include "priv.h"
#include "sb.h"
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const char *progname = "install";

/* Accounts: name, login group, home below conf-qmail. */
struct account { const char *user, *group, *home; };
static const struct account accounts[] = {
  {AUTO_USERA, AUTO_GROUPQ, "/alias"},
  {AUTO_USERD, AUTO_GROUPN, ""},
  {AUTO_USERL, AUTO_GROUPN, ""},
  {AUTO_USERP, AUTO_GROUPN, ""},
  {AUTO_USERQ, AUTO_GROUPQ, ""},
  {AUTO_USERR, AUTO_GROUPQ, ""},
  {AUTO_USERS, AUTO_GROUPQ, ""},
};

static int run(char *const argv[])
{
  int status;
  pid_t pid = fork();
  if (pid < 0) die(111, "unable to fork: %s", strerror(errno));
  if (pid == 0) {
    execv(argv[0], argv);
    warn("unable to run %s: %s", argv[0], strerror(errno));
    _exit(127);
  }
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) die(111, "unable to wait for %s: %s", argv[0], strerror(errno));
  return WIFEXITED(status) ? WEXITSTATUS(status) : 126;
}

static const char *tool(const char *name)
{
  static char buf[64];
  snprintf(buf, sizeof buf, "/usr/sbin/%s", name);
  if (access(buf, X_OK) == 0) return buf;
  snprintf(buf, sizeof buf, "/sbin/%s", name);
  return buf;
}

static void ensure_group(const char *name)
{
  gid_t gid;
  if (priv_group(name, &gid) == 0) return;
  char *argv[] = {(char *)tool("groupadd"), "-r", (char *)name, NULL};
  if (run(argv) != 0 || priv_group(name, &gid) < 0) die(111, "unable to create group %s", name);
  printf("install: created group %s\n", name);
}

static void ensure_user(const struct account *a)
{
  uid_t uid;
  gid_t gid;
  char home[4096];
  const char *shell = access("/usr/sbin/nologin", X_OK) == 0 ? "/usr/sbin/nologin" : "/bin/false";
  struct stat st;
  snprintf(home, sizeof home, "%s%s", AUTO_QMAIL, a->home);
  if (priv_user(a->user, &uid, &gid) == 0) {
    /* qmail-getpw delivers to the alias user's passwd home: it must exist. */
    struct passwd *pw = getpwnam(a->user);
    if (a == &accounts[0] && pw && stat(pw->pw_dir, &st) < 0 && errno == ENOENT) {
      char *argv[] = {(char *)tool("usermod"), "-d", home, (char *)a->user, NULL};
      if (run(argv) != 0) warn("unable to set home of %s to %s", a->user, home);
      else printf("install: home of %s was missing, now %s\n", a->user, home);
    }
    return;
  }
  char *argv[] = {(char *)tool("useradd"), "-r", "-M", "-g", (char *)a->group, "-d", home,
                  "-s", (char *)shell, (char *)a->user, NULL};
  if (run(argv) != 0 || priv_user(a->user, &uid, &gid) < 0) die(111, "unable to create user %s", a->user);
  printf("install: created user %s\n", a->user);
}

static void ensure_accounts(void)
{
  ensure_group(AUTO_GROUPQ);
  ensure_group(AUTO_GROUPN);
  for (size_t i = 0; i < sizeof accounts / sizeof accounts[0]; ++i) ensure_user(&accounts[i]);
}

static void ids(const struct hier_item *it, uid_t *uid, gid_t *gid)
{
  gid_t ugid;
  if (priv_user(it->user, uid, &ugid) < 0) die(111, "unknown user %s", it->user);
  *gid = 0;
  if (it->group && priv_group(it->group, gid) < 0) die(111, "unknown group %s", it->group);
}

/* Owner before mode: chown clears the setuid bit. fd, not path, so a
 * symlink planted in a user-writable directory is never followed. */
static void fix(int fd, const char *path, const struct hier_item *it)
{
  uid_t uid;
  gid_t gid;
  ids(it, &uid, &gid);
  if (fchown(fd, uid, gid) < 0) die(111, "unable to chown %s: %s", path, strerror(errno));
  if (fchmod(fd, it->mode) < 0) die(111, "unable to chmod %s: %s", path, strerror(errno));
}

static void mkdir_parents(const char *path)
{
  char buf[4096];
  size_t n = strlen(path);
  if (n >= sizeof buf) die(111, "path too long: %s", path);
  memcpy(buf, path, n + 1);
  for (size_t i = 1; i < n; ++i) {
    if (buf[i] != '/') continue;
    buf[i] = 0;
    if (mkdir(buf, 0755) < 0 && errno != EEXIST) die(111, "unable to mkdir %s: %s", buf, strerror(errno));
    buf[i] = '/';
  }
}

static void do_dir(const char *path, const struct hier_item *it)
{
  if (!it->path[0]) mkdir_parents(path);
  if (mkdir(path, 0700) < 0 && errno != EEXIST) die(111, "unable to mkdir %s: %s", path, strerror(errno));
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) die(111, "unable to open directory %s: %s", path, strerror(errno));
  fix(fd, path, it);
  close(fd);
}

/* Copy via a temporary name and rename, so running programs keep theirs. */
static void do_file(const char *path, const struct hier_item *it)
{
  sb data = SB_INIT, tmp = SB_INIT;
  if (it->keep) {
    /* an installed template is the administrator's: owner and mode only */
    int kfd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (kfd >= 0) {
      if (fstat(kfd, &st) < 0 || !S_ISREG(st.st_mode)) die(111, "%s exists and is not a regular file", path);
      fix(kfd, path, it);
      close(kfd);
      return;
    }
    if (errno != ENOENT) die(111, "unable to open %s: %s", path, strerror(errno));
  }
  if (access(it->src, F_OK) < 0 && errno == ENOENT) {
    /* only in a partial build; instcheck reports it as missing */
    warn("%s is not built, not installed", it->src);
    return;
  }
  if (io_readfile(it->src, &data, (size_t)1 << 30) < 0) die(111, "unable to read %s: %s", it->src, strerror(errno));
  if (!sb_fmt(&tmp, "%s.install%ld", path, (long)getpid())) die_nomem();
  unlink(tmp.s);
  int fd = open(tmp.s, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) die(111, "unable to create %s: %s", tmp.s, strerror(errno));
  if (io_writeall(fd, data.s, data.len) < 0) { unlink(tmp.s); die(111, "unable to write %s: %s", tmp.s, strerror(errno)); }
  fix(fd, tmp.s, it);
  if (fsync(fd) < 0 || close(fd) < 0) { unlink(tmp.s); die(111, "unable to write %s: %s", tmp.s, strerror(errno)); }
  if (rename(tmp.s, path) < 0) { unlink(tmp.s); die(111, "unable to rename %s to %s: %s", tmp.s, path, strerror(errno)); }
  sb_free(&data);
  sb_free(&tmp);
}

/* Created with its size when missing; an existing file keeps its data. */
static void do_keep(const char *path, const struct hier_item *it)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0) {
    char zero[1024] = {0};
    for (size_t left = it->size; left;) {
      size_t n = left < sizeof zero ? left : sizeof zero;
      if (io_writeall(fd, zero, n) < 0) die(111, "unable to write %s: %s", path, strerror(errno));
      left -= n;
    }
    if (fsync(fd) < 0) die(111, "unable to write %s: %s", path, strerror(errno));
  } else {
    if (errno != EEXIST) die(111, "unable to create %s: %s", path, strerror(errno));
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) die(111, "unable to open %s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode)) die(111, "%s exists and is not a regular file", path);
  }
  fix(fd, path, it);
  close(fd);
}

static void do_fifo(const char *path, const struct hier_item *it)
{
  struct stat st;
  if (mkfifo(path, 0600) < 0 && errno != EEXIST) die(111, "unable to mkfifo %s: %s", path, strerror(errno));
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0 || fstat(fd, &st) < 0) die(111, "unable to open %s: %s", path, strerror(errno));
  if (!S_ISFIFO(st.st_mode)) die(111, "%s exists and is not a named pipe", path);
  fix(fd, path, it);
  close(fd);
}

static int install_item(const struct hier_item *it, void *arg)
{
  char path[4096];
  (void)arg;
  int n = snprintf(path, sizeof path, "%s%s%s", AUTO_QMAIL, it->path[0] ? "/" : "", it->path);
  if (n < 0 || (size_t)n >= sizeof path) die(111, "path too long: %s", it->path);
  switch (it->kind) {
  case H_DIR: do_dir(path, it); break;
  case H_FILE: do_file(path, it); break;
  case H_EMPTY:
  case H_ZERO: do_keep(path, it); break;
  case H_FIFO: do_fifo(path, it); break;
  }
  return 0;
}

int main(void)
{
  if (geteuid() != 0) die(111, "must be run as root");
  umask(077);
  ensure_accounts();
  if (hier_walk(install_item, NULL) != 0) die(111, "unable to walk the install table: %s", strerror(errno));
  return 0;
}
