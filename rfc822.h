/* rfc822: header field names, address-list tokenizing and the address
 * qualification rules of qmail-inject (pure: no I/O, no environment).
 *
 * Qualification (qmail-header(5)): source routes are stripped, a trailing
 * '.' or '@' is dropped, a box without host gets "@defaulthost", a host
 * ending in '+' gets plusdomain instead of the '+', a host without a dot
 * (and not a [literal]) gets ".defaultdomain". <> and <x@[]> stay as they
 * are. Adjacent words without '.'/'@' between them are separate addresses
 * ("djb fred" -> "djb, fred"). */
#ifndef RFC822_H
#define RFC822_H
#include <stddef.h>
#include "sb.h"

enum { RFC_OK = 1, RFC_SYNTAX = 0, RFC_NOMEM = -1 };

/* Header fields that qmail-inject treats specially. */
enum rfc822_hf {
  HF_OTHER = 0, HF_SENDER, HF_FROM, HF_REPLYTO, HF_TO, HF_CC, HF_BCC, HF_DATE,
  HF_MESSAGEID, HF_SUBJECT, HF_R_SENDER, HF_R_FROM, HF_R_REPLYTO, HF_R_TO,
  HF_R_CC, HF_R_BCC, HF_R_DATE, HF_R_MESSAGEID, HF_RETURNRECEIPTTO,
  HF_ERRORSTO, HF_APPARENTLYTO, HF_RECEIVED, HF_RETURNPATH, HF_DELIVEREDTO,
  HF_CONTENTLENGTH, HF_CONTENTTYPE, HF_CTE, HF_NOTICE, HF_MAILFOLLOWUPTO,
  HF_NUM
};

/* Which known field starts the line s[0..n) (name, optional blanks, ':'),
 * case-insensitively; HF_OTHER if none. */
int rfc822_hf_known(const char *s, size_t n);
/* Does s[0..n) start a header field: a non-empty name of printable
 * non-blank ASCII, optional blanks, then ':'? */
int rfc822_hf_valid(const char *s, size_t n);
/* Length of the field name (without trailing blanks) and offset of the
 * byte after the ':' (0 if there is no colon). */
size_t rfc822_hf_namelen(const char *s, size_t n);
size_t rfc822_hf_bodyoff(const char *s, size_t n);

/* Tokens. Text lives in the list's arena: decoded for quoted strings and
 * literals, raw (without the outer parentheses) for comments. */
enum { TK_ATOM, TK_QUOTE, TK_LITERAL, TK_COMMENT, TK_SPECIAL };
struct rfc_tok { int type; char c; char sp; size_t off, len; };  /* sp: blank before it */
struct rfc_toks { struct rfc_tok *t; size_t n, cap; sb text; };

void rfc_toks_init(struct rfc_toks *l);
void rfc_toks_free(struct rfc_toks *l);
/* RFC_OK, RFC_SYNTAX (unterminated quote/comment/literal, stray ')' or
 * ']', NUL byte) or RFC_NOMEM. The list is reset first. */
int rfc822_tokenize(struct rfc_toks *l, const char *s, size_t n);

/* The names used to qualify addresses. */
struct rfc822_qual {
  struct rfc_toks host;     /* "@defaulthost" */
  struct rfc_toks domain;   /* ".defaultdomain" */
  struct rfc_toks plus;     /* ".plusdomain" */
};
void rfc822_qual_init(struct rfc822_qual *q);
/* RFC_SYNTAX if one of the names does not tokenize. */
int rfc822_qual_set(struct rfc822_qual *q, const char *defaulthost,
                    const char *defaultdomain, const char *plusdomain);
void rfc822_qual_free(struct rfc822_qual *q);

/* Rewrite the body of an address-list field (the text after the colon).
 * out gets the new body, folded before column 79 assuming it starts at
 * column col (no leading blank, no final newline); addrs gets each address
 * in envelope form, '\0'-terminated, in order ("" for <>). Both are
 * appended to. Returns RFC_OK, RFC_SYNTAX or RFC_NOMEM. */
int rfc822_addrlist(const struct rfc822_qual *q, const char *s, size_t n,
                    size_t col, sb *out, sb *addrs);

/* Rewrite one address given as text (e.g. "\"a b\"@host"); the envelope
 * form is appended to out. A list or comment-only text is RFC_SYNTAX. */
int rfc822_addr_text(const struct rfc822_qual *q, const char *s, size_t n, sb *out);
/* Same for a command-line address: the box part is quoted first if it
 * needs quoting (quote_addr), so "john doe@x" is one address. */
int rfc822_addr_arg(const struct rfc822_qual *q, const char *arg, sb *out);

/* Append "s" as a quoted string ('"' and '\\' escaped). */
int rfc822_quote(sb *out, const char *s, size_t n);

#endif
