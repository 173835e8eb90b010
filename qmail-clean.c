/* qmail-clean: removes queue files on behalf of qmail-send and qmail-todo,
 * which run as qmails and cannot unlink qmailq's files (INTERNALS 4).
 *   T<id>\0  unlink todo/<split>/<id>, then intd/<split>/<id>
 *   M<id>\0  unlink todo, intd, then mess (mess last: once it is gone the
 *            inode number, which is the message id, may be reused)
 * Replies one byte: '+' done, '!' failed. Old pid/ files are removed at
 * start and every hour. */
#include "auto.h"
#include "die.h"
#include "queue.h"
#include "rd.h"
#include "sb.h"
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *progname = "qmail-clean";

#define PIDAGE (36 * 3600)      /* qmail-queue gives up after 24 hours */
#define PIDEVERY 3600
#define REQMAX 64               /* "M" + 20 digits is all a request can be */

static int unlink_ok(const char *dir, uint64_t id)
{
  sb path = SB_INIT;
  int ok = qpath(&path, dir, id) && (unlink(path.s) == 0 || errno == ENOENT);
  sb_free(&path);
  return ok;
}

/* Pure: decode one request record. 'T' or 'M' and the id, or 0 if malformed. */
static int parse_request(const sb *rec, uint64_t *id)
{
  if (rec->len < 2 || (rec->s[0] != 'T' && rec->s[0] != 'M')) return 0;
  if (!scan_u64(rec->s + 1, rec->len - 1, id)) return 0;
  return rec->s[0];
}

static int do_request(int kind, uint64_t id)
{
  if (!unlink_ok("todo", id)) return 0;
  if (!unlink_ok("intd", id)) return 0;
  if (kind == 'M' && !unlink_ok("mess", id)) return 0;
  return 1;
}

static void clean_pid(time_t now)
{
  DIR *d = opendir("pid");
  struct dirent *e;
  sb path = SB_INIT;
  if (!d) { warn("unable to open pid/"); return; }
  while ((e = readdir(d))) {
    struct stat st;
    if (e->d_name[0] == '.') continue;
    if (!sb_copys(&path, "pid/") || !sb_cats(&path, e->d_name)) break;
    if (stat(path.s, &st) < 0) continue;
    if (now > st.st_mtime + PIDAGE) unlink(path.s);
  }
  closedir(d);
  sb_free(&path);
}

static int serve(int in, int out)
{
  struct rd r;
  sb rec = SB_INIT;
  time_t next = 0;
  rd_init(&r, in, 0);
  for (;;) {
    time_t now = time(0);
    uint64_t id;
    int kind, k;
    char reply;
    if (now >= next) { clean_pid(now); next = now + PIDEVERY; }
    if (!rd_buffered(&r)) {
      struct pollfd p = { .fd = in, .events = POLLIN };
      int n = poll(&p, 1, (int)(next - now) * 1000);
      if (n < 0 && errno != EINTR) die(111, "poll failed");
      if (n <= 0) continue;
    }
    k = rd_line(&r, &rec, 0, REQMAX);
    if (k == RD_EOF) return 0;
    if (k == RD_TOOLONG) {
      if (rd_skip(&r, 0) != RD_OK) return 0;
      kind = 0;
    } else if (k != RD_OK) return k == RD_PARTIAL ? 0 : 111;
    else kind = parse_request(&rec, &id);
    reply = kind && do_request(kind, id) ? '+' : '!';
    if (write(out, &reply, 1) != 1) return 0;
  }
}

int main(void)
{
  signal(SIGPIPE, SIG_IGN);
  if (chdir(AUTO_QMAIL) < 0 || chdir("queue") < 0) die(111, "unable to chdir to %s/queue", AUTO_QMAIL);
  return serve(0, 1);
}
