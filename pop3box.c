#include "pop3box.h"
#include "quota.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TMPAGE (36 * 3600)    /* a tmp/ file this old is a crashed delivery (qmail) */

/* ---- names ---- */

int pop3_namesize(const char *name, char key, uint64_t *v)
{
  size_t end = strcspn(name, ":");
  char pat[4] = {',', key, '=', 0};
  for (const char *p = name; (p = strstr(p, pat)) && (size_t)(p - name) < end; ++p) {
    const char *d = p + 3;
    size_t n = strspn(d, "0123456789");
    if (n && (d[n] == 0 || d[n] == ',' || d[n] == ':') && scan_u64(d, n, v)) return 1;
  }
  return 0;
}

int pop3_namecmp(const char *a, const char *b)
{
  size_t na = strspn(a, "0123456789"), nb = strspn(b, "0123456789");
  const char *da = a, *db = b;
  /* numerically: leading zeros off, then the longer number is larger */
  while (na > 1 && *da == '0') { ++da; --na; }
  while (nb > 1 && *db == '0') { ++db; --nb; }
  if (na != nb) return na < nb ? -1 : 1;
  int c = memcmp(da, db, na);
  if (c) return c < 0 ? -1 : 1;
  c = strcmp(a, b);
  return c < 0 ? -1 : c > 0;
}

int pop3_uidl(const char *name, sb *out)
{
  size_t n = strcspn(name, ":"), i;
  out->len = 0;
  for (i = 0; i < n; ++i)
    if ((unsigned char)name[i] < 0x21 || (unsigned char)name[i] > 0x7e) break;
  if (n && n <= POP3_UIDLMAX && i == n) return sb_copyb(out, name, n);
  unsigned char md[32];
  unsigned int mdlen = 0;
  static const char hex[] = "0123456789abcdef";
  if (!EVP_Digest(name, n, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32) return 0;
  for (i = 0; i < 32; ++i)
    if (!sb_catc(out, hex[md[i] >> 4]) || !sb_catc(out, hex[md[i] & 15])) return 0;
  return 1;
}

int pop3_curname(const char *path, int seen, sb *out)
{
  const char *file = path;
  out->len = 0;
  if (!strncmp(path, "new/", 4) || !strncmp(path, "cur/", 4)) file = path + 4;
  const char *colon = strchr(file, ':');
  size_t base = colon ? (size_t)(colon - file) : strlen(file);
  if (!sb_cats(out, "cur/") || !sb_catb(out, file, base)) return 0;
  if (colon && strncmp(colon, ":2,", 3)) return sb_cats(out, colon);   /* not ours to rewrite */
  const char *flags = colon ? colon + 3 : "";
  if (!sb_cats(out, ":2,")) return 0;
  int added = !seen;
  for (const char *f = flags; *f; ++f) {
    if (!added && *f >= 'S') {
      if (!sb_catc(out, 'S')) return 0;
      added = 1;
      if (*f == 'S') continue;
    }
    if (!sb_catc(out, *f)) return 0;
  }
  return added || sb_catc(out, 'S');
}

/* ---- RETR / TOP ---- */

void pop3_convinit(struct pop3_conv *c, int limited, uint64_t lines)
{
  memset(c, 0, sizeof *c);
  c->limited = limited;
  c->left = lines;
}

/* one line ended: the header's blank line starts the body */
static void endline(struct pop3_conv *c, int empty)
{
  if (!c->inbody) {
    if (empty) {
      c->inbody = 1;
      if (c->limited && !c->left) c->done = 1;
    }
  } else if (c->limited && --c->left == 0) {
    c->done = 1;
  }
}

int pop3_conv(struct pop3_conv *c, const char *p, size_t n, sb *out)
{
  while (n && !c->done) {
    if (c->lb == 0 && *p == '.' && !sb_catc(out, '.')) return 0;
    const char *nl = memchr(p, '\n', n);
    size_t seg = nl ? (size_t)(nl - p) : n;
    if (seg) {
      if (!sb_catb(out, p, seg)) return 0;
      c->cr = p[seg - 1] == '\r';
      /* bytes in this line so far, saturating: 1 with a CR = still empty */
      c->lb = c->lb + seg > 2 ? 2 : c->lb + (int)seg;
    }
    if (!nl) return 1;
    int empty = c->lb == 0 || (c->lb == 1 && c->cr);
    if (!c->cr && !sb_catc(out, '\r')) return 0;
    if (!sb_catc(out, '\n')) return 0;
    c->cr = 0;
    c->lb = 0;
    endline(c, empty);
    p = nl + 1;
    n -= seg + 1;
  }
  return 1;
}

int pop3_convend(struct pop3_conv *c, sb *out)
{
  if (c->lb && !c->done) {
    if (!c->cr && !sb_catc(out, '\r')) return 0;
    if (!sb_catc(out, '\n')) return 0;
  }
  c->lb = 0;
  c->done = 1;
  return sb_cats(out, ".\r\n");
}

/* ---- the listing ---- */

void pop3box_init(struct pop3_box *b) { memset(b, 0, sizeof *b); }

void pop3box_free(struct pop3_box *b)
{
  free(b->m);
  sb_free(&b->names);
  pop3box_init(b);
}

const char *pop3box_path(const struct pop3_box *b, size_t i) { return b->names.s + b->m[i].name; }

static int add(struct pop3_box *b, const char *sub, const char *file, uint64_t size, uint64_t qsize, unsigned flags)
{
  if (b->n == b->cap) {
    size_t nc = b->cap ? b->cap * 2 : 256;
    if (nc < b->cap || nc > SIZE_MAX / sizeof *b->m) { errno = ENOMEM; return -1; }
    struct pop3_msg *m = realloc(b->m, nc * sizeof *m);
    if (!m) return -1;
    b->m = m;
    b->cap = nc;
  }
  struct pop3_msg *m = &b->m[b->n];
  m->name = b->names.len;
  m->size = size;
  m->qsize = qsize;
  m->flags = flags;
  if (!sb_cats(&b->names, sub) || !sb_catc(&b->names, '/') || !sb_cats(&b->names, file) || !sb_cat0(&b->names))
    return -1;
  b->n++;
  return 0;
}

static int scan(struct pop3_box *b, const char *sub, unsigned flags)
{
  DIR *d = opendir(sub);
  struct dirent *de;
  if (!d) return -1;
  for (;;) {
    errno = 0;
    if (!(de = readdir(d))) break;
    uint64_t q, w;
    if (de->d_name[0] == '.') continue;
    if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN && de->d_type != DT_LNK) continue;
    int named = quota_name_size(de->d_name, &q) == 0;
    if (!named || de->d_type != DT_REG) {
      struct stat st;
      b->stats++;
      if (fstatat(dirfd(d), de->d_name, &st, 0) < 0) {
        if (errno == ENOENT) continue;          /* removed meanwhile */
        closedir(d);
        return -1;
      }
      if (!S_ISREG(st.st_mode)) continue;
      if (!named) q = (uint64_t)st.st_size;
    }
    if (add(b, sub, de->d_name, pop3_namesize(de->d_name, 'W', &w) ? w : q, q, flags) < 0) {
      closedir(d);
      return -1;
    }
  }
  int e = errno;
  closedir(d);
  if (e) { errno = e; return -1; }
  return 0;
}

static int bycmp(const void *x, const void *y, void *arg)
{
  const char *names = arg;
  const struct pop3_msg *a = x, *b = y;
  return pop3_namecmp(names + a->name + 4, names + b->name + 4);   /* past new/ or cur/ */
}

int pop3box_load(struct pop3_box *b)
{
  if (scan(b, "new", P3M_NEW) < 0 || scan(b, "cur", 0) < 0) return -1;
  if (b->n) qsort_r(b->m, b->n, sizeof *b->m, bycmp, b->names.s);
  return 0;
}

void pop3box_cleantmp(void)
{
  DIR *d = opendir("tmp");
  struct dirent *de;
  time_t now = time(NULL);
  if (!d) return;
  while ((de = readdir(d))) {
    struct stat st;
    if (de->d_name[0] == '.') continue;
    if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode)) continue;
    if (st.st_atime + TMPAGE < now && st.st_mtime + TMPAGE < now) unlinkat(dirfd(d), de->d_name, 0);
  }
  closedir(d);
}
