#include "priv.h"
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

int priv_user(const char *name, uid_t *uid, gid_t *gid)
{
  struct passwd *pw;
  errno = 0;
  pw = getpwnam(name);
  if (!pw) { if (!errno) errno = ENOENT; return -1; }
  *uid = pw->pw_uid;
  if (gid) *gid = pw->pw_gid;
  return 0;
}

int priv_group(const char *name, gid_t *gid)
{
  struct group *gr;
  errno = 0;
  gr = getgrnam(name);
  if (!gr) { if (!errno) errno = ENOENT; return -1; }
  *gid = gr->gr_gid;
  return 0;
}

int priv_drop(uid_t uid, gid_t gid)
{
  if (getuid() == 0 || geteuid() == 0) {
    if (setgroups(1, &gid) < 0) return -1;
  }
  if (setgid(gid) < 0) return -1;
  if (setuid(uid) < 0) return -1;
  if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid) { errno = EPERM; return -1; }
  if (uid != 0 && setuid(0) == 0) { errno = EPERM; return -1; }
  return 0;
}
