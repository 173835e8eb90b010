/* fuzz_dotqmail: what qmail-local reads from a .qmail file and which
 * file it reads (dotqmail.h). The input's first line is the address
 * extension; the rest is the .qmail text, which also serves as the list
 * of file names that exist (each line). Properties: the line walk covers
 * the text exactly; a line's kind matches its first byte and its payload
 * lies inside the line without trailing blanks or NUL; the safe ext has
 * no '.' and no upper case; dq_search finds the first existing name in
 * qmail's order (checked against a model) and $DEFAULT lies inside ext;
 * the added header lines are one line each; EXTn and HOSTn are tails
 * and heads of their input. */
#include "fuzz.h"
#include "dotqmail.h"

struct names { const char *p; size_t n; int calls; };

/* does name appear as a whole line of the text? */
static int has(const struct names *x, const char *name)
{
  size_t nl = strlen(name);
  for (size_t i = 0; i < x->n;) {
    const char *e = memchr(x->p + i, '\n', x->n - i);
    size_t end = e ? (size_t)(e - x->p) : x->n;
    if (end - i == nl && !memcmp(x->p + i, name, nl)) return 1;
    i = end + 1;
  }
  return 0;
}

static int try(void *ctx, const char *name)
{
  struct names *x = ctx;
  x->calls++;
  FZ_CHECK(!strncmp(name, ".qmail", 6));
  return has(x, name);
}

static void lines(const char *s, size_t n)
{
  size_t pos = 0, count = 0, want = 0;
  struct dq_line l;
  for (size_t i = 0; i < n; ++i) want += s[i] == '\n';
  if (n && s[n - 1] != '\n') ++want;
  for (size_t start = 0; dq_next(s, n, &pos, &l); start = pos) {
    const char *line = s + start;
    FZ_CHECK(pos <= n && pos > start);
    ++count;
    FZ_CHECK(l.s >= s && l.s + l.len <= s + pos);
    FZ_CHECK(!memchr(l.s, '\n', l.len) && !memchr(l.s, 0, l.len));
    if (l.len) FZ_CHECK(l.s[l.len - 1] != ' ' && l.s[l.len - 1] != '\t');
    switch (l.kind) {
    case DQ_BLANK: FZ_CHECK(!l.len); break;
    case DQ_COMMENT: FZ_CHECK(l.s == line && line[0] == '#'); break;
    case DQ_PROGRAM: FZ_CHECK(line[0] == '|' && l.s == line + 1); break;
    case DQ_PLUS: FZ_CHECK(line[0] == '+' && l.s == line + 1); break;
    case DQ_MAILDIR: FZ_CHECK((l.s[0] == '.' || l.s[0] == '/') && l.s[l.len - 1] == '/'); break;
    case DQ_MBOX: FZ_CHECK((l.s[0] == '.' || l.s[0] == '/') && l.s[l.len - 1] != '/'); break;
    case DQ_FORWARD:
      if (line[0] == '&') FZ_CHECK(l.s == line + 1);
      else FZ_CHECK(l.s == line && !strchr("#|+./", line[0]));
      break;
    default: FZ_CHECK(0);
    }
  }
  FZ_CHECK(pos == n && count == want);
}

/* qmail's order, written out: the exact name, then -default at each
 * dash from the right, then .qmail<dash>default */
static int model(const char *dash, const char *safe, const struct names *x, size_t *defpos, sb *found)
{
  sb name = SB_INIT;
  size_t n = strlen(safe);
  int r = 0;
  FZ_MEM(sb_copys(&name, ".qmail") && sb_cats(&name, dash) && sb_cats(&name, safe));
  if (has(x, name.s)) {
    *defpos = n >= 7 && !strcmp(safe + n - 7, "default") ? n - 7 : SIZE_MAX;
    r = 1;
  } else {
    for (size_t i = n + 1; i-- > 0;) {
      if (i && safe[i - 1] != '-') continue;
      FZ_MEM(sb_copys(&name, ".qmail") && sb_cats(&name, dash) && sb_catb(&name, safe, i) && sb_cats(&name, "default"));
      if (has(x, name.s)) { *defpos = i; r = 1; break; }
    }
  }
  if (r) FZ_MEM(sb_copysb(found, &name));
  sb_free(&name);
  return r;
}

static const char *lastname;
static int try_last(void *ctx, const char *name)
{
  int r = try(ctx, name);
  if (r == 1) lastname = name;
  return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *s = (const char *)data;
  const char *nl = memchr(s, '\n', size);
  size_t el = nl ? (size_t)(nl - s) : size;
  if (el > 1024) return 0;
  char *ext = fz_str(s, el);   /* stops at a NUL, as a C string would */
  const char *text = nl ? nl + 1 : s + size;
  size_t tn = (size_t)(s + size - text);
  struct names x = {text, tn, 0};
  sb safe = SB_INIT, found = SB_INIT, out = SB_INIT;

  lines(s, size);
  FZ_MEM(dq_safeext(&safe, ext));
  FZ_CHECK(safe.len == strlen(ext));
  for (size_t i = 0; i < safe.len; ++i) FZ_CHECK(safe.s[i] != '.' && !(safe.s[i] >= 'A' && safe.s[i] <= 'Z'));

  const char *dash = size & 1 ? "-" : "";
  size_t defpos = 0, mdef = 0;
  lastname = NULL;
  int r = dq_search(dash, ext, try_last, &x, &defpos);
  FZ_CHECK(r >= 0);
  int m = model(dash, safe.s, &x, &mdef, &found);
  FZ_CHECK(r == m);
  if (r) {
    FZ_CHECK(defpos == mdef);
    FZ_CHECK(defpos == SIZE_MAX || defpos <= strlen(ext));
  }

  /* newsender: -owner names from the text too */
  FZ_MEM(dq_newsender(&out, "sender@example.org", "local", "example.org", dash, safe.s,
                      try, &x) == 0);
  FZ_CHECK(out.len && !memchr(out.s, '\n', out.len));

  /* added lines: each exactly one line */
  FZ_MEM(dq_dtline(&out, ext, ext));
  FZ_CHECK(out.s[out.len - 1] == '\n' && memchr(out.s, '\n', out.len) == out.s + out.len - 1);
  FZ_CHECK(dq_is_loop(out.s, out.len - 1, &out));
  FZ_MEM(dq_rpline(&out, ext));
  FZ_CHECK(out.s[out.len - 1] == '\n' && memchr(out.s, '\n', out.len) == out.s + out.len - 1);
  time_t when = (time_t)(fz_hash(data, size) % 4102444800u);   /* up to 2100 */
  FZ_MEM(dq_ufline(&out, ext, when));
  FZ_CHECK(out.s[out.len - 1] == '\n' && memchr(out.s, '\n', out.len) == out.s + out.len - 1);

  for (int k = 2; k <= 4; ++k) {
    const char *t = dq_extn(ext, k);
    FZ_CHECK(t >= ext && t <= ext + strlen(ext));
    FZ_MEM(dq_hostn(&out, ext, k));
    FZ_CHECK(out.len <= strlen(ext) && !memcmp(out.s, ext, out.len));
  }
  int pe = dq_prog_exit((int)(fz_hash(data, size) & 0xff));
  FZ_CHECK(pe >= DQ_PROG_OK && pe <= DQ_PROG_SOFT);
  free(ext);
  sb_free(&safe);
  sb_free(&found);
  sb_free(&out);
  return 0;
}
