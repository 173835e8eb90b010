/* fuzz_imapcmd: qmail-imaplogin's command parser and the pre-login
 * pieces (imapcmd.h, INTERNALS 12). The input is a client's stream. It
 * is fed as qmail-imaplogin feeds it, one byte at a time (a literal
 * announced for LOGIN is refused now and then, as before STARTTLS), and
 * again in chunks of varying size: the events (kind, error, tag, name,
 * tokens) must be the same. Complete commands go through the LOGIN,
 * AUTHENTICATE, ID and PLAIN checks; the credentials they give through
 * the record to the root half and the fd 3 data of the chain. The whole
 * input is also parsed as a record and as the re-run's state.
 * Properties: token values lie inside the data, NUL-terminated there;
 * a tag handed on is valid; the record round-trips; imap_credok's
 * limits hold for everything handed on; log-safe text is printable. */
#include "fuzz.h"
#include "imapcmd.h"

struct events { sb log; };

static void note(sb *log, const void *p, size_t n) { FZ_MEM(sb_catb(log, p, n)); }

static void creds(const char *u, size_t ul, const char *p, size_t pl, const char *tag)
{
  sb rec = SB_INIT, fd3 = SB_INIT;
  char mode;
  unsigned failed;
  const char *t, *u2, *p2;
  size_t ul2, pl2;
  int ok = imap_credok(u, ul, p, pl);
  int r = imap_fd3(&fd3, u, ul, p, pl);
  FZ_MEM(r >= 0);
  FZ_CHECK(r == ok);
  if (ok) {
    FZ_CHECK(fd3.len == 11 + ul + 1 + pl + 1 && !memcmp(fd3.s, "imap\nlogin\n", 11));
    FZ_CHECK(imap_tagok(tag, strlen(tag)));
    FZ_MEM(imap_recmake(&rec, 'P', 2, tag, u, ul, p, pl));
    FZ_CHECK(rec.len <= IMAP_RECMAX);
    FZ_CHECK(imap_recparse(rec.s, rec.len, &mode, &failed, &t, &u2, &ul2, &p2, &pl2));
    FZ_CHECK(mode == 'P' && failed == 2 && !strcmp(t, tag));
    FZ_CHECK(ul2 == ul && !memcmp(u2, u, ul) && pl2 == pl && !memcmp(p2, p, pl));
  }
  imap_wipe(&rec);
  imap_wipe(&fd3);
  sb_free(&rec);
  sb_free(&fd3);
}

static void command(struct imapcmd *c, sb *log)
{
  char num[32];
  FZ_CHECK(c->ntok <= IMAP_TOKMAX && c->taglen <= IMAP_TAGMAX && c->namelen <= IMAP_NAMEMAX);
  note(log, c->tag, c->taglen);
  note(log, "|", 1);
  note(log, c->name, c->namelen);
  for (size_t i = 0; i < c->ntok; ++i) {
    size_t n;
    const char *v = imapcmd_tok(c, i, &n);
    FZ_CHECK(c->tok[i].off + n < c->data.len + 1 && v[n] == 0);
    snprintf(num, sizeof num, "|%d:", c->tok[i].type);
    note(log, num, strlen(num));
    note(log, v, n);
  }
  enum imap_verb vb = imapcmd_verb(c);
  const char *u, *p, *mech, *ir;
  size_t ul, pl, ml, il;
  if (vb == IV_LOGIN && imapcmd_login(c, &u, &ul, &p, &pl)) creds(u, ul, p, pl, c->tag);
  if (vb == IV_AUTHENTICATE && imapcmd_authenticate(c, &mech, &ml, &ir, &il) && ir) {
    sb user = SB_INIT, pass = SB_INIT;
    int r = imap_plain(ir, il, 1, &user, &pass);
    FZ_MEM(r != IP_NOMEM);
    if (r == IP_OK) creds(user.s, user.len, pass.s, pass.len, c->tag);
    else FZ_CHECK(!user.len && !pass.len);
    sb_free(&user);
    sb_free(&pass);
  }
  if (vb == IV_ID) (void)imapcmd_id(c);
}

/* chunk 1: byte by byte; 0: sizes from the generator */
static void run(const uint8_t *p, size_t n, size_t chunk, uint32_t seed, sb *log)
{
  struct imapcmd c;
  size_t off = 0;
  imapcmd_init(&c);
  while (off < n) {
    size_t k = chunk ? chunk : 1 + fz_next(&seed) % 64, used = 0;
    if (k > n - off) k = n - off;
    int r = imapcmd_feed(&c, p + off, k, &used);
    FZ_CHECK(used <= k);
    if (r == IC_MORE) FZ_CHECK(used == k);
    else FZ_CHECK(used >= 1);
    off += used;
    if (r == IC_MORE) continue;
    char ev[32];
    snprintf(ev, sizeof ev, "\n%d/%d:", r, c.err);
    note(log, ev, strlen(ev));
    if (r == IC_LITERAL) {
      FZ_CHECK(c.litlen <= IMAP_LITMAX);
      /* as qmail-imaplogin before STARTTLS: no LOGIN literal; the choice
       * depends on the literal's size only, the same in every run */
      if (imapcmd_verb(&c) == IV_LOGIN && (c.litlen & 1)) imapcmd_abort(&c);
      continue;
    }
    if (r == IC_DONE) command(&c, log);
    if (r == IC_DONE || r == IC_BAD) {
      if (c.taglen) FZ_CHECK(imap_tagok(c.tag, c.taglen));
      imapcmd_wipe(&c);
    }
    if (r == IC_FATAL) {
      FZ_CHECK(c.err != IE_NONE);
      FZ_CHECK(imapcmd_errtext(c.err) != NULL);
      break;
    }
  }
  imapcmd_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *s = (const char *)data;
  sb a = SB_INIT, b = SB_INIT;
  run(data, size, 1, 0, &a);
  run(data, size, 0, fz_hash(data, size), &b);
  FZ_CHECK(a.len == b.len && (!a.len || !memcmp(a.s, b.s, a.len)));

  char mode;
  unsigned failed;
  const char *t, *u, *p;
  size_t ul, pl;
  if (imap_recparse(s, size, &mode, &failed, &t, &u, &ul, &p, &pl)) {
    FZ_CHECK((mode == 'P' || mode == 'T') && failed < IMAP_FAILMAX);
    FZ_CHECK(imap_tagok(t, strlen(t)) && imap_credok(u, ul, p, pl));
  }
  /* the re-run's state: two strings from the input */
  const char *z = memchr(s, 0, size);
  char *f = fz_str(s, z ? (size_t)(z - s) : size);
  char *tag = fz_str(z ? z + 1 : "", z ? size - (size_t)(z - s) - 1 : 0);
  unsigned n = 99;
  int k = imap_loginstate(f, tag, &n);
  FZ_CHECK(k >= -1 && k <= 1);
  if (k == 1) FZ_CHECK(n >= 1 && n <= IMAP_FAILMAX && imap_tagok(tag, strlen(tag)));
  const char *ft = imap_failtext(f);
  FZ_CHECK(ft && !strchr(ft, '\n') && !strchr(ft, '\r'));
  (void)imap_failtemp(f);
  (void)imap_cleartextok(f, tag, f);
  sb out = SB_INIT;
  FZ_MEM(imap_logsafe(&out, s, size, 200));
  for (size_t i = 0; i < out.len; ++i) FZ_CHECK(out.s[i] >= 0x20 && out.s[i] < 0x7f);
  free(f);
  free(tag);
  sb_free(&out);
  sb_free(&a);
  sb_free(&b);
  return 0;
}
