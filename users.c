#include "users.h"
#include <cdb.h>
#include <errno.h>
#include <string.h>

void users_init(struct users_ent *e) { memset(e, 0, sizeof *e); }

void users_free(struct users_ent *e)
{
  sb_free(&e->user); sb_free(&e->home); sb_free(&e->dash); sb_free(&e->ext);
}

/* next \0-terminated field of p[*pos..n) */
static int field(const char *p, size_t n, size_t *pos, const char **f, size_t *flen)
{
  const char *z;
  if (*pos >= n) return 0;
  z = memchr(p + *pos, 0, n - *pos);
  if (!z) return 0;
  *f = p + *pos;
  *flen = (size_t)(z - *f);
  *pos += *flen + 1;
  return *flen <= USERS_FIELD_MAX;
}

int users_parse(const char *p, size_t n, struct users_ent *e)
{
  const char *f[6];
  size_t len[6], pos = 0;
  for (int i = 0; i < 6; ++i)
    if (!field(p, n, &pos, &f[i], &len[i])) return -1;
  if (pos != n) return -1;
  if (!len[0] || !scan_u64(f[1], len[1], &e->uid) || !scan_u64(f[2], len[2], &e->gid)) return -1;
  if (!len[3] || f[3][0] != '/') return -1;
  if (!sb_copyb(&e->user, f[0], len[0]) || !sb_copyb(&e->home, f[3], len[3]) ||
      !sb_copyb(&e->dash, f[4], len[4]) || !sb_copyb(&e->ext, f[5], len[5])) return -1;
  return 0;
}

int users_encode(const struct users_ent *e, sb *out)
{
  out->len = 0;
  return sb_catsb(out, &e->user) && sb_cat0(out) && sb_catu64(out, e->uid) && sb_cat0(out) &&
         sb_catu64(out, e->gid) && sb_cat0(out) && sb_catsb(out, &e->home) && sb_cat0(out) &&
         sb_catsb(out, &e->dash) && sb_cat0(out) && sb_catsb(out, &e->ext) && sb_cat0(out);
}

int users_lookup(const char *local, size_t n, users_fetch_fn fetch, void *ctx, struct users_ent *e)
{
  sb key = SB_INIT, val = SB_INIT;
  int r = USERS_ERR;
  size_t i;
  if (!sb_catc(&key, '=') || !sb_catb(&key, local, n)) goto out;
  sb_lower(&key);
  r = fetch(ctx, key.s, key.len, &val);
  if (r == 1) {
    r = users_parse(val.s, val.len, e) ? USERS_BADREC : USERS_FOUND;
    goto out;
  }
  if (r < 0) { r = USERS_ERR; goto out; }
  key.s[0] = '+';
  for (i = n + 1; i-- > 0;) {
    sb_trunc(&key, i + 1);
    r = fetch(ctx, key.s, key.len, &val);
    if (r < 0) { r = USERS_ERR; goto out; }
    if (r == 1) {
      if (users_parse(val.s, val.len, e)) { r = USERS_BADREC; goto out; }
      r = sb_catb(&e->ext, local + i, n - i) ? USERS_FOUND : USERS_ERR;
      goto out;
    }
  }
  r = USERS_NONE;
out:
  sb_free(&key); sb_free(&val);
  return r;
}

/* the next ':'-terminated field of line[*pos..n) */
static int afield(const char *line, size_t n, size_t *pos, const char **f, size_t *flen)
{
  const char *c;
  if (*pos > n) return 0;
  c = memchr(line + *pos, ':', n - *pos);
  if (!c) return 0;
  *f = line + *pos;
  *flen = (size_t)(c - *f);
  *pos += *flen + 1;
  return *flen <= USERS_FIELD_MAX;
}

int users_assign_line(const char *line, size_t n, sb *key, sb *val)
{
  const char *f[7];
  size_t len[7], pos = 1;
  uint64_t u;
  if (n < 2 || (line[0] != '=' && line[0] != '+')) return -1;
  if (memchr(line, 0, n)) return -1;
  for (int i = 0; i < 7; ++i)
    if (!afield(line, n, &pos, &f[i], &len[i])) return -1;
  if (pos != n) return -1;                       /* bytes after the last ':' */
  if (!len[1] || !scan_u64(f[2], len[2], &u) || !scan_u64(f[3], len[3], &u)) return -1;
  if (!len[4] || f[4][0] != '/') return -1;
  key->len = 0; val->len = 0;
  if (!sb_catc(key, line[0]) || !sb_catb(key, f[0], len[0])) return -2;
  sb_lower(key);
  for (int i = 1; i < 7; ++i)
    if (!sb_catb(val, f[i], len[i]) || !sb_cat0(val)) return -2;
  return 0;
}

int users_cdb_fetch(void *ctx, const char *key, size_t klen, sb *val)
{
  struct cdb *c = ctx;
  unsigned vlen;
  int r;
  if (klen > 0xffffffffu) return 0;
  r = cdb_find(c, key, (unsigned)klen);
  if (r <= 0) return r < 0 ? -1 : 0;
  vlen = cdb_datalen(c);
  if (vlen > 6 * (USERS_FIELD_MAX + 1)) { errno = EFBIG; return -1; }
  val->len = 0;
  if (!sb_ready(val, vlen)) return -1;
  if (cdb_read(c, val->s, vlen, cdb_datapos(c)) < 0) return -1;
  val->len = vlen;
  val->s[vlen] = 0;
  return 1;
}
