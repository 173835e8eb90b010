#include "maildir.h"
#include "io.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int maildir_host(sb *out, const char *host)
{
  for (; *host; ++host) {
    int ok = *host == '/' ? sb_cats(out, "\\057") : *host == ':' ? sb_cats(out, "\\072") : sb_catc(out, *host);
    if (!ok) return 0;
  }
  return 1;
}

int maildir_uniq(sb *out, uint64_t sec, uint64_t usec, uint64_t pid, uint64_t seq, const char *host)
{
  return sb_catu64(out, sec) && sb_cats(out, ".M") && sb_catu64(out, usec) && sb_catc(out, 'P') &&
         sb_catu64(out, pid) && sb_catc(out, 'Q') && sb_catu64(out, seq) && sb_catc(out, '.') &&
         maildir_host(out, host);
}

int maildir_finalname(sb *out, const char *uniq, uint64_t size)
{
  return sb_cats(out, uniq) && sb_cats(out, ",S=") && sb_catu64(out, size);
}

void maildir_init(struct maildir_file *f)
{
  memset(f, 0, sizeof *f);
  f->fd = -1;
}

static uint64_t seq;

int maildir_open(struct maildir_file *f, const char *dir, const char *host)
{
  char hn[256];
  struct timespec ts;
  size_t n = strlen(dir);
  if (!host) {
    if (gethostname(hn, sizeof hn) < 0) hn[0] = 0;
    hn[sizeof hn - 1] = 0;
    host = hn;
  }
  maildir_abort(f);
  f->dir.len = 0;
  if (!sb_copys(&f->dir, dir) || (n && dir[n - 1] != '/' && !sb_catc(&f->dir, '/'))) return MD_ERR_NOMEM;
  for (int tries = 0; tries < 5; ++tries) {
    clock_gettime(CLOCK_REALTIME, &ts);
    f->uniq.len = 0;
    if (!maildir_uniq(&f->uniq, (uint64_t)ts.tv_sec, (uint64_t)ts.tv_nsec / 1000, (uint64_t)getpid(),
                      seq++, host))
      return MD_ERR_NOMEM;
    if (!sb_copyb(&f->tmp, f->dir.s, f->dir.len) || !sb_cats(&f->tmp, "tmp/") || !sb_catsb(&f->tmp, &f->uniq))
      return MD_ERR_NOMEM;
    f->fd = open(f->tmp.s, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (f->fd >= 0) {
      f->size = 0;
      wr_init(&f->w, f->fd, 0);
      return MD_OK;
    }
    if (errno != EEXIST) return errno == ENOENT || errno == ENOTDIR ? MD_ERR_DIR : MD_ERR_WRITE;
  }
  return MD_ERR_WRITE;
}

int maildir_write(struct maildir_file *f, const void *p, size_t n)
{
  if (!add_u64(f->size, n, &f->size)) return MD_ERR_WRITE;
  wr_put(&f->w, p, n);
  return f->w.err ? (errno = f->w.err, MD_ERR_WRITE) : MD_OK;
}

int maildir_copyfd(struct maildir_file *f, int fd)
{
  char buf[8192];
  for (;;) {
    ssize_t r = read(fd, buf, sizeof buf);
    if (r < 0) { if (errno == EINTR) continue; return MD_ERR_READ; }
    if (r == 0) return MD_OK;
    int k = maildir_write(f, buf, (size_t)r);
    if (k) return k;
  }
}

int maildir_commit(struct maildir_file *f, const char *sub, sb *final)
{
  sb dst = SB_INIT;
  int r = MD_ERR_WRITE;
  if (f->fd < 0) return MD_ERR_WRITE;
  if (wr_flush(&f->w) < 0) { errno = f->w.err; goto fail; }
  if (fsync(f->fd) < 0) goto fail;
  if (close(f->fd) < 0) { f->fd = -1; goto fail; }   /* NFS reports errors here */
  f->fd = -1;
  if (!sb_copyb(&dst, f->dir.s, f->dir.len) || !sb_cats(&dst, sub) || !sb_catc(&dst, '/') ||
      !maildir_finalname(&dst, f->uniq.s, f->size)) { r = MD_ERR_NOMEM; goto fail; }
  if (link(f->tmp.s, dst.s) < 0) { if (errno == ENOENT) r = MD_ERR_DIR; goto fail; }
  unlink(f->tmp.s);
  if (fsync_dir(dst.s) < 0) goto fail_linked;
  if (final && !sb_copyb(final, dst.s, dst.len)) { r = MD_ERR_NOMEM; goto fail_linked; }
  sb_free(&dst);
  return MD_OK;
fail_linked:
  /* not known to be durable: take it back so the retry is the only copy */
  { int e = errno; unlink(dst.s); errno = e; }
fail:
  { int e = errno; maildir_abort(f); sb_free(&dst); errno = e; }
  return r;
}

void maildir_abort(struct maildir_file *f)
{
  if (f->fd >= 0) { close(f->fd); f->fd = -1; }
  if (f->tmp.len) { unlink(f->tmp.s); f->tmp.len = 0; f->tmp.s[0] = 0; }
}

void maildir_free(struct maildir_file *f)
{
  maildir_abort(f);
  sb_free(&f->dir); sb_free(&f->uniq); sb_free(&f->tmp);
}

int maildir_deliver(const char *dir, const char *prefix, size_t plen, int fd, sb *final)
{
  struct maildir_file f;
  int r;
  maildir_init(&f);
  if (lseek(fd, 0, SEEK_SET) < 0) return MD_ERR_READ;
  r = maildir_open(&f, dir, NULL);
  if (!r && plen) r = maildir_write(&f, prefix, plen);
  if (!r) r = maildir_copyfd(&f, fd);
  if (!r) r = maildir_commit(&f, "new", final);
  { int e = errno; maildir_free(&f); errno = e; }
  if (!r) maildir_cleantmp(dir, (int64_t)time(0) - MD_TMPAGE);   /* best effort */
  return r;
}

int maildir_cleantmp(const char *dir, int64_t before)
{
  sb p = SB_INIT;
  size_t base;
  int gone = 0;
  unsigned seen = 0;
  if (!sb_copys(&p, dir) || (p.len && p.s[p.len - 1] != '/' && !sb_catc(&p, '/')) || !sb_cats(&p, "tmp/")) {
    sb_free(&p);
    return -1;
  }
  base = p.len;
  DIR *d = opendir(p.s);
  if (!d) { sb_free(&p); return -1; }
  struct dirent *e;
  while (seen < MD_SWEEPMAX && (e = readdir(d))) {
    struct stat st;
    if (e->d_name[0] == '.') continue;
    ++seen;
    p.len = base;
    if (!sb_cats(&p, e->d_name)) break;
    if (lstat(p.s, &st) < 0 || !S_ISREG(st.st_mode)) continue;
    if ((int64_t)st.st_atime >= before || (int64_t)st.st_mtime >= before) continue;
    if (unlink(p.s) == 0) ++gone;
  }
  closedir(d);
  sb_free(&p);
  return gone;
}

static int make(const char *dir, mode_t mode, int tolerant)
{
  static const char *const sub[] = {"tmp", "new", "cur"};
  sb p = SB_INIT;
  int r = -1;
  if (mkdir(dir, mode) < 0 && !(tolerant && errno == EEXIST)) return -1;
  for (int i = 0; i < 3; ++i) {
    if (!sb_copys(&p, dir) || !sb_catc(&p, '/') || !sb_cats(&p, sub[i])) goto out;
    if (mkdir(p.s, mode) < 0 && !(tolerant && errno == EEXIST)) goto out;
  }
  r = 0;
out:
  { int e = errno; sb_free(&p); errno = e; }
  return r;
}

int maildir_make(const char *dir, mode_t mode) { return make(dir, mode, 0); }
int maildir_ensure(const char *dir, mode_t mode) { return make(dir, mode, 1); }
