/* qmail-cdb out.cdb tmpfile < list: the cdb form of a control list
 * (locals.cdb, rcpthosts.cdb). Keys per ctl_cdbkey, values empty; the
 * cdb is written to tmpfile, fsync'd and renamed over out.cdb. */
#include "ctl.h"
#include "die.h"
#include "io.h"
#include "rd.h"
#include "sb.h"
#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *progname = "qmail-cdb";

#define MAXLINE 4096   /* far beyond any domain or address */

static const char *tmpname;

static void fail(const char *fmt, const char *a, int err)
{
  if (tmpname) unlink(tmpname);
  die(111, fmt, a, strerror(err));
}

/* Add every key of the list on fd to c. Returns 0, or -1 with errno set
 * (EINVAL: a NUL byte; E2BIG: a line longer than MAXLINE); *lineno is
 * the line reached. */
static int add_keys(int fd, struct cdb_make *c, uint64_t *lineno)
{
  struct rd r;
  sb line = SB_INIT, key = SB_INIT;
  int ret = -1;
  rd_init(&r, fd, 0);
  for (*lineno = 1;; ++*lineno) {
    int st = rd_line(&r, &line, '\n', MAXLINE);
    if (st == RD_EOF) { ret = 0; break; }
    if (st == RD_TOOLONG) { errno = E2BIG; break; }
    if (st != RD_OK && st != RD_PARTIAL) break;
    if (memchr(line.s, 0, line.len)) { errno = EINVAL; break; }
    int k = ctl_cdbkey(line.s, line.len, &key);
    if (k < 0) break;
    if (k && cdb_make_add(c, key.s, (unsigned)key.len, "", 0) < 0) break;
    if (st == RD_PARTIAL) { ret = 0; break; }
  }
  sb_free(&line);
  sb_free(&key);
  return ret;
}

static void build(const char *out, const char *tmp)
{
  struct cdb_make c;
  uint64_t lineno = 0;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) die(111, "unable to create %s: %s", tmp, strerror(errno));
  tmpname = tmp;
  if (fchmod(fd, 0644) < 0) fail("unable to chmod %s: %s", tmp, errno);
  if (cdb_make_start(&c, fd) < 0) fail("unable to write %s: %s", tmp, errno);
  if (add_keys(0, &c, &lineno) < 0) {
    int e = errno;
    if (tmpname) unlink(tmpname);
    if (e == E2BIG) die(111, "line %llu is too long", (unsigned long long)lineno);
    if (e == EINVAL) die(111, "line %llu contains a NUL byte", (unsigned long long)lineno);
    die(111, "unable to read input or write %s: %s", tmp, strerror(e));
  }
  if (cdb_make_finish(&c) < 0) fail("unable to write %s: %s", tmp, errno);
  if (fsync(fd) < 0) fail("unable to write %s: %s", tmp, errno);
  if (close(fd) < 0) fail("unable to write %s: %s", tmp, errno);
  if (rename(tmp, out) < 0) {
    int e = errno;
    unlink(tmp);
    die(111, "unable to move %s to %s: %s", tmp, out, strerror(e));
  }
  tmpname = 0;
  if (fsync_dir(out) < 0) die(111, "unable to sync the directory of %s: %s", out, strerror(errno));
}

int main(int argc, char **argv)
{
  if (argc != 3 || !*argv[1] || !*argv[2]) die(100, "usage: qmail-cdb out.cdb tmpfile < list");
  build(argv[1], argv[2]);
  return 0;
}
