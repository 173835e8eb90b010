/* dotqmail: what qmail-local reads from a .qmail file, and which file it
 * reads (dot-qmail(5)). Pure: file access is a callback. */
#ifndef DOTQMAIL_H
#define DOTQMAIL_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "sb.h"

enum dq_kind {
  DQ_BLANK,      /* empty after trailing blanks are removed */
  DQ_COMMENT,    /* # ... */
  DQ_PROGRAM,    /* |command             payload: command */
  DQ_FORWARD,    /* &address or address  payload: address */
  DQ_MBOX,       /* . or / not ending in / */
  DQ_MAILDIR,    /* . or / ending in /   */
  DQ_PLUS        /* +flag (only "+list" means anything) */
};

struct dq_line {
  enum dq_kind kind;
  const char *s;     /* payload, not NUL-terminated */
  size_t len;
};

/* Classify one line (no '\n'). Trailing spaces and tabs are dropped; a
 * NUL byte ends the line. */
void dq_classify(const char *line, size_t len, struct dq_line *out);
/* Walk the lines of a .qmail text; the last line needs no '\n'.
 * 1 = *out holds the next line, 0 = end. */
int dq_next(const char *buf, size_t len, size_t *pos, struct dq_line *out);

/* ext as used in file names: lower-cased, '.' turned into ':'. */
int dq_safeext(sb *out, const char *ext);

/* Find the .qmail file for dash/ext: .qmail<dash><safeext>, then
 * .qmail<dash><prefix>default for each prefix of safeext ending in '-',
 * longest first, down to .qmail<dash>default. try(ctx, name) returns
 * 1 found (stop), 0 absent, -1 error (stop). On a hit *defpos is the
 * offset in ext where $DEFAULT starts, or SIZE_MAX if none applies.
 * Returns 1 found, 0 none, -1 error (try's error or nomem). */
int dq_search(const char *dash, const char *ext, int (*try)(void *ctx, const char *name),
              void *ctx, size_t *defpos);

/* Envelope sender for forwards ($NEWSENDER): sender, or local-owner@host
 * when .qmail<dash><safeext>-owner exists, or the VERP form
 * local-owner-@host-@[] when -owner-default exists too; bounces ("" and
 * "#@[]") keep their sender. exists(ctx, name): 1 yes, 0 no, -1 error.
 * 0 ok, -1 error. */
int dq_newsender(sb *out, const char *sender, const char *local, const char *host,
                 const char *dash, const char *safeext,
                 int (*exists)(void *ctx, const char *name), void *ctx);

/* The lines qmail-local adds (each ends in '\n'; 1 ok, 0 nomem). */
int dq_dtline(sb *out, const char *local, const char *host);  /* Delivered-To: local@host */
int dq_rpline(sb *out, const char *sender);                   /* Return-Path: <sender> */
int dq_ufline(sb *out, const char *sender, time_t when);      /* From sender Thu Jan  1 00:00:00 1970 */

/* $EXT2..$EXT4: ext after the n-1'th dash (n = 2..4), "" if fewer. */
const char *dq_extn(const char *ext, int n);
/* $HOST2..$HOST4: host up to its (n-1)th dot from the right; when
 * there are fewer dots the last cut stays (qmail). */
int dq_hostn(sb *out, const char *host, int n);

/* Is the header line (without its '\n') exactly dtline (with '\n')? */
int dq_is_loop(const char *line, size_t len, const sb *dtline);

/* Exit code of a |program: qmail-command(8). */
enum { DQ_PROG_OK, DQ_PROG_STOP, DQ_PROG_HARD, DQ_PROG_SOFT };
int dq_prog_exit(int code);

#endif
