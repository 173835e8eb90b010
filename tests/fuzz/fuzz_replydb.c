/* fuzz_replydb: qmail-reply's database of who got an auto-reply when
 * (replydb.h). The input is the file (a user may edit it: it lives in
 * their home). The first byte picks the clock: now near 2023, at 0, or
 * at the top of time_t; the input is repeated past REPLYDB_MAX when its
 * low four bits are set, so the trimming runs. Senders: a fixed one and the
 * first entry's. Properties: a new database starts with the header for
 * this text and fits REPLYDB_MAX; each of its lines is sender:hex; the
 * sender it was made for is not due again at the same moment; with a
 * different text hash the sender is always due. */
#include "fuzz.h"
#include "replydb.h"

static const char *hash = "0123456789abcdef0123456789abcdef";

static void check_db(const sb *o)
{
  size_t hl = 7 + strlen(hash) + 1;
  FZ_CHECK(o->len >= hl && !memcmp(o->s, "QRDBv1:", 7) && !memcmp(o->s + 7, hash, strlen(hash)) && o->s[hl - 1] == '\n');
  FZ_CHECK(o->len <= REPLYDB_MAX);
  for (size_t i = hl; i < o->len;) {
    const char *e = memchr(o->s + i, '\n', o->len - i);
    FZ_CHECK(e);
    const char *c = memrchr(o->s + i, ':', (size_t)(e - o->s) - i);
    FZ_CHECK(c && c + 1 < e);
    i = (size_t)(e - o->s) + 1;
  }
}

static void one(const char *db, size_t len, const char *sender, time_t now, time_t interval)
{
  sb out = SB_INIT, again = SB_INIT;
  int r = replydb_update(db, len, hash, sender, now, interval, &out);
  FZ_MEM(r >= 0);
  if (r == 1) {
    check_db(&out);
    if (interval > 0) FZ_CHECK(replydb_update(out.s, out.len, hash, sender, now, interval, &again) == 0);
  }
  FZ_CHECK(replydb_update(db, len, "ffff", sender, now, interval, &again) == 1);
  sb_free(&out);
  sb_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  sb db = SB_INIT;
  char sender[256];
  time_t now = 1700000000, interval = 7 * 86400;
  if (size) {
    switch (data[0] % 4) {
    case 1: now = 0; break;
    case 2: now = INT64_MAX; break;
    case 3: interval = INT64_MAX; break;
    }
  }
  FZ_MEM(sb_catb(&db, data, size));
  if (size && (data[0] & 0x0f) == 0x0f) {   /* now and then: the trimming */
    while (db.len <= REPLYDB_MAX + 4096) FZ_MEM(sb_catb(&db, data, size));
  }
  /* the first entry's sender (the line after the header) */
  const char *nl = memchr(data, '\n', size);
  size_t sl = 0;
  if (nl) {
    const char *l = nl + 1, *end = (const char *)data + size;
    const char *e = memchr(l, '\n', (size_t)(end - l));
    const char *c = e ? memrchr(l, ':', (size_t)(e - l)) : NULL;
    if (c && (size_t)(c - l) < sizeof sender) {
      sl = (size_t)(c - l);
      memcpy(sender, l, sl);
    }
  }
  sender[sl] = 0;
  if (sl && !memchr(sender, 0, sl)) one(db.s ? db.s : "", db.len, sender, now, interval);
  one(db.s ? db.s : "", db.len, "someone@example.org", now, interval);
  sb_free(&db);
  return 0;
}
