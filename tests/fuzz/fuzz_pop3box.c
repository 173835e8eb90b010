/* fuzz_pop3box: qmail-pop3d's pure pieces (pop3box.h): the RETR/TOP
 * conversion of a message (mail content from anyone), and Maildir file
 * names (sizes, order, UIDL, the cur/ name at QUIT). The input is a
 * message; its lines are also taken as file names. Properties: the
 * converted message has CRLF line ends only (no bare LF), no line
 * starting with a single '.' but the terminator, ends with ".\r\n"
 * exactly once at the end, and does not depend on the division into
 * chunks; TOP never sends more body lines than asked; a UIDL is 1..70
 * bytes of 0x21..0x7e; the name order is antisymmetric. */
#include "fuzz.h"
#include "pop3box.h"

static void conv(const char *s, size_t n, int limited, uint64_t lines, size_t chunk, uint32_t seed, sb *out)
{
  struct pop3_conv c;
  pop3_convinit(&c, limited, lines);
  for (size_t off = 0; off < n;) {
    size_t k = chunk ? chunk : 1 + fz_next(&seed) % 100;
    if (k > n - off) k = n - off;
    FZ_MEM(pop3_conv(&c, s + off, k, out));
    off += k;
  }
  FZ_MEM(pop3_convend(&c, out));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *s = (const char *)data;
  uint32_t h = fz_hash(data, size);
  sb a = SB_INIT, b = SB_INIT, t = SB_INIT, x = SB_INIT;
  conv(s, size, 0, 0, SIZE_MAX, 0, &a);
  conv(s, size, 0, 0, 0, h, &b);
  FZ_CHECK(a.len == b.len && !memcmp(a.s, b.s, a.len));
  FZ_CHECK(a.len >= 3 && !memcmp(a.s + a.len - 3, ".\r\n", 3));
  for (size_t i = 0; i < a.len; ++i) {
    if (a.s[i] == '\n') FZ_CHECK(i > 0 && a.s[i - 1] == '\r');
    int bol = i == 0 || a.s[i - 1] == '\n';
    if (bol && a.s[i] == '.' && i + 3 != a.len) FZ_CHECK(i + 1 < a.len && a.s[i + 1] == '.');
  }
  uint64_t lim = h % 5;
  conv(s, size, 1, lim, 0, h, &t);
  FZ_CHECK(t.len <= a.len);
  /* the header and at most lim lines after the blank line */
  const char *blank = NULL;
  for (size_t i = 0; i + 1 < t.len; ++i)
    if ((i == 0 && t.s[0] == '\r' && t.s[1] == '\n') || (i >= 2 && t.s[i - 2] == '\n' && t.s[i - 1] == '\r' && t.s[i] == '\n')) { blank = t.s + i + 1; break; }
  if (blank) {
    uint64_t nl = 0;
    for (const char *p = blank; p < t.s + t.len; ++p) nl += *p == '\n';
    FZ_CHECK(nl <= lim + 2);   /* lim lines, a CRLF closing an open one, the terminator */
  }
  /* names */
  const char *prev = NULL;
  for (size_t i = 0; i < size;) {
    const char *e = memchr(s + i, '\n', size - i);
    size_t end = e ? (size_t)(e - s) : size;
    char *name = fz_str(s + i, end - i);
    uint64_t v;
    (void)pop3_namesize(name, 'S', &v);
    (void)pop3_namesize(name, 'W', &v);
    FZ_MEM(pop3_uidl(name, &x));
    FZ_CHECK(x.len >= 1 && x.len <= POP3_UIDLMAX);
    for (size_t k = 0; k < x.len; ++k) FZ_CHECK(x.s[k] >= 0x21 && x.s[k] <= 0x7e);
    char *path = malloc(strlen(name) + 5);
    FZ_MEM(path);
    memcpy(path, "new/", 4);
    strcpy(path + 4, name);
    FZ_MEM(pop3_curname(path, (int)(h & 1), &x));
    FZ_CHECK(!strncmp(x.s, "cur/", 4));
    free(path);
    if (prev) {
      int c1 = pop3_namecmp(prev, name), c2 = pop3_namecmp(name, prev);
      FZ_CHECK((c1 > 0) == (c2 < 0) && (c1 == 0) == (c2 == 0));
    }
    free((char *)prev);
    prev = name;
    i = end + 1;
  }
  free((char *)prev);
  sb_free(&a); sb_free(&b); sb_free(&t); sb_free(&x);
  return 0;
}
