#include "io.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int io_writeall(int fd, const void *p, size_t n)
{
  const char *c = p;
  while (n) {
    ssize_t w = write(fd, c, n);
    if (w < 0) { if (errno == EINTR) continue; return -1; }
    if (w == 0) { errno = EIO; return -1; }
    c += w; n -= (size_t)w;
  }
  return 0;
}

int io_readfull(int fd, void *p, size_t n)
{
  char *c = p;
  while (n) {
    ssize_t r = read(fd, c, n);
    if (r < 0) { if (errno == EINTR) continue; return -1; }
    if (r == 0) { errno = EPIPE; return -1; }
    c += r; n -= (size_t)r;
  }
  return 0;
}

int io_readfile(const char *path, sb *out, size_t max)
{
  char buf[8192];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  out->len = 0;
  if (!sb_ready(out, 0)) return -1;
  out->s[0] = 0;
  if (fd < 0) return -1;
  for (;;) {
    ssize_t r = read(fd, buf, sizeof buf);
    if (r < 0) { if (errno == EINTR) continue; close(fd); return -1; }
    if (r == 0) break;
    if ((size_t)r > max - out->len && out->len + (size_t)r > max) { close(fd); errno = EFBIG; return -1; }
    if (!sb_catb(out, buf, (size_t)r)) { close(fd); return -1; }
  }
  close(fd);
  return 0;
}

int fd_coe(int fd) { return fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ? -1 : 0; }

int fd_nonblock(int fd)
{
  int f = fcntl(fd, F_GETFL);
  return f < 0 || fcntl(fd, F_SETFL, f | O_NONBLOCK) < 0 ? -1 : 0;
}

int fd_block(int fd)
{
  int f = fcntl(fd, F_GETFL);
  return f < 0 || fcntl(fd, F_SETFL, f & ~O_NONBLOCK) < 0 ? -1 : 0;
}

int fd_copy(int to, int from)
{
  if (to == from) return 0;
  return dup2(from, to) < 0 ? -1 : 0;
}

int fd_move(int to, int from)
{
  if (to == from) return 0;
  if (dup2(from, to) < 0) return -1;
  close(from);
  return 0;
}

int lock_ex(int fd)
{
  int r;
  do r = flock(fd, LOCK_EX); while (r < 0 && errno == EINTR);
  return r;
}

int lock_exnb(int fd) { return flock(fd, LOCK_EX | LOCK_NB); }

int fsync_dir(const char *path)
{
  char dir[4096];
  const char *slash = strrchr(path, '/');
  size_t n;
  int fd, r;
  if (!slash) { dir[0] = '.'; n = 1; }
  else {
    n = (size_t)(slash - path);
    if (n == 0) n = 1;
    if (n >= sizeof dir) { errno = ENAMETOOLONG; return -1; }
    memcpy(dir, path, n);
  }
  dir[n] = 0;
  fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  r = fsync(fd);
  close(fd);
  return r;
}

int durable_write(const char *path, const void *data, size_t n, mode_t mode)
{
  char tmp[4096];
  int fd;
  int len = snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
  if (len < 0 || (size_t)len >= sizeof tmp) { errno = ENAMETOOLONG; return -1; }
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return -1;
  if (io_writeall(fd, data, n) < 0 || fsync(fd) < 0) { close(fd); unlink(tmp); return -1; }
  if (close(fd) < 0) { unlink(tmp); return -1; }
  if (rename(tmp, path) < 0) { unlink(tmp); return -1; }
  return fsync_dir(path);
}
