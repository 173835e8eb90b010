/* qmail-newu: compile users/assign into users/cdb (qmail-users(5)),
 * replacing the old cdb atomically; a bad assign leaves it alone. */
#include "auto.h"
#include "die.h"
#include "io.h"
#include "rd.h"
#include "users.h"
#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *progname = "qmail-newu";

#define ASSIGN_LINE_MAX (8 * (USERS_FIELD_MAX + 1))

/* Feed every assignment from fd into c. 0 ok; dies on bad input. */
static void compile(int fd, struct cdb_make *c)
{
  struct rd r;
  sb line = SB_INIT, key = SB_INIT, val = SB_INIT;
  uint64_t lineno = 0;
  rd_init(&r, fd, 0);
  for (;;) {
    int k = rd_line(&r, &line, '\n', ASSIGN_LINE_MAX);
    ++lineno;
    if (k == RD_ERR) die(111, "unable to read users/assign: %s", strerror(errno));
    if ((k == RD_OK || k == RD_PARTIAL) && line.len && line.s[0] == '.') break;
    if (k != RD_OK) die(111, "bad format in users/assign line %llu%s", (unsigned long long)lineno,
                        k == RD_EOF || k == RD_PARTIAL ? " (no final \".\" line)" : "");
    switch (users_assign_line(line.s, line.len, &key, &val)) {
    case 0: break;
    case -2: die_nomem();
    default: die(111, "bad format in users/assign line %llu", (unsigned long long)lineno);
    }
    if (cdb_make_add(c, key.s, (unsigned)key.len, val.s, (unsigned)val.len) < 0)
      die(111, "unable to write users/cdb.tmp: %s", strerror(errno));
  }
  sb_free(&line); sb_free(&key); sb_free(&val);
}

int main(void)
{
  struct cdb_make c;
  int fd, out;
  umask(033);
  if (chdir(AUTO_QMAIL) < 0) die(111, "unable to chdir to %s: %s", AUTO_QMAIL, strerror(errno));
  fd = open("users/assign", O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(111, "unable to open users/assign: %s", strerror(errno));
  out = open("users/cdb.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) die(111, "unable to open users/cdb.tmp: %s", strerror(errno));
  if (cdb_make_start(&c, out) < 0) die(111, "unable to write users/cdb.tmp: %s", strerror(errno));
  compile(fd, &c);
  if (cdb_make_finish(&c) < 0 || fsync(out) < 0 || close(out) < 0)
    die(111, "unable to write users/cdb.tmp: %s", strerror(errno));
  if (rename("users/cdb.tmp", "users/cdb") < 0)
    die(111, "unable to move users/cdb.tmp to users/cdb: %s", strerror(errno));
  if (fsync_dir("users/cdb") < 0) die(111, "unable to sync users/: %s", strerror(errno));
  return 0;
}
