/* qmail-getpw: the passwd user in charge of a local part (INTERNALS 6).
 * Tries local, then each prefix before a BREAK from the right; a user
 * counts if uid != 0 and it owns its home. Else the alias user with
 * dash "-" and ext = local. Prints user\0uid\0gid\0home\0dash\0ext\0. */
#include "auto.h"
#include "io.h"
#include "qlx.h"
#include "sb.h"
#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *progname = "qmail-getpw";

#define GETPW_USERLEN 32

/* getpwnam that tells "no such user" from trouble */
static struct passwd *lookpw(const char *name)
{
  struct passwd *pw;
  errno = 0;
  pw = getpwnam(name);
  if (!pw && (errno == EIO || errno == EMFILE || errno == ENFILE || errno == ENOMEM ||
              errno == EAGAIN || errno == EINTR || errno == ETXTBSY))
    _exit(QLX_SYS);
  return pw;
}

/* 1 = *pw owns local up to *extlen bytes, rest is the extension */
static int userext(const char *local, struct passwd **pw, size_t *userlen)
{
  size_t n = strlen(local);
  for (size_t i = n + 1; i-- > 0;) {
    char name[GETPW_USERLEN];
    struct stat st;
    if (i >= sizeof name) continue;
    if (i != n && (!AUTO_BREAK[0] || local[i] != AUTO_BREAK[0])) continue;
    if (!i) break;
    memcpy(name, local, i);
    name[i] = 0;
    for (size_t k = 0; k < i; ++k)
      if (name[k] >= 'A' && name[k] <= 'Z') name[k] = (char)(name[k] + 32);
    *pw = lookpw(name);
    if (!*pw || !(*pw)->pw_uid) continue;
    if (stat((*pw)->pw_dir, &st) < 0) {
      if (errno == ENOENT || errno == ENOTDIR || errno == EACCES || errno == ENAMETOOLONG || errno == ELOOP) continue;
      _exit(QLX_NFS);
    }
    if (st.st_uid != (*pw)->pw_uid) continue;
    *userlen = i;
    return 1;
  }
  return 0;
}

static int print(const struct passwd *pw, const char *home, const char *dash, const char *ext)
{
  sb b = SB_INIT;
  int ok = sb_cats(&b, pw->pw_name) && sb_cat0(&b) && sb_catu64(&b, pw->pw_uid) && sb_cat0(&b) &&
           sb_catu64(&b, pw->pw_gid) && sb_cat0(&b) && sb_cats(&b, home) && sb_cat0(&b) &&
           sb_cats(&b, dash) && sb_cat0(&b) && sb_cats(&b, ext) && sb_cat0(&b);
  if (!ok || io_writeall(1, b.s, b.len) < 0) return 111;
  sb_free(&b);
  return 0;
}

int main(int argc, char **argv)
{
  struct passwd *pw;
  size_t ulen;
  const char *local = argc > 1 ? argv[1] : NULL;
  if (!local) _exit(100);
  if (userext(local, &pw, &ulen))
    return print(pw, pw->pw_dir, local[ulen] ? "-" : "", local[ulen] ? local + ulen + 1 : "");
  pw = lookpw(AUTO_USERA);
  if (!pw) _exit(QLX_NOALIAS);
  /* ~alias is this installation's alias directory, whatever passwd says:
   * several installations (or test instances) share one alias user */
  return print(pw, AUTO_ALIASHOME, "-", local);
}
