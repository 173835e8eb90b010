/* Small fd helpers used by every program. Return 0 on success, -1 on error. */
#ifndef IO_H
#define IO_H
#include <stddef.h>
#include <sys/types.h>
#include "sb.h"

int io_writeall(int fd, const void *p, size_t n);   /* retries EINTR/short */
int io_readfull(int fd, void *p, size_t n);          /* -1 on error or early EOF */
int io_readfile(const char *path, sb *out, size_t max); /* 0 ok, -1 error (ENOENT kept in errno; EFBIG if > max) */
int fd_coe(int fd);                                  /* close-on-exec */
int fd_nonblock(int fd);
int fd_block(int fd);
int fd_move(int to, int from);                       /* dup2 + close(from) */
int fd_copy(int to, int from);                       /* dup2 */
int lock_ex(int fd);                                 /* flock exclusive, blocking */
int lock_exnb(int fd);
int fsync_dir(const char *path);                     /* fsync the directory containing path */
/* durable replace: write data to path.tmp<pid>, fsync, rename over path,
 * fsync the directory. The only way to publish a whole file atomically. */
int durable_write(const char *path, const void *data, size_t n, mode_t mode);

#endif
