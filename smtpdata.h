/* smtpdata: qmail-smtpd's DATA state machine, pure. Input is the client's
 * byte stream after "354"; output is the message as queued: dot-unstuffed,
 * CRLF turned into LF. The end is ONLY "\r\n.\r\n" (the first line may be
 * ".\r\n" at once); a bare LF anywhere stops everything (qmail's answer to
 * stray newlines, which also rules out SMTP smuggling, CVE-2023-51764),
 * and so does a bare CR (a CR not followed by LF): kept as data, "\r.\r"
 * would reach a next hop that ends DATA on a bare CR (RFC 5321 2.3.8:
 * CR and LF only together as CRLF). So no queued message has a CR.
 * On the way it counts bytes against databytes, counts Received: and
 * Delivered-To: header fields (hops), enforces the line length limit and,
 * optionally, scans MIME parts for executable signatures (REJECTEXEC). */
#ifndef SMTPDATA_H
#define SMTPDATA_H
#include <stddef.h>
#include <stdint.h>
#include "sb.h"

#define SD_MAXLINE 10000     /* bytes of a line without its line end */
#define SD_MAXHOPS 100       /* Received + Delivered-To fields */

/* REJECTEXEC: the first line of every MIME part (nested multiparts and
 * message/rfc822 included) is compared with the signatures. A multipart
 * the scanner cannot follow (deeper than SD_MAXBOUNDARY, boundary longer
 * than SD_BOUNDARYLEN or cut off) counts as a hit: it could hide one. */
#define SD_SCANLINE 1024     /* bytes of a line the scanner looks at */
#define SD_MAXBOUNDARY 16    /* nesting depth of multiparts followed */
#define SD_BOUNDARYLEN 200

enum { X_HEADER, X_FIRSTLINE, X_BODY };

struct execscan {
  const char *sigs;          /* '\0'-terminated signatures ('*' = any byte) */
  size_t siglen;
  int mode;
  int found;
  int ctype;                 /* 1 while inside a Content-Type field */
  char ct[SD_SCANLINE];      /* Content-Type value of the current header */
  size_t ctlen;
  int cttrunc;               /* ct was cut at SD_SCANLINE bytes */
  unsigned depth;
  struct { char s[SD_BOUNDARYLEN + 2]; size_t len; } b[SD_MAXBOUNDARY];  /* "--boundary" */
};

void execscan_init(struct execscan *x, const char *sigs, size_t siglen);
/* One line of the message without its '\n'. */
void execscan_line(struct execscan *x, const char *line, size_t len);
/* 1 if line starts with sig ('*' matches any one byte). */
int execscan_sigmatch(const char *line, size_t len, const char *sig, size_t siglen);

/* Why a message is refused (bits). */
enum { SD_TOOBIG = 1, SD_TOOLONG = 2, SD_HOPS = 4, SD_EXEC = 8 };
/* smtpdata_feed's result */
enum { SD_MORE, SD_END, SD_BARELF, SD_BARECR };

struct smtpdata {
  int state;
  int inheader;
  int fail;                  /* SD_* bits; once set, no more output */
  uint64_t bytes;            /* message bytes (as queued) */
  uint64_t limit;            /* databytes; 0 = none */
  size_t linelen;            /* bytes of the current output line */
  unsigned hops;
  char name[16];             /* start of the current header line */
  size_t namelen;
  struct execscan *exec;     /* NULL: REJECTEXEC off */
  char line[SD_SCANLINE];    /* current line, for the scanner */
  size_t scanlen;
};

void smtpdata_init(struct smtpdata *d, uint64_t limit, struct execscan *exec);
/* Consume in[0..n): *used = bytes consumed (on SD_END up to and including
 * the final LF; on SD_BARELF the LF; on SD_BARECR the byte after the CR).
 * Output is appended to out (nothing once fail is set). Returns SD_MORE
 * (all consumed, want more), SD_END, SD_BARELF or SD_BARECR. 0 bytes of
 * output are possible; -1 nomem (out). */
int smtpdata_feed(struct smtpdata *d, const char *in, size_t n, size_t *used, sb *out);

#endif
