/* authsmtp: the pure half of auth_smtp (INTERNALS 10). Parses what
 * qmail-smtpd writes on auth_smtp's stdin and decides, from the directory
 * entry and the password check, what auth_smtp answers. No I/O. */
#ifndef AUTHSMTP_H
#define AUTHSMTP_H
#include <stddef.h>
#include "qldap.h"
#include "sb.h"

#define AS_MAXIN 2048      /* all of stdin */
#define AS_MAXLOGIN 256    /* decoded login (authcid) */
#define AS_MAXPASS 512     /* decoded password */

enum as_rc {
  AS_OK = 0,      /* parse: credentials to check; decide: K */
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

/* How a password check came out (pwcheck's PW_* values): from a
 * qldap_user_bind result (ldaprebind 1). */
int as_bindresult(int qldap_rc);

/* The decision for a found entry (attributes accountStatus, qmailUID,
 * uid as fetched) and the outcome of the password check (PW_*):
 * AS_OK (user = the entry's uid value that equals login ignoring case,
 * else its only uid, else login), AS_DENY (wrong password, unsupported
 * scheme, noaccess/disabled/deleted, qmailUID 0 or not a number, a uid
 * that cannot be sent back), AS_TEMP (PW_ERROR). *why for the log. */
int as_decide(const struct qldap_entry *e, const char *login, int pwres, sb *user, const char **why);

/* login made safe for a log line: printable ASCII kept (backslash
 * doubled), every other byte as \xHH; at most max input bytes */
int as_logsafe(sb *out, const char *s, size_t n, size_t max);

#endif
