/* pop3cmd: the pure protocol pieces of qmail-popup and qmail-pop3d:
 * command lines and verbs (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS,
 * RFC 5034 AUTH), their arguments, AUTH PLAIN decoding, the record
 * qmail-popup's network half hands to its root half, and the ONE table
 * of -ERR texts for the checkpassword chain's exit codes. No I/O. */
#ifndef POP3CMD_H
#define POP3CMD_H
#include <stddef.h>
#include <stdint.h>
#include "sb.h"

#define POP3_LINEMAX 255        /* a command line including CRLF (RFC 2449) */
#define POP3_SASLMAX 2048       /* an AUTH line or SASL response including CRLF */
#define POP3_USERMAX 256        /* bytes of a login */
#define POP3_PASSMAX 512        /* bytes of a password (auth_pop reads 512) */
#define POP3_STAMPMAX 400       /* bytes of the greeting's <pid.time@host> */
#define POP3_CREDMAX (1 + POP3_USERMAX + 1 + POP3_PASSMAX + 1 + POP3_STAMPMAX + 1)

enum pop3_verb {
  P3_UNKNOWN, P3_USER, P3_PASS, P3_APOP, P3_QUIT, P3_NOOP, P3_CAPA, P3_AUTH, P3_STLS,
  P3_STAT, P3_LIST, P3_RETR, P3_DELE, P3_RSET, P3_UIDL, P3_TOP, P3_LAST
};

/* Outcome of pop3_cmdline */
enum { P3L_OK = 0, P3L_NUL = 1, P3L_TOOLONG = 2, P3L_EMPTY = 3 };

struct pop3_cmd {
  enum pop3_verb verb;
  const char *arg;     /* after the single space following the verb ("" none) */
  size_t arglen;
};

/* A line as rd_line returned it (LF removed): a CR before the LF is
 * dropped, then the line is checked: no NUL byte (P3L_NUL), not empty
 * (P3L_EMPTY), at most POP3_LINEMAX bytes with CRLF, or POP3_SASLMAX for
 * AUTH (P3L_TOOLONG). The verb is case-insensitive; anything but an
 * exact known keyword is P3_UNKNOWN. c points into line. */
int pop3_cmdline(const char *line, size_t len, struct pop3_cmd *c);
/* A SASL continuation line: CR dropped, NUL-free, <= POP3_SASLMAX.
 * P3L_* as above (an empty response is P3L_OK with *n 0). */
int pop3_saslline(const char *line, size_t *len);

/* A message number: decimal digits only, 1 or more, fits 64 bits,
 * not 0. 1 ok, 0 syntax. */
int pop3_msgnum(const char *arg, size_t len, uint64_t *n);
/* TOP's "msg n": two numbers (n may be 0) separated by spaces. 1 ok. */
int pop3_toparg(const char *arg, size_t len, uint64_t *msg, uint64_t *lines);

/* AUTH's arguments: "" (list the mechanisms), "PLAIN" or "PLAIN <resp>"
 * (case-insensitive mechanism). */
enum { P3A_LIST, P3A_PLAIN, P3A_PLAIN_RESP, P3A_UNKNOWN, P3A_SYNTAX };
int pop3_authargs(const char *arg, size_t len, const char **resp, size_t *resplen);

/* AUTH PLAIN's response (base64 of authzid\0authcid\0password; "=" is
 * an empty response, "*" a cancel). On P3P_OK user and pass hold the
 * login and password (NUL-terminated, no NUL inside); the decoded copy
 * is wiped. An authzid other than the login is refused (no proxy
 * logins): P3P_AUTHZID. */
enum { P3P_OK, P3P_CANCEL, P3P_BASE64, P3P_FORM, P3P_TOOLONG, P3P_AUTHZID, P3P_EMPTY, P3P_NOMEM };
int pop3_plain(const char *resp, size_t len, sb *user, sb *pass);

/* qmail-popup's internal record, network half -> root half: one mode
 * byte ('P' plaintext: the chain gets the socket; 'T' TLS: the chain
 * gets the relay's socketpair) and then exactly what the chain reads on
 * fd 3: user\0password\0timestamp\0. 1 if well formed (lengths within
 * the limits above, a non-empty user, nothing after the third NUL). */
int pop3_credrec(const char *buf, size_t len, char *mode);
/* Build it (the record holds the password: the caller wipes it). 1 ok. */
int pop3_credmake(sb *out, char mode, const char *user, size_t ulen, const char *pass, size_t plen,
                  const char *stamp);

/* The -ERR line (without CRLF) for the chain's end: exited is 1 and
 * code the exit code, or exited is 0 and code the signal. NULL for exit
 * 0 (the session ended normally; nothing to add). Codes of auth_pop
 * (facts §1a) with RFC 2449/3206 response codes. */
const char *pop3_chainerr(int exited, int code);

/* A login or address for a log line: printable ASCII kept, any other
 * byte as '?', at most max bytes ("..." appended when cut). out is
 * NUL-terminated; 1 ok, 0 nomem. */
int pop3_logsafe(sb *out, const char *s, size_t n, size_t max);

/* Wipe and empty a buffer that held a secret. */
void pop3_wipe(sb *b);

#endif
