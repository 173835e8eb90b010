/* imapcmd: the pure protocol pieces of qmail-imaplogin (INTERNALS 12):
 * an RFC 3501 command parser fed byte by byte (tag, command name,
 * atoms, quoted strings, literals, parenthesised lists) with bounded
 * lines, literals and commands; the argument checks of the pre-login
 * commands; SASL PLAIN (RFC 4616) decoding; the capability list; the
 * record the network half hands to the root half and the fd 3 data of
 * the Courier-style chain; the login state carried across a re-exec.
 * No I/O. */
#ifndef IMAPCMD_H
#define IMAPCMD_H
#include <stddef.h>
#include <stdint.h>
#include "sb.h"

#define IMAP_LINEMAX 8192     /* one line of a command, CRLF included */
#define IMAP_LITMAX 8192      /* one literal's announced size */
#define IMAP_CMDMAX 16384     /* a whole command: its lines and literals */
#define IMAP_TAGMAX 64        /* bytes of a tag */
#define IMAP_NAMEMAX 32       /* bytes of a command name */
#define IMAP_TOKMAX 70        /* tokens after the command name (ID: 30 pairs) */
#define IMAP_DEPTHMAX 4       /* nested parentheses */
#define IMAP_USERMAX 256      /* bytes of a login */
#define IMAP_PASSMAX 512      /* bytes of a password */
#define IMAP_FAILMAX 3        /* failed logins before BYE */

enum imap_toktype { IT_ATOM = 1, IT_QUOTED, IT_LITERAL, IT_LPAREN, IT_RPAREN };

struct imap_token {
  int type;
  size_t off, len;            /* the value in data (NUL-terminated there) */
};

/* imapcmd_feed results */
enum {
  IC_MORE = 0,    /* all input used, the command is not complete */
  IC_LITERAL,     /* a synchronizing literal of litlen bytes was announced
                   * and fits: send "+ ..." and go on feeding */
  IC_DONE,        /* a complete command: tag, name, tokens */
  IC_BAD,         /* a complete command with an error (err): answer BAD,
                   * tagged if tag[0], else untagged */
  IC_FATAL        /* cannot go on (err): answer * BYE and close */
};

/* err values */
enum {
  IE_NONE = 0,
  IE_TAG,         /* missing or invalid tag */
  IE_NOCMD,       /* a tag without a command */
  IE_SYNTAX,      /* anything else against RFC 3501 syntax */
  IE_NUL,         /* a NUL byte */
  IE_LITBIG,      /* a literal over IMAP_LITMAX or the command limit */
  IE_TOOMANY,     /* more than IMAP_TOKMAX tokens or IMAP_DEPTHMAX levels */
  IE_LINE,        /* a line over IMAP_LINEMAX (fatal) */
  IE_CMD          /* a command over IMAP_CMDMAX (fatal) */
};

struct imapcmd {
  int state;
  int err;
  size_t linelen;             /* bytes of the current line so far */
  size_t total;               /* bytes of the command so far */
  uint64_t litlen;            /* the literal being announced / announced */
  int litsync;                /* it was {n} (not {n+}) */
  size_t litdigits;
  uint64_t litleft;
  int depth;
  char tag[IMAP_TAGMAX + 1];
  size_t taglen;
  char name[IMAP_NAMEMAX + 1];  /* as sent; compare case-insensitively */
  size_t namelen;
  sb data;
  struct imap_token tok[IMAP_TOKMAX];
  size_t ntok;
};

void imapcmd_init(struct imapcmd *c);
void imapcmd_free(struct imapcmd *c);   /* wipes data (it may hold a password) */
/* Feed input; *used gets how many bytes were taken. It stops right
 * after the byte that completes an event (anything but IC_MORE), so a
 * caller that feeds a stream keeps the rest for the next command. The
 * results stay valid until the next call. The same answers whatever
 * the input's division into calls. A line ends with LF; a CR is
 * allowed only right before it. Empty lines are skipped. */
int imapcmd_feed(struct imapcmd *c, const void *buf, size_t n, size_t *used);
/* After IC_DONE or IC_BAD: wipe the command's values (a password). */
void imapcmd_wipe(struct imapcmd *c);
/* After IC_LITERAL: the server refuses the literal (answers NO or BAD
 * instead of "+"), so the client sends no more of this command; the next
 * byte starts a new one. */
void imapcmd_abort(struct imapcmd *c);
const char *imapcmd_errtext(int err);
/* A token's value */
const char *imapcmd_tok(const struct imapcmd *c, size_t i, size_t *len);
/* 1 if the token is an astring (atom, quoted or literal) */
int imapcmd_isstring(const struct imapcmd *c, size_t i);

enum imap_verb { IV_UNKNOWN, IV_CAPABILITY, IV_NOOP, IV_LOGOUT, IV_STARTTLS, IV_LOGIN, IV_AUTHENTICATE, IV_ID };
enum imap_verb imapcmd_verb(const struct imapcmd *c);

/* 1 if a tag is valid: 1..IMAP_TAGMAX of ASTRING-CHAR but "+" */
int imap_tagok(const char *t, size_t n);

/* LOGIN userid password: exactly two astrings. 1 ok, 0 syntax. */
int imapcmd_login(const struct imapcmd *c, const char **user, size_t *ulen, const char **pass, size_t *plen);
/* AUTHENTICATE mech [initial-response] (RFC 4959): 1 ok, 0 syntax.
 * *ir is NULL without an initial response. */
int imapcmd_authenticate(const struct imapcmd *c, const char **mech, size_t *mlen, const char **ir, size_t *irlen);
/* ID NIL or ID (field value ...) (RFC 2971): at most 30 pairs, a field
 * a string of at most 30 bytes, a value a string of at most 1024 bytes
 * or NIL, fields not repeated. 1 ok, 0 syntax. */
int imapcmd_id(const struct imapcmd *c);

/* A SASL response line as read (LF removed): the CR before it dropped,
 * no NUL. 1 ok (n updated), 0 not. */
int imap_saslline(const char *line, size_t *n);

/* PLAIN response: base64 of [authzid]\0authcid\0password. In an initial
 * response "=" stands for an empty one (isir). On IP_OK user and pass
 * hold the login and the password; the decoded copy is wiped. */
enum { IP_OK, IP_CANCEL, IP_BASE64, IP_FORM, IP_EMPTY, IP_AUTHZID, IP_NOMEM };
int imap_plain(const char *resp, size_t n, int isir, sb *user, sb *pass);

/* Credentials the chain can carry (fd 3 is newline-separated): a login
 * of 1..IMAP_USERMAX bytes and a password of 1..IMAP_PASSMAX bytes,
 * neither holding NUL, CR or LF. 1 if so. */
int imap_credok(const char *user, size_t ulen, const char *pass, size_t plen);
/* fd 3 of the chain (facts §1a): "imap\nlogin\n<user>\n<pass>\n".
 * Appends; 1 ok, 0 unfit credentials, -1 nomem. */
int imap_fd3(sb *out, const char *user, size_t ulen, const char *pass, size_t plen);

/* The record of the network half to the root half: one mode byte ('P':
 * the chain gets fd 0/1 as they are; 'T': TLS began in this process,
 * the chain gets the relay's socketpair), one digit: the failed logins
 * of the session so far (0..IMAP_FAILMAX-1), then tag\0user\0pass\0. */
#define IMAP_RECMAX (2 + IMAP_TAGMAX + 1 + IMAP_USERMAX + 1 + IMAP_PASSMAX + 1)
int imap_recmake(sb *out, char mode, unsigned failed, const char *tag, const char *user, size_t ulen,
                 const char *pass, size_t plen);
/* 1 if well formed: a known mode and count, a valid tag, credentials
 * imap_credok takes, nothing after the third NUL. Pointers into buf. */
int imap_recparse(const char *buf, size_t n, char *mode, unsigned *failed, const char **tag, const char **user,
                  size_t *ulen, const char **pass, size_t *plen);

/* The pre-login capability list: IMAP4rev1 SASL-IR ID, STARTTLS when it
 * may be started, LOGINDISABLED instead of AUTH=PLAIN when cleartext
 * logins are refused. Replaces out. 1 ok, 0 nomem. */
int imap_capability(sb *out, int starttls, int logindisabled);

/* The state a failed login leaves in the environment for the re-run
 * (INTERNALS 12): IMAPLOGINFAILED = attempts so far (1..IMAP_FAILMAX),
 * IMAPLOGINTAG = the pending tag, IMAPLOGINTLS set = fd 0/1 is our TLS
 * relay. Returns 0 fresh start (IMAPLOGINFAILED unset), 1 a re-run (n,
 * tag set), -1 malformed. */
int imap_loginstate(const char *failed, const char *tag, unsigned *n);

/* The NO answer (without tag) for a failed login, from AUTHFAILCODE as
 * auth_imap leaves it (auth_pop's exit codes, facts §1a; RFC 5530 codes).
 * NULL or unknown: a bad login ([AUTHENTICATIONFAILED]), as a Courier
 * module that sets nothing means. */
const char *imap_failtext(const char *code);
/* 1 if that answer means "try again later" ([UNAVAILABLE]) */
int imap_failtemp(const char *code);

/* Cleartext policy (as qmail-popup's): a login may go in the clear when
 * IMAPCLEARTEXT is set (cleartext), or the client is on loopback unless
 * IMAPLOOPBACKPLAIN is "0" (loopbackplain; tests use it to play a remote
 * client). 1 if so. */
int imap_cleartextok(const char *cleartext, const char *loopbackplain, const char *remoteip);
int imap_isloopback(const char *ip);

/* s made safe for a log line: printable ASCII kept (backslash doubled),
 * other bytes \xHH; at most max input bytes ("..." after). Appends. */
int imap_logsafe(sb *out, const char *s, size_t n, size_t max);

/* Wipe and empty a buffer that held a secret. */
void imap_wipe(sb *b);

#endif
