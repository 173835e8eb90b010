/* authsmtp: the pure half of auth_smtp (INTERNALS 10): parses what
 * qmail-smtpd writes on auth_smtp's stdin. No I/O. */
#ifndef AUTHSMTP_H
#define AUTHSMTP_H
#include <stddef.h>
#include "sb.h"

#define AS_MAXIN 2048      /* all of stdin */
#define AS_MAXLOGIN 256    /* decoded login (authcid) */
#define AS_MAXPASS 512     /* decoded password */

enum as_rc {
  AS_OK = 0,      /* credentials to check */
  AS_DENY,        /* D: bad credentials */
  AS_MALFORMED,   /* Z: malformed data */
  AS_TEMP         /* exit 111: temporary trouble */
};

struct as_cred {
  const char *mech;                 /* "login" or "plain" */
  char login[AS_MAXLOGIN + 1];      /* NUL-terminated, no NUL inside */
  size_t loginlen;
  char pass[AS_MAXPASS + 1];
  size_t passlen;
};

/* Parse the stdin bytes buf[0..n):
 *   login\0<b64 user>\0<b64 password>\0
 *   plain\0<b64 of authzid\0authcid\0password>\0
 * exactly, nothing before or after. AS_OK: c holds login and password.
 * AS_DENY: well formed but never valid (empty password, an authzid other
 * than the authcid: no proxy authorization); c->login is set for the log.
 * AS_MALFORMED otherwise (wrong token count, trailing bytes, bad base64,
 * oversize, NUL inside a name or password, empty login, unknown
 * mechanism). *why names the reason for the log. Decoded secrets live
 * only in c (and a temporary buffer that is wiped). */
int as_parse(const char *buf, size_t n, struct as_cred *c, const char **why);
void as_wipe(struct as_cred *c);

/* The directory check, the decision and the log line are qlauth's,
 * shared with auth_pop and auth_imap. */

#endif
