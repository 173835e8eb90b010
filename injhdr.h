/* injhdr: qmail-inject's header processing (pure; see qmail-inject(8)).
 *
 * Lines of the message are fed one at a time until the header ends.
 * Address fields are qualified (rfc822.h); recipients are collected from
 * To/Cc/Bcc/Apparently-To and from Resent-To/Cc/Bcc; Bcc, Resent-Bcc,
 * Return-Path and Content-Length are removed. inj_finish() then produces
 * the missing Date, Message-ID, From and Cc (or their Resent- forms for a
 * resent message) in front of the kept fields, and the envelope sender. */
#ifndef INJHDR_H
#define INJHDR_H
#include <stddef.h>
#include <time.h>
#include "rfc822.h"
#include "sb.h"

struct inj_conf {
  const char *user;      /* From: box */
  const char *host;      /* From: host, NULL: defaulthost */
  const char *name;      /* personal name or NULL */
  const char *ruser;     /* default envelope sender box */
  const char *rhost;     /* default envelope sender host, NULL: defaulthost */
  const char *idhost;    /* host in Message-ID */
  const char *mft;       /* mailing lists for Mail-Followup-To, each '\0'-terminated; NULL none */
  size_t mftlen;
  /* QMAILINJECT letters c s f i r m */
  int namecomment, delreturnpath, delfrom, delmessid, verprecip, verpmess;
  time_t now;
  unsigned long pid;
  size_t maxfield;       /* bytes of one field, continuation lines included */
  size_t maxheader;      /* bytes of all kept fields */
};

/* Set the flags from the letters of $QMAILINJECT (unknown letters ignored). */
void inj_conf_flags(struct inj_conf *c, const char *letters);

enum {
  INJ_MORE = 0,      /* line taken, header continues */
  INJ_BLANK = 1,     /* the empty line ending the header (goes to the body) */
  INJ_BODY = 2,      /* not a header line: header ended, body is "\n" + line */
  INJ_NOMEM = -1,
  INJ_SYNTAX = -2,   /* a field could not be parsed; it is in ->bad */
  INJ_TOOBIG = -3    /* maxfield or maxheader exceeded */
};

struct inj {
  const struct inj_conf *c;
  const struct rfc822_qual *q;
  char seen[HF_NUM];
  int resent, done, havecur, have_sender;
  sb sender;        /* envelope sender */
  sb saved;         /* kept header fields */
  sb hr;            /* To, Cc, Bcc, Apparently-To recipients ('\0'-terminated) */
  sb hrr;           /* Resent-To, Resent-Cc, Resent-Bcc recipients */
  sb tocc;          /* To and Cc addresses (Mail-Followup-To) */
  sb cur;           /* field being assembled */
  sb bad;           /* field that failed to parse */
  sb tmp, addrs;
};

void inj_init(struct inj *j, const struct inj_conf *c, const struct rfc822_qual *q);
void inj_free(struct inj *j);
/* Envelope sender from -f (already qualified); Return-Path then has no say. */
int inj_set_sender(struct inj *j, const char *s);
/* One physical line including its '\n'. */
int inj_line(struct inj *j, const char *line, size_t n);
/* End of input inside the header. */
int inj_eof(struct inj *j);
/* Append the final header to out (with "Return-Path: <sender>" first if
 * returnpath). Fixes the envelope sender. INJ_MORE (0) on success. */
int inj_finish(struct inj *j, int returnpath, sb *out);
/* Header recipients (valid after inj_finish): Resent- ones if resent. */
const sb *inj_hrcpts(const struct inj *j);

#endif
