/* smtpcmd: qmail-smtpd's pure protocol pieces: command verbs, MAIL/RCPT
 * address syntax, ESMTP parameters (SIZE), the address checks that need
 * no configuration, and the ONE table of reply texts. No I/O. */
#ifndef SMTPCMD_H
#define SMTPCMD_H
#include <stddef.h>
#include <stdint.h>
#include "sb.h"

#define SMTP_CMDMAX 4096     /* bytes of one command line without CRLF */
#define SMTP_ADDRMAX 900     /* bytes of one envelope address (as qmail) */

enum smtp_verb {
  V_UNKNOWN, V_HELO, V_EHLO, V_MAIL, V_RCPT, V_DATA, V_RSET, V_NOOP,
  V_VRFY, V_QUIT, V_HELP, V_AUTH, V_STARTTLS
};

/* Verb of a command line (CRLF removed): the bytes before the first space,
 * case-insensitive. *arg is set to the offset of the argument (after the
 * spaces following the verb). A NUL byte makes the verb unknown. */
enum smtp_verb smtp_verb(const char *line, size_t len, size_t *arg);

/* Address of a MAIL/RCPT argument, as qmail reads it: between '<' and '>'
 * (quotes and backslashes removed, a source route dropped), or without '<'
 * the word after ':'. Returns 1 and the address in addr (NUL-terminated),
 * *rest = offset just after it (where ESMTP parameters start); 0 for a
 * syntax error (no ':' or '<', nothing after ':', NUL or control bytes,
 * longer than SMTP_ADDRMAX); -1 nomem. */
int smtp_addrparse(const char *arg, size_t len, sb *addr, size_t *rest);

/* ESMTP parameter NAME=value among the space separated words of p[0..len)
 * (case-insensitive name). 1 found (*val, *vlen set), 0 not. */
int smtp_param(const char *p, size_t len, const char *name, const char **val, size_t *vlen);

/* 1 if the bare keyword (e.g. SMTPUTF8) is among the parameters. */
int smtp_keyword(const char *p, size_t len, const char *name);
/* 1 if any byte is >= 0x80. */
int smtp_has8bit(const char *p, size_t len);
/* 1 if p[0..len) is well-formed UTF-8 (no overlongs, no surrogates,
 * nothing beyond U+10FFFF): what SMTPUTF8 addresses must be. */
int smtp_utf8_ok(const char *p, size_t len);

/* The SIZE= declaration of a MAIL argument's parameters: 1 if it is within
 * databytes (or absent, or databytes is 0), 0 if too big. Leading digits
 * count, as in qmail; a number beyond 64 bits is too big. */
int smtp_size_ok(const char *p, size_t len, uint64_t databytes);

/* 1 if the address looks like an old relay probe: '!', '%' or a second
 * '@' before the last '@' (BLOCKRELAYPROBE). */
int smtp_relayprobe(const char *addr, size_t len);

/* SANITYCHECK of a sender: */
enum { SANE_OK, SANE_NOAT, SANE_NOPART, SANE_NODOT };
int smtp_sanity(const char *addr, size_t len);

/* A domain literal ending the address: "user@[1.2.3.4]" or
 * "user@[IPv6:::1]". Returns 1, *at = offset of the '@', and the address
 * text without brackets and "IPv6:" in ip (NUL-terminated); 0 otherwise. */
int smtp_addrliteral(const char *addr, size_t len, size_t *at, char *ip, size_t ipsize);

/* 1 for the null sender "" and qmail's double-bounce sender "#@[]". */
int smtp_isbounce(const char *addr, size_t len);

/* Replies. Every line qmail-smtpd sends comes from smtp_reply(). */
enum smtp_reply {
  SR_GREET, SR_GREET550, SR_GREET421, SR_HELO, SR_EHLO, SR_EHLO_PIPELINING,
  SR_EHLO_SIZE, SR_EHLO_8BITMIME, SR_QUIT, SR_OK, SR_FLUSHED, SR_VRFY, SR_HELP,
  SR_UNIMPL, SR_BADSEQ, SR_WANTMAIL, SR_WANTRCPT, SR_SYNTAX, SR_CMDLONG,
  SR_AUTHNEEDED, SR_SIZE, SR_BMF, SR_BMFUNKNOWN, SR_NOBOUNCE, SR_SANE_NOAT,
  SR_SANE_NOPART, SR_SANE_NODOT, SR_RBL, SR_DNSSOFT, SR_NOMX, SR_LOCALSENDER,
  SR_VERIFYFAIL, SR_VERIFYSOFT, SR_RELAYPROBE, SR_BADRCPT, SR_NOGATEWAY,
  SR_MAXRCPT, SR_BADBOUNCE, SR_GOAHEAD, SR_QUEUED, SR_QQT, SR_QQTEMP, SR_QQPERM,
  SR_HOPS, SR_EXEC, SR_LINELONG, SR_BARELF, SR_TIMEOUT, SR_NOMEM, SR_CONTROL,
  SR_IPME, SR_SVCUNAVAIL,
  SR_EHLO_STARTTLS, SR_EHLO_AUTH, SR_EHLO_SMTPUTF8,
  SR_TLSGO, SR_TLSTEMP, SR_TLSACTIVE, SR_TLSSYNTAX, SR_TLSNEEDED,
  SR_AUTHOK, SR_AUTHFAIL, SR_AUTHMALFORMED, SR_AUTHCANCEL, SR_AUTHTEMP, SR_AUTHAGAIN,
  SR_AUTHINMAIL, SR_AUTHMECH, SR_AUTHTLS, SR_AUTHCHAL, SR_AUTHTOOMANY,
  SR_VERIFY552, SR_VERIFYTEMP, SR_UTF8NEEDED, SR_UTF8BAD,
  SR_COUNT
};

/* What the texts refer to: %m me, %g " greeting" (empty if none), %c
 * " cookie" (empty if none), %i the client's IP, %a the per-call argument. */
struct smtp_vars {
  const char *me, *greeting, *cookie, *remoteip;
};

/* The raw table entry ("553 sorry, ... [%i] (#5.7.1)"). */
const char *smtp_template(enum smtp_reply r);
/* Append the expanded reply plus CRLF to out. Control characters in the
 * substituted values become '?', so a reply is always one protocol line
 * (or the table's own lines). 1 ok, 0 nomem. */
int smtp_reply(sb *out, enum smtp_reply r, const struct smtp_vars *v, const char *arg);
/* The reply's three-digit code (e.g. 553). */
int smtp_code(enum smtp_reply r);

#endif
