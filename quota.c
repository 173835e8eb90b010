#include "quota.h"
#include "qmail-ldap.h"
#include "io.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAXFILE 5120          /* larger maildirsize files are recalculated */
#define STALE (15 * 60)

int quota_parse(const char *s, struct quota *q)
{
  q->size = q->count = 0;
  if (!*s) return 0;
  while (*s) {
    size_t n = strcspn(s, ",");
    uint64_t v;
    if (n < 2 || !scan_u64(s, n - 1, &v)) return -1;
    if (s[n - 1] == 'S') q->size = v;
    else if (s[n - 1] == 'C') q->count = v;
    else return -1;
    s += n;
    if (*s) ++s;
  }
  return 0;
}

static int add_i64(int64_t a, int64_t b, int64_t *out)
{
  if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b)) return 0;
  *out = a + b;
  return 1;
}

int quota_parse_file(const char *buf, size_t len, sb *def, struct usage *u, uint64_t *nlines)
{
  size_t i = 0;
  int first = 1;
  u->size = u->count = 0;
  *nlines = 0;
  def->len = 0;
  if (!sb_catb(def, "", 0)) return -1;
  while (i < len) {
    const char *nl = memchr(buf + i, '\n', len - i);
    if (!nl) return -1;                          /* partial last line: rewrite */
    size_t n = (size_t)(nl - (buf + i));
    const char *l = buf + i;
    i += n + 1;
    (*nlines)++;
    if (first) { first = 0; if (!sb_copyb(def, l, n)) return -1; continue; }
    const char *sp = memchr(l, ' ', n);
    int64_t b, c;
    size_t k = sp ? (size_t)(sp - l) : n;
    size_t m = k < n ? k + 1 : n;
    while (m < n && l[m] == ' ') ++m;
    if (!sp || !scan_i64(l, k, &b) || !scan_i64(l + m, n - m, &c)) return -1;
    if (!add_i64(u->size, b, &u->size) || !add_i64(u->count, c, &u->count)) return -1;
  }
  return first ? -1 : 0;
}

int quota_name_size(const char *name, uint64_t *size)
{
  const char *p = strstr(name, ",S=");
  if (!p) return -1;
  p += 3;
  size_t n = strspn(p, "0123456789");
  return n && scan_u64(p, n, size) ? 0 : -1;
}

int quota_over(const struct quota *q, const struct usage *u, uint64_t bytes)
{
  if (q->size) {
    int64_t s = u->size < 0 ? 0 : u->size;
    if (bytes > q->size || (uint64_t)s > q->size - bytes) return 1;
  }
  if (q->count) {
    int64_t c = u->count < 0 ? 0 : u->count;
    if ((uint64_t)c >= q->count) return 1;
  }
  return 0;
}

unsigned quota_percent(const struct quota *q, const struct usage *u)
{
  unsigned p = 0;
  if (q->size && u->size > 0) {
    long double x = (long double)u->size * 100.0L / (long double)q->size;
    unsigned v = x > 1000.0L ? 1000 : (unsigned)x;
    if (v > p) p = v;
  }
  if (q->count && u->count > 0) {
    long double x = (long double)u->count * 100.0L / (long double)q->count;
    unsigned v = x > 1000.0L ? 1000 : (unsigned)x;
    if (v > p) p = v;
  }
  return p;
}

static int path(sb *out, const char *maildir, const char *name)
{
  out->len = 0;
  if (!sb_cats(out, maildir)) return 0;
  if (out->len && out->s[out->len - 1] != '/' && !sb_catc(out, '/')) return 0;
  return sb_cats(out, name);
}

/* count one new/ or cur/ directory */
static int count_dir(const char *dir, struct usage *u, time_t *maxmtime)
{
  DIR *d = opendir(dir);
  struct dirent *de;
  struct stat st;
  sb f = SB_INIT;
  if (!d) return errno == ENOENT ? 0 : -1;
  if (fstat(dirfd(d), &st) == 0 && st.st_mtime > *maxmtime) *maxmtime = st.st_mtime;
  while ((de = readdir(d))) {
    uint64_t sz;
    if (de->d_name[0] == '.') continue;
    /* only files are messages (d_type is free; DT_UNKNOWN is checked by stat) */
    if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN && de->d_type != DT_LNK) continue;
    const char *flags = strstr(de->d_name, ":2,");
    if (flags && strchr(flags + 3, 'T')) continue;      /* marked for deletion */
    if (quota_name_size(de->d_name, &sz) < 0) {
      if (!sb_copys(&f, dir) || !sb_catc(&f, '/') || !sb_cats(&f, de->d_name)) { closedir(d); sb_free(&f); return -1; }
      if (stat(f.s, &st) < 0 || !S_ISREG(st.st_mode)) continue;   /* removed meanwhile, or not a file */
      sz = (uint64_t)st.st_size;
    }
    if (sz > INT64_MAX || !add_i64(u->size, (int64_t)sz, &u->size) || !add_i64(u->count, 1, &u->count)) {
      closedir(d); sb_free(&f); errno = EOVERFLOW; return -1;
    }
  }
  closedir(d);
  sb_free(&f);
  return 0;
}

static int count_maildir(const char *md, struct usage *u, time_t *maxmtime)
{
  sb p = SB_INIT;
  int r = -1;
  if (path(&p, md, "new") && count_dir(p.s, u, maxmtime) == 0 &&
      path(&p, md, "cur") && count_dir(p.s, u, maxmtime) == 0) r = 0;
  sb_free(&p);
  return r;
}

static int recount(const char *maildir, struct usage *u, time_t *maxmtime)
{
  DIR *d;
  struct dirent *de;
  sb sub = SB_INIT;
  u->size = u->count = 0;
  *maxmtime = 0;
  if (count_maildir(maildir, u, maxmtime) < 0) return -1;
  d = opendir(maildir);
  if (!d) return -1;
  while ((de = readdir(d))) {
    if (de->d_name[0] != '.' || !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
#ifndef QUOTATRASH
    if (!strcmp(de->d_name, ".Trash")) continue;
#endif
    if (!path(&sub, maildir, de->d_name)) { closedir(d); sb_free(&sub); return -1; }
    struct stat st;
    if (stat(sub.s, &st) < 0 || !S_ISDIR(st.st_mode)) continue;
    if (count_maildir(sub.s, u, maxmtime) < 0) { closedir(d); sb_free(&sub); return -1; }
  }
  closedir(d);
  sb_free(&sub);
  return 0;
}

int quota_recalc(const char *maildir, struct usage *u)
{
  time_t m;
  return recount(maildir, u, &m);
}

/* recount and rewrite maildirsize; retried once when the Maildir changed under us */
static int rewrite(const char *maildir, const char *def, struct usage *u)
{
  for (int attempt = 0; attempt < 2; ++attempt) {
    time_t before, after;
    struct usage again;
    sb tmp = SB_INIT, dst = SB_INIT, body = SB_INIT;
    if (recount(maildir, u, &before) < 0) return -1;
    if (!sb_fmt(&body, "%s\n%lld %lld\n", def, (long long)u->size, (long long)u->count) ||
        !path(&dst, maildir, "maildirsize") || !path(&tmp, maildir, "tmp/maildirsize.") ||
        !sb_fmt(&tmp, "%lld.%ld", (long long)before, (long)getpid())) {
      sb_free(&tmp); sb_free(&dst); sb_free(&body); return -1;
    }
    int fd = open(tmp.s, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int ok = fd >= 0 && io_writeall(fd, body.s, body.len) == 0 && fsync(fd) == 0;
    if (fd >= 0 && close(fd) < 0) ok = 0;
    if (ok && recount(maildir, &again, &after) == 0 && after == before && again.size == u->size &&
        again.count == u->count) {
      ok = rename(tmp.s, dst.s) == 0;
      sb_free(&tmp); sb_free(&dst); sb_free(&body);
      return ok ? 0 : -1;
    }
    unlink(tmp.s);
    sb_free(&tmp); sb_free(&dst); sb_free(&body);
    if (!ok) return -1;
  }
  return 0;   /* usage from the last count is still right enough to decide on */
}

int quota_usage(const char *maildir, const char *def, struct usage *u)
{
  sb p = SB_INIT, buf = SB_INIT, fdef = SB_INIT;
  uint64_t lines;
  struct stat st;
  int r;
  if (!path(&p, maildir, "maildirsize")) return -1;
  r = io_readfile(p.s, &buf, MAXFILE);
  if (r == 0 && quota_parse_file(buf.s, buf.len, &fdef, u, &lines) == 0 && !strcmp(fdef.s, def) &&
      !(lines > 2 && stat(p.s, &st) == 0 && st.st_mtime + STALE < time(NULL))) {
    sb_free(&p); sb_free(&buf); sb_free(&fdef);
    return 0;
  }
  sb_free(&p); sb_free(&buf); sb_free(&fdef);
  if (r < 0 && errno != ENOENT && errno != EFBIG) return -1;
  return rewrite(maildir, def, u);
}

int quota_refresh(const char *maildir, const char *def, struct usage *u) { return rewrite(maildir, def, u); }

int quota_add(const char *maildir, const char *def, int64_t bytes, int64_t count)
{
  sb p = SB_INIT, line = SB_INIT;
  int fd, ok;
  struct usage u;
  if (!path(&p, maildir, "maildirsize")) return -1;
  /* a fresh count already includes the message just delivered */
  if (access(p.s, F_OK) < 0) { sb_free(&p); return rewrite(maildir, def, &u); }
  fd = open(p.s, O_WRONLY | O_APPEND | O_CLOEXEC);
  ok = fd >= 0 && sb_fmt(&line, "%lld %lld\n", (long long)bytes, (long long)count) &&
       io_writeall(fd, line.s, line.len) == 0 && fsync(fd) == 0;
  if (fd >= 0 && close(fd) < 0) ok = 0;
  sb_free(&p); sb_free(&line);
  return ok ? 0 : -1;
}

int quota_check(const char *maildir, const char *def, const struct quota *q, uint64_t bytes, struct usage *u)
{
  if (quota_usage(maildir, def, u) < 0) return -1;
  if (!quota_over(q, u, bytes)) return 0;
  /* deltas may be stale (deletions by other clients): recount first */
  if (quota_refresh(maildir, def, u) < 0) return -1;
  return quota_over(q, u, bytes);
}

int quota_record(const char *maildir, const char *def, const struct quota *q, const char *delivered, struct usage u)
{
  uint64_t size;
  const char *name = strrchr(delivered, '/');
  if (quota_name_size(name ? name + 1 : delivered, &size) < 0 || size > INT64_MAX) return 0;
  if (quota_add(maildir, def, (int64_t)size, 1) < 0) return 0;   /* recounted next time */
  if (u.size > INT64_MAX - (int64_t)size || u.count == INT64_MAX) return 0;
  u.size += (int64_t)size;
  u.count += 1;
  return quota_percent(q, &u) >= QUOTA_WARNING_LEVEL;
}
