/* fuzz_users: qmail-users (users.h). The input is a users/assign file;
 * each line becomes a cdb record (users_assign_line) as qmail-newu makes
 * it, the records go into an in-memory table (first one wins, as with
 * cdb_find), and the lines' local parts are looked up. The input as a
 * whole is also decoded as a record (users_parse: a cdb value or
 * qmail-getpw's output). Properties: a record made from an assign line
 * decodes; a decoded record re-encodes to a record that decodes to the
 * same entry; the lookup returns what a model of "=" exact then "+"
 * longest prefix returns, with the rest of the local part appended to
 * ext. */
#include "fuzz.h"
#include "users.h"

#define NREC 64

struct table { size_t n; sb key[NREC], val[NREC]; };

static int fetch(void *ctx, const char *key, size_t klen, sb *val)
{
  struct table *t = ctx;
  for (size_t i = 0; i < t->n; ++i)
    if (t->key[i].len == klen && !memcmp(t->key[i].s, key, klen)) {
      FZ_MEM(sb_copysb(val, &t->val[i]));
      return 1;
    }
  return 0;
}

static int same(const struct users_ent *a, const struct users_ent *b)
{
  return a->uid == b->uid && a->gid == b->gid && a->user.len == b->user.len &&
         !memcmp(a->user.s, b->user.s, a->user.len) && a->home.len == b->home.len &&
         !memcmp(a->home.s, b->home.s, a->home.len) && a->dash.len == b->dash.len &&
         (!a->dash.len || !memcmp(a->dash.s, b->dash.s, a->dash.len)) && a->ext.len == b->ext.len &&
         (!a->ext.len || !memcmp(a->ext.s, b->ext.s, a->ext.len));
}

static void roundtrip(const char *p, size_t n)
{
  struct users_ent e, f;
  sb enc = SB_INIT;
  users_init(&e);
  users_init(&f);
  if (users_parse(p, n, &e) == 0) {
    FZ_MEM(users_encode(&e, &enc));
    FZ_CHECK(users_parse(enc.s, enc.len, &f) == 0);
    FZ_CHECK(same(&e, &f));
  }
  users_free(&e);
  users_free(&f);
  sb_free(&enc);
}

static void lookup(struct table *t, const char *local, size_t n)
{
  struct users_ent e, m;
  sb key = SB_INIT;
  users_init(&e);
  users_init(&m);
  int r = users_lookup(local, n, fetch, t, &e);
  FZ_CHECK(r == USERS_FOUND || r == USERS_NONE || r == USERS_BADREC);
  /* the model */
  int want = USERS_NONE;
  size_t rest = n;
  FZ_MEM(sb_copys(&key, "=") && sb_catb(&key, local, n));
  sb_lower(&key);
  sb val = SB_INIT;
  if (fetch(t, key.s, key.len, &val)) want = users_parse(val.s, val.len, &m) ? USERS_BADREC : USERS_FOUND;
  else {
    key.s[0] = '+';
    for (size_t i = n + 1; i-- > 0;) {
      sb_trunc(&key, i + 1);
      if (fetch(t, key.s, key.len, &val)) {
        want = users_parse(val.s, val.len, &m) ? USERS_BADREC : USERS_FOUND;
        rest = i;
        break;
      }
    }
  }
  FZ_CHECK(r == want);
  if (r == USERS_FOUND) {
    if (rest < n) FZ_MEM(sb_catb(&m.ext, local + rest, n - rest));
    FZ_CHECK(same(&e, &m));
  }
  sb_free(&val);
  sb_free(&key);
  users_free(&e);
  users_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *s = (const char *)data;
  static struct table t;
  sb key = SB_INIT, val = SB_INIT;
  t.n = 0;
  roundtrip(s, size);
  for (size_t i = 0; i < size;) {
    const char *e = memchr(s + i, '\n', size - i);
    size_t end = e ? (size_t)(e - s) : size;
    int r = users_assign_line(s + i, end - i, &key, &val);
    FZ_CHECK(r == 0 || r == -1);
    if (r == 0) {
      FZ_CHECK(key.len >= 1 && (key.s[0] == '=' || key.s[0] == '+'));
      roundtrip(val.s, val.len);
      struct users_ent x;
      users_init(&x);
      FZ_CHECK(users_parse(val.s, val.len, &x) == 0);
      users_free(&x);
      if (t.n < NREC) {
        FZ_MEM(sb_copysb(&t.key[t.n], &key) && sb_copysb(&t.val[t.n], &val));
        t.n++;
      }
    }
    i = end + 1;
  }
  /* look up each line's local part, and the last line as a whole */
  for (size_t i = 0; i < size;) {
    const char *e = memchr(s + i, '\n', size - i);
    size_t end = e ? (size_t)(e - s) : size;
    size_t a = i < end ? i + 1 : i;   /* after the '=' or '+' */
    const char *c = memchr(s + a, ':', end - a);
    lookup(&t, s + a, c ? (size_t)(c - s) - a : end - a);
    i = end + 1;
  }
  lookup(&t, s, size < 256 ? size : 256);
  sb_free(&key);
  sb_free(&val);
  return 0;
}
