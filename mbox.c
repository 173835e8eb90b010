#include "mbox.h"
#include "io.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

unsigned mbox_lock_wait = 30;

void mbox_quoter_init(struct mbox_quoter *q)
{
  q->bol = 1; q->gts = 0; q->matched = 0;
}

int mbox_quote(struct mbox_quoter *q, const char *in, size_t n, sb *out)
{
  static const char from[] = "From ";
  for (size_t i = 0; i < n; ++i) {
    char c = in[i];
    if (q->bol) {
      if (!q->matched && c == '>') { q->gts = 1; if (!sb_catc(out, c)) return 0; continue; }
      if (c == from[q->matched]) {
        if (++q->matched < 5) continue;
        /* the '>' may go anywhere in the run; putting it last is the same */
        if (!sb_cats(out, ">From ")) return 0;
        q->bol = 0; q->matched = 0; q->gts = 0;
        continue;
      }
      if (!sb_catb(out, from, q->matched)) return 0;
      q->matched = 0; q->bol = 0; q->gts = 0;
    }
    if (!sb_catc(out, c)) return 0;
    if (c == '\n') q->bol = 1;
  }
  return 1;
}

int mbox_quote_end(struct mbox_quoter *q, sb *out)
{
  int atstart = q->bol && !q->matched && !q->gts;
  if (q->matched && !sb_catb(out, "From ", q->matched)) return 0;
  q->matched = 0;
  if (!atstart && !sb_catc(out, '\n')) return 0;
  q->bol = 1; q->gts = 0;
  return sb_catc(out, '\n');
}

/* 1 locked, 0 lock not available on this file system, -1 timeout/error */
static int lock_both(int fd)
{
  int haveflock = 0, havefcntl = 0;
  for (int waited = 0;; ++waited) {
    if (!haveflock) {
      if (flock(fd, LOCK_EX | LOCK_NB) == 0) haveflock = 1;
      else if (errno != EWOULDBLOCK && errno != EINTR) haveflock = -1;
    }
    if (haveflock && !havefcntl) {       /* flock first: our deliveries never cross-wait */
      struct flock fl;
      memset(&fl, 0, sizeof fl);
      fl.l_type = F_WRLCK; fl.l_whence = SEEK_SET;
      if (fcntl(fd, F_SETLK, &fl) == 0) havefcntl = 1;
      else if (errno != EAGAIN && errno != EACCES && errno != EINTR) havefcntl = -1;
    }
    if (haveflock && havefcntl) return haveflock > 0 || havefcntl > 0;
    if ((unsigned)waited >= mbox_lock_wait) return -1;
    sleep(1);
  }
}

static int put(int fd, sb *buf)
{
  int r = io_writeall(fd, buf->s, buf->len);
  buf->len = 0;
  return r;
}

int mbox_deliver(const char *path, const char *prefix, size_t plen, int fd)
{
  struct mbox_quoter q;
  sb out = SB_INIT;
  char buf[8192];
  off_t pos;
  int mfd, locked, r = MBOX_ERR_WRITE;
  if (lseek(fd, 0, SEEK_SET) < 0) return MBOX_ERR_READ;
  mfd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0600);
  if (mfd < 0) return MBOX_ERR_OPEN;
  locked = lock_both(mfd);
  if (locked < 0) { close(mfd); return MBOX_ERR_LOCKTIME; }
  pos = lseek(mfd, 0, SEEK_END);
  if (pos < 0) goto fail;
  mbox_quoter_init(&q);
  if (!sb_catb(&out, prefix, plen)) { r = MBOX_ERR_NOMEM; goto fail; }
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) { if (errno == EINTR) continue; r = MBOX_ERR_READ; goto fail; }
    if (n == 0) break;
    if (!mbox_quote(&q, buf, (size_t)n, &out)) { r = MBOX_ERR_NOMEM; goto fail; }
    if (out.len >= sizeof buf && put(mfd, &out) < 0) goto fail;
  }
  if (!mbox_quote_end(&q, &out)) { r = MBOX_ERR_NOMEM; goto fail; }
  if (put(mfd, &out) < 0 || fsync(mfd) < 0) goto fail;
  if (close(mfd) < 0) { mfd = -1; goto fail_closed; }
  sb_free(&out);
  return MBOX_OK;
fail:
  {
    int e = errno;
    if (locked) { int t = ftruncate(mfd, pos); (void)t; }
    close(mfd);
    errno = e;
  }
fail_closed:
  { int e = errno; sb_free(&out); errno = e; }
  return r;
}
