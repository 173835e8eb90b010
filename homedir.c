#include "homedir.h"
#include "ctl.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int say(sb *why, int r, const char *a, const char *b)
{
  if (why) {
    why->len = 0;
    if (!sb_cats(why, a) || (b && (!sb_cats(why, ": ") || !sb_cats(why, b)))) why->len = 0;
  }
  return r;
}

static int rundirmaker(const char *dm, const char *home, const char *aliasempty, sb *why)
{
  int st;
  pid_t pid = fork();
  if (pid < 0) return say(why, HD_SOFT, "unable to fork for the dirmaker", strerror(errno));
  if (pid == 0) {
    char *argv[4] = {(char *)dm, (char *)home, (char *)aliasempty, 0};
    int null = open("/dev/null", O_RDWR);
    /* its words go to the log, never to the client */
    if (null < 0 || dup2(null, 0) < 0 || dup2(2, 1) < 0) _exit(111);
    execv(dm, argv);
    _exit(111);
  }
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return say(why, HD_SOFT, "unable to wait for the dirmaker", strerror(errno));
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return HD_OK;
  if (WIFEXITED(st) && WEXITSTATUS(st) == 100) return say(why, HD_REFUSED, "the dirmaker refused to create it", NULL);
  return say(why, HD_SOFT, "the dirmaker failed", NULL);
}

int homedir_make(const char *home, const char *aliasempty, sb *why)
{
  sb dm = SB_INIT, p = SB_INIT;
  int r = HD_OK;
  if (ctl_line("dirmaker", &dm) < 0) return say(why, HD_ERR, "unable to read control/dirmaker", strerror(errno));
  if (dm.len) r = rundirmaker(dm.s, home, aliasempty, why);
  else if (!sb_copys(&p, home)) r = say(why, HD_ERR, "out of memory", NULL);
  else {
    for (size_t i = 1; i <= p.len && r == HD_OK; ++i) {
      if (i < p.len && p.s[i] != '/') continue;
      p.s[i] = 0;
      if (mkdir(p.s, 0700) < 0 && errno != EEXIST) r = say(why, HD_ERR, "unable to create the home directory", strerror(errno));
      if (i < p.len) p.s[i] = '/';
    }
  }
  sb_free(&dm);
  sb_free(&p);
  return r;
}
