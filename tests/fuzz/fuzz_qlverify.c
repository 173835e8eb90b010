/* fuzz_qlverify: qmail-verify (INTERNALS 9). The input is what
 * qmail-smtpd writes to it: requests <kind><address>\0<size>\0, read by
 * qmail-verify's own request() (the program's source is included here,
 * its main renamed, so the parser under test is the one that runs).
 * After a line "\n--\n" the rest is a directory entry, "name: value" per
 * line (repeated names are more values), turned into the mailbox the
 * answer needs by qlv_mailbox, which runs the delivery policy
 * (qlp_decide) on it. Every request is answered for every lookup
 * outcome. Properties: a request's address is NUL-free and at most
 * ADDR_MAX bytes, its size digits; a malformed request stops the
 * stream; every reply has the form qmail-smtpd accepts (K\0, or D5xx /
 * Z4xx, a space, at most 500 printable bytes ending in (#x.y.z), \0);
 * senders are never refused for size or quota. */
#define FUZZ_NO_PROGNAME
#include "fuzz.h"
#define main qmail_verify_main
#include "../../qmail-verify.c"
#undef main

#define MAXATTR 32
#define MAXVALS 8

static void entry_from_text(struct qldap_entry *e, const char *p, size_t n)
{
  qldap_entry_init(e);
  FZ_MEM(sb_copys(&e->dn, "uid=fuzz,ou=people,dc=example,dc=org"));
  e->attr = calloc(MAXATTR, sizeof *e->attr);
  FZ_MEM(e->attr);
  for (size_t i = 0; i < n;) {
    const char *nl = memchr(p + i, '\n', n - i);
    size_t end = nl ? (size_t)(nl - p) : n;
    const char *c = memchr(p + i, ':', end - i);
    if (c && c > p + i) {
      size_t nlen = (size_t)(c - p) - i, v = (size_t)(c - p) + 1;
      if (v < end && p[v] == ' ') ++v;
      struct qldap_attr *a = NULL;
      for (size_t k = 0; k < e->nattr; ++k)
        if (strlen(e->attr[k].name) == nlen && !strncasecmp(e->attr[k].name, p + i, nlen)) a = &e->attr[k];
      if (!a && e->nattr < MAXATTR && !memchr(p + i, 0, nlen)) {
        a = &e->attr[e->nattr++];
        a->name = fz_str(p + i, nlen);
        a->vals = calloc(MAXVALS, sizeof *a->vals);
        a->lens = calloc(MAXVALS, sizeof *a->lens);
        FZ_MEM(a->vals && a->lens);
      }
      if (a && a->nvals < MAXVALS) {
        a->vals[a->nvals] = fz_str(p + v, end - v);
        a->lens[a->nvals] = end - v;
        a->nvals++;
      }
    }
    i = end + 1;
  }
}

/* the reply as qmail-smtpd's verify_address reads it */
static void wire_ok(const sb *w, const struct qlv_reply *r, int kind)
{
  FZ_CHECK(w->len >= 2 && w->s[w->len - 1] == 0 && !memchr(w->s, 0, w->len - 1));
  if (w->s[0] == 'K') { FZ_CHECK(w->len == 2 && r->kind == 'K' && r->code == 0); return; }
  FZ_CHECK(w->s[0] == 'D' || w->s[0] == 'Z');
  FZ_CHECK(w->len >= 6 && w->s[1] == (w->s[0] == 'D' ? '5' : '4'));
  FZ_CHECK(w->s[2] >= '0' && w->s[2] <= '9' && w->s[3] >= '0' && w->s[3] <= '9' && w->s[4] == ' ');
  size_t tl = w->len - 6;
  const char *t = w->s + 5;
  FZ_CHECK(tl <= 500);
  for (size_t i = 0; i < tl; ++i) FZ_CHECK((unsigned char)t[i] >= 0x20 && (unsigned char)t[i] < 0x7f);
  FZ_CHECK(tl >= 8 && t[tl - 1] == ')' && memchr(t, '#', tl));
  const char *h = strrchr(t, '(');
  FZ_CHECK(h && h[1] == '#' && h[2] >= '2' && h[2] <= '5' && h[3] == '.');
  if (kind == 'S') FZ_CHECK(!r->quota && r->code != 552);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *s = (const char *)data;
  const char *sep = memmem(s, size, "\n--\n", 4);
  size_t rn = sep ? (size_t)(sep - s) : size;
  uint32_t h = fz_hash(data, size);
  struct qldap_entry e;
  struct qlv_mailbox m;
  struct qlp_config cfg = {
    .me = "mx.example.org", .clusterhosts = "mx.example.org\0mx2.example.org", .clusterhosts_len = 31,
    .cluster = (int)(h & 1), .ldapuid = h & 2 ? 1000 : 0, .ldapgid = h & 2 ? 1000 : 0,
    .messagestore = h & 4 ? "/var/mail/" : "", .defaultdotmode = h & 8 ? DOTMODE_LDAPONLY : DOTMODE_BOTH,
    .defquotasize = h & 16 ? 1000000 : 0, .defquotacount = 0, .aliasempty = "./Maildir/\n",
    .aliasuser = "alias", .aliasuid = 7790, .aliasgid = 2108, .aliashome = "/var/qmail/alias",
  };
  entry_from_text(&e, sep ? sep + 4 : "", sep ? size - rn - 4 : 0);
  qlv_mailbox_init(&m);
  int st = qlv_mailbox(&e, &cfg, &m);
  FZ_CHECK(st >= QLV_BOX_OK && st <= QLV_BOX_TEMP && st == m.status);
  if (st == QLV_BOX_OK && m.maildir.len) FZ_CHECK(m.maildir.s[0] == '/');

  struct rd r;
  struct fz_mem mem;
  sb addr = SB_INIT, wire = SB_INIT;
  fz_rd(&r, &mem, data, rn, 0, h);
  for (int k = 0; k < 64; ++k) {
    int kind = 0, hassize = 0;
    uint64_t sz = 0;
    int q = request(&r, &kind, &addr, &hassize, &sz);
    if (q != REQ_OK) break;
    FZ_CHECK(kind == 'R' || kind == 'S');
    FZ_CHECK(addr.len <= ADDR_MAX && addr.s[addr.len] == 0 && strlen(addr.s) == addr.len);
    if (!hassize) FZ_CHECK(sz == 0);
    struct usage u = {(int64_t)(h >> 8 & 0xfffff), (int64_t)(h & 0xff)};
    for (int found = QLV_ENTRY; found <= QLV_PERM + 1; ++found) {
      struct qlv_reply rep;
      int why = (int)(fz_next(&h) % (QLW_BADPASS + 2));
      qlv_decide(kind, addr.s, found, why, &m, hassize, sz, h & 32 ? &u : NULL, &rep);
      FZ_CHECK(rep.kind == 'K' || rep.kind == 'D' || rep.kind == 'Z');
      FZ_MEM(qlv_format(&rep, &wire));
      wire_ok(&wire, &rep, kind);
      if (!qlv_has_host(addr.s)) FZ_CHECK(rep.kind == 'D');
    }
  }
  sb_free(&addr);
  sb_free(&wire);
  qlv_mailbox_free(&m);
  qldap_entry_free(&e);
  return 0;
}
