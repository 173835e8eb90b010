/* qmail-qread: list the messages in the queue (qmail-qread(8)). */
#include "auto.h"
#include "die.h"
#include "io.h"
#include "priv.h"
#include "qrfmt.h"
#include "queue.h"
#include "rd.h"
#include "sb.h"
#include "wr.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *progname = "qmail-qread";

#define MAXINFO (64 * 1024)     /* an info file: sender and two numbers */
#define MAXRCPT (64 * 1024)     /* one recipient record */

static struct wr out;

static void put(const sb *s) { wr_put(&out, s->s, s->len); }

static void trouble(uint64_t id, int e)
{
  sb s = SB_INIT;
  if (!sb_fmt(&s, "warning: trouble with #%llu: %s\n", (unsigned long long)id, strerror(e))) die_nomem();
  put(&s);
  sb_free(&s);
}

static int cmp(const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* ids of all messages with an info file, sorted */
static uint64_t *scan(size_t *count)
{
  uint64_t *ids = 0;
  size_t n = 0, cap = 0;
  for (unsigned d = 0; d < qsplit(); ++d) {
    sb dir = SB_INIT;
    if (!sb_fmt(&dir, "info/%u", d)) die_nomem();
    DIR *dp = opendir(dir.s);
    if (!dp) die(111, "unable to opendir %s: %s", dir.s, strerror(errno));
    struct dirent *e;
    while ((e = readdir(dp))) {
      uint64_t id;
      if (!scan_u64s(e->d_name, &id)) continue;
      if (n == cap) {
        cap = cap ? cap * 2 : 64;
        if (cap > SIZE_MAX / sizeof *ids) die_nomem();
        uint64_t *p = realloc(ids, cap * sizeof *ids);
        if (!p) die_nomem();
        ids = p;
      }
      ids[n++] = id;
    }
    closedir(dp);
    sb_free(&dir);
  }
  if (n) qsort(ids, n, sizeof *ids, cmp);
  *count = n;
  return ids;
}

/* T/D records of local/ or remote/; a missing file means none. */
static void recipients(uint64_t id, int remote)
{
  sb fn = SB_INIT, rec = SB_INIT, line = SB_INIT;
  struct rd r;
  if (!qpath(&fn, remote ? "remote" : "local", id)) die_nomem();
  int fd = open(fn.s, O_RDONLY | O_CLOEXEC);
  if (fd < 0) { if (errno != ENOENT) trouble(id, errno); goto out; }
  rd_init(&r, fd, 0);
  for (;;) {
    int k = rd_line(&r, &rec, 0, MAXRCPT);
    if (k == RD_EOF || k == RD_PARTIAL) break;
    if (k == RD_TOOLONG) { trouble(id, EFBIG); break; }
    if (k != RD_OK) { trouble(id, errno); break; }
    if (!rec.len || (rec.s[0] != 'T' && rec.s[0] != 'D')) continue;
    line.len = 0;
    if (!qr_rcpt(&line, rec.s[0] == 'D', remote, rec.s + 1, rec.len - 1)) die_nomem();
    put(&line);
  }
  close(fd);
out:
  sb_free(&fn); sb_free(&rec); sb_free(&line);
}

static void show(uint64_t id)
{
  sb mess = SB_INIT, info = SB_INIT, bounce = SB_INIT, buf = SB_INIT, sender = SB_INIT, line = SB_INIT;
  struct stat st, ist;
  if (!qpath(&mess, "mess", id) || !qpath(&info, "info", id) || !qpath(&bounce, "bounce", id)) die_nomem();
  if (stat(mess.s, &st) < 0) { trouble(id, errno); goto out; }
  int bouncing = stat(bounce.s, &ist) == 0;
  if (stat(info.s, &ist) < 0 || io_readfile(info.s, &buf, MAXINFO) < 0) { trouble(id, errno); goto out; }
  if (!qr_info_sender(buf.s, buf.len, &sender)) { trouble(id, EINVAL); goto out; }
  if (!qr_stats(&line, ist.st_mtime, id, (uint64_t)st.st_size, sender.s, sender.len, bouncing)) die_nomem();
  put(&line);
  recipients(id, 0);
  recipients(id, 1);
out:
  sb_free(&mess); sb_free(&info); sb_free(&bounce); sb_free(&buf); sb_free(&sender); sb_free(&line);
}

/* The queue is readable by root and qmails only. */
static void checkuser(void)
{
  uid_t u;
  if (geteuid() == 0) return;
  if (!priv_user(AUTO_USERS, &u, 0) && u == geteuid()) return;
  die(111, "must be run as root or %s", AUTO_USERS);
}

int main(void)
{
  size_t n;
  checkuser();
  if (chdir(AUTO_QMAIL) < 0 || chdir("queue") < 0) die(111, "unable to chdir to %s/queue: %s", AUTO_QMAIL, strerror(errno));
  wr_init(&out, 1, 0);
  uint64_t *ids = scan(&n);
  for (size_t i = 0; i < n; ++i) show(ids[i]);
  free(ids);
  if (wr_flush(&out) < 0) die(111, "unable to write output: %s", strerror(errno));
  return 0;
}
