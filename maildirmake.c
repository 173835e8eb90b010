/* maildirmake: create a Maildir (dir, dir/tmp, dir/new, dir/cur), mode 700. */
#include "die.h"
#include "maildir.h"
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

const char *progname = "maildirmake";

int main(int argc, char **argv)
{
  if (argc != 2 || !argv[1][0]) die(100, "usage: maildirmake name");
  umask(077);
  if (maildir_make(argv[1], 0700) < 0) die(111, "unable to create %s: %s", argv[1], strerror(errno));
  return 0;
}
