/* digest: makes and checks userPassword values (facts §1a).
 *   digest [-t type] [-s b64salt | -S hexsalt] [-C | -5 | -b | -f prefix] password
 *   digest -v password hashed
 * prints {SCHEME}hash for every type or the one of -t; each verifies
 * with pw_check, the checker every login uses. A password "-" is read
 * from stdin (one line), so it needs not be on the command line. */
#include "die.h"
#include "base64.h"
#include "pwcheck.h"
#include "pwgen.h"
#include "rd.h"
#include "sb.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

const char *progname = "digest";

#define USAGE "usage: digest [-t type] [-s b64salt | -S hexsalt] [-C | -5 | -b | -f cryptprefix] password\n" \
              "       digest -v password hashed"

static int hexval(char c)
{
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* -S: an even number of hex digits */
static int unhex(const char *s, sb *out)
{
  size_t n = strlen(s);
  if (n % 2) return 0;
  for (size_t i = 0; i < n; i += 2) {
    int h = hexval(s[i]), l = hexval(s[i + 1]);
    if (h < 0 || l < 0 || !sb_catc(out, (char)(h << 4 | l))) return 0;
  }
  return 1;
}

/* "-": the first line of stdin, at most PW_MAXCLEAR bytes */
static const char *password(const char *arg, sb *buf)
{
  struct rd r;
  if (strcmp(arg, "-")) return arg;
  rd_init(&r, 0, 0);
  int k = rd_line(&r, buf, '\n', PW_MAXCLEAR);
  pw_wipe(r.buf, sizeof r.buf);
  if (k == RD_TOOLONG) die(100, "password longer than %d bytes", PW_MAXCLEAR);
  if (k != RD_OK && k != RD_PARTIAL) die(100, "no password on stdin");
  if (buf->len && buf->s[buf->len - 1] == '\r') sb_trunc(buf, buf->len - 1);
  if (!sb_catb(buf, "", 0)) die_nomem();
  if (memchr(buf->s, 0, buf->len)) die(100, "NUL in the password");
  return buf->s;
}

static int verify(const char *clear, const char *hashed)
{
  int r = pw_check(hashed, strlen(hashed), clear, 0);
  printf("%s\n", pw_result_text(r));
  if (r == PW_ERROR) return 111;
  return r == PW_MATCH ? 0 : 1;
}

int main(int argc, char **argv)
{
  const struct pwg_scheme *only = NULL;
  const char *prefix = NULL;
  unsigned char rnd[PWG_SALT_DEFAULT];
  sb salt = SB_INIT, out = SB_INIT, pwbuf = SB_INIT;
  int opt, vflag = 0, given = 0, failed = 0;

  while ((opt = getopt(argc, argv, "vt:s:S:C5bf:")) != -1) {
    switch (opt) {
    case 'v': vflag = 1; break;
    case 't':
      if (!(only = pwg_find(optarg))) die(100, "unknown type %s (crypt, md4, md5, ns-mta-md5, smd5, sha, ssha, rmd160, sha256, ssha256, sha384, ssha384, sha512, ssha512)", optarg);
      break;
    case 's':
      salt.len = 0;
      if (b64_decode(&salt, optarg, strlen(optarg)) != 1 || !salt.len) die(100, "-s needs base64");
      given = 1;
      break;
    case 'S':
      salt.len = 0;
      if (!unhex(optarg, &salt) || !salt.len) die(100, "-S needs hex digits");
      given = 1;
      break;
    case 'C': prefix = ""; break;           /* DES, the original's default */
    case '5': prefix = "$1$"; break;        /* MD5-crypt */
    case 'b': prefix = "$2b$"; break;       /* bcrypt */
    case 'f': prefix = optarg; break;       /* any libcrypt prefix: $5$ $6$ $y$ ... */
    default: die(100, USAGE);
    }
  }
  argc -= optind;
  argv += optind;
  if (vflag) {
    if (argc != 2) die(100, USAGE);
    int r = verify(password(argv[0], &pwbuf), argv[1]);
    pw_wipe(pwbuf.s, pwbuf.cap);
    return r;
  }
  if (argc != 1) die(100, USAGE);
  const char *clear = password(argv[0], &pwbuf);
  if (!*clear) die(100, "empty password (it never logs in)");
  if (!given) {
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) die(111, "no random bytes: %s", strerror(errno));
    if (!sb_copyb(&salt, rnd, sizeof rnd)) die_nomem();
  }
  if (salt.len > PWG_SALT_MAX) die(100, "salt longer than %d bytes", PWG_SALT_MAX);
  for (unsigned i = 0; i < pwg_nschemes; ++i) {
    const struct pwg_scheme *s = &pwg_schemes[i];
    if (only && s != only) continue;
    int r = pwg_make(s, clear, (const unsigned char *)salt.s, salt.len, prefix, &out);
    if (r == PWG_OK) { printf("%s\n", out.s); continue; }
    warn("%s: %s", s->name, pwg_result_text(r));
    failed = r == PWG_ERROR ? 111 : 100;
  }
  pw_wipe(pwbuf.s, pwbuf.cap);
  pw_wipe(out.s, out.cap);
  if (fflush(stdout) || ferror(stdout)) die(111, "unable to write: %s", strerror(errno));
  /* every type: one this machine cannot make is skipped, not fatal */
  return only ? failed : (failed == 111 ? 111 : 0);
}
