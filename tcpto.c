#include "tcpto.h"
#include "io.h"
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static unsigned char famcode(int family) { return family == AF_INET ? 4 : family == AF_INET6 ? 6 : 0; }
static size_t alen(int family) { return family == AF_INET ? 4 : 16; }

static uint64_t get64(const unsigned char *p)
{
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

static void put64(unsigned char *p, uint64_t v)
{
  for (int i = 0; i < 8; ++i) { p[i] = (unsigned char)v; v >>= 8; }
}

static long find(const unsigned char *buf, size_t len, int family, const unsigned char *a)
{
  unsigned char f = famcode(family);
  if (!f) return -1;
  for (size_t i = 0; i + TCPTO_REC <= len; i += TCPTO_REC)
    if (buf[i] == f && !memcmp(buf + i + 16, a, alen(family))) return (long)(i / TCPTO_REC);
  return -1;
}

int tcpto_check(const unsigned char *buf, size_t len, int family, const unsigned char *a,
                uint64_t now, unsigned jitter, int *seen)
{
  long i = find(buf, len, family, a);
  *seen = i >= 0;
  if (i < 0) return 0;
  const unsigned char *r = buf + (size_t)i * TCPTO_REC;
  if (r[1] < 2) return 0;
  uint64_t when = get64(r + 8);
  return now >= when && now - when < (uint64_t)(60 + (jitter & 31)) << 6;
}

long tcpto_update(unsigned char *buf, size_t len, int family, const unsigned char *a, int err, uint64_t now)
{
  long i = find(buf, len, family, a);
  size_t n = len / TCPTO_REC;
  unsigned char *r;
  if (i >= 0) {
    r = buf + (size_t)i * TCPTO_REC;
    if (!err) { if (!r[1]) return -1; r[1] = 0; return i; }
    if (r[1] && now < get64(r + 8) + 120) return -1;
    if (r[1] < TCPTO_MAXERR) r[1]++;
    put64(r + 8, now);
    return i;
  }
  if (!err || !n || !famcode(family)) return -1;
  for (i = 0; (size_t)i < n; ++i) if (!buf[(size_t)i * TCPTO_REC + 1]) break;
  if ((size_t)i >= n) {
    uint64_t best = 0;
    i = 0;
    for (size_t j = 0; j < n; ++j) {
      const unsigned char *q = buf + j * TCPTO_REC;
      uint64_t w = get64(q + 8) + ((uint64_t)q[1] << 10);
      if (j == 0 || w < best) { best = w; i = (long)j; }
    }
  }
  r = buf + (size_t)i * TCPTO_REC;
  memset(r, 0, TCPTO_REC);
  r[0] = famcode(family);
  r[1] = 1;
  put64(r + 8, now);
  memcpy(r + 16, a, alen(family));
  return i;
}

int tcpto_record(const unsigned char *buf, size_t len, size_t i, int *family, unsigned char a[16],
                 unsigned *errors, uint64_t *when)
{
  if ((i + 1) * TCPTO_REC > len) return 0;
  const unsigned char *r = buf + i * TCPTO_REC;
  if (!r[1] || (r[0] != 4 && r[0] != 6)) return 0;
  *family = r[0] == 4 ? AF_INET : AF_INET6;
  memset(a, 0, 16);
  memcpy(a, r + 16, alen(*family));
  *errors = r[1];
  *when = get64(r + 8);
  return 1;
}

/* Open and lock the file; *len bytes read into buf. -1 on any trouble. */
static int load(const char *path, unsigned char *buf, size_t *len)
{
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) return -1;
  if (lock_ex(fd) < 0) { close(fd); return -1; }
  ssize_t r = pread(fd, buf, TCPTO_SIZE, 0);
  if (r < 0) { close(fd); return -1; }
  *len = (size_t)r - (size_t)r % TCPTO_REC;
  return fd;
}

int tcpto_skip(const char *path, int family, const unsigned char *a, int *seen)
{
  unsigned char buf[TCPTO_SIZE];
  size_t len;
  int fd = load(path, buf, &len);
  *seen = 0;
  if (fd < 0) return 0;
  close(fd);
  return tcpto_check(buf, len, family, a, (uint64_t)time(0), (unsigned)getpid(), seen);
}

void tcpto_note(const char *path, int family, const unsigned char *a, int err, int seen)
{
  unsigned char buf[TCPTO_SIZE];
  size_t len;
  if (!err && !seen) return;        /* nothing to clear */
  int fd = load(path, buf, &len);
  if (fd < 0) return;
  long i = tcpto_update(buf, len, family, a, err, (uint64_t)time(0));
  if (i >= 0) {
    ssize_t w = pwrite(fd, buf + (size_t)i * TCPTO_REC, TCPTO_REC, (off_t)i * TCPTO_REC);
    (void)w;
  }
  close(fd);
}
