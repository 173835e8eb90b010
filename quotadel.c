#include "quotadel.h"
#include "io.h"
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

int quota_dellines(sb *out, const uint64_t *sizes, size_t n)
{
  for (size_t i = 0; i < n; ++i) {
    /* maildirsize holds signed 64-bit numbers */
    if (sizes[i] > (uint64_t)INT64_MAX) { errno = EOVERFLOW; return 0; }
    if (!sb_catc(out, '-') || !sb_catu64(out, sizes[i]) || !sb_cats(out, " -1\n")) return 0;
  }
  return 1;
}

int quota_deleted(const char *maildir, const uint64_t *sizes, size_t n)
{
  sb p = SB_INIT, lines = SB_INIT;
  int fd = -1, r = -1;
  if (!n) return 0;
  if (!sb_cats(&p, maildir) || (p.len && p.s[p.len - 1] != '/' && !sb_catc(&p, '/')) ||
      !sb_cats(&p, "maildirsize") || !quota_dellines(&lines, sizes, n))
    goto out;
  fd = open(p.s, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) { if (errno == ENOENT) r = 0; goto out; }
  if (io_writeall(fd, lines.s, lines.len) == 0 && fsync(fd) == 0) r = 0;
out:
  if (fd >= 0 && close(fd) < 0) r = -1;
  sb_free(&p);
  sb_free(&lines);
  return r;
}
