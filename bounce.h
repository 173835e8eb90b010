/* bounce: qmail's QSBMF bounce messages (pure; qmail-send does the I/O).
 *
 * bounce/<id> holds one block per failed recipient (INTERNALS 7):
 *   <rcpt>:\n<report lines>\n\n
 * The report is the spawner's text with its newlines (a '/' in it is
 * just a '/': URLs, paths). Blank lines inside a report are written as
 * "/" so blocks stay single paragraphs.
 *
 * The bounce message is: headers, the "Hi. This is the qmail-send program"
 * paragraph, custombouncetext, the blocks, "--- Below this line is a copy
 * of the message." and the message (at most bouncemaxbytes bytes of it)
 * with a Return-Path line. */
#ifndef BOUNCE_H
#define BOUNCE_H
#include <stddef.h>
#include <time.h>
#include "sb.h"

/* What to do with a finished message's bounce, given the envelope sender
 * after rewrite_bounce_to(). */
enum bounce_kind {
  BOUNCE_SENDER,          /* bounce to the sender, envelope sender "" */
  BOUNCE_DOUBLE,          /* sender "": to doublebounceto, envelope sender "#@[]" */
  BOUNCE_TRIPLE,          /* sender "#@[]": discard */
  BOUNCE_DISCARD          /* double bounce but doublebounceto is empty: discard */
};
enum bounce_kind bounce_kind(const char *sender, const char *doublebounceto);

#define BOUNCE_LIFETIME "I'm not going to try again; this message has been in the queue too long."

/* Append the block for one failed recipient. 1 ok, 0 nomem. */
int bounce_block(sb *out, const char *rcpt, const char *report, size_t n);
/* Turn a temporary report into the final one of a message past
 * queuelifetime (appends the lifetime sentence as a new line). */
int bounce_lifetime(sb *report);

/* custombouncetext as used: lines without trailing blanks, blank and '#'
 * lines dropped, each line ending in \n (so no blank lines). */
int bounce_custom(sb *out, const char *raw, size_t n);

/* RFC 5322 quoting of an address's local part when it needs it. */
int bounce_quote(sb *out, const char *addr);

struct bounce_msg {
  const char *bouncefrom;   /* From: local part */
  const char *bouncehost;   /* From: domain, and "program at <bouncehost>" */
  const char *to;           /* To: (the bounce recipient) */
  const char *sender;       /* envelope sender of the failed message (Return-Path) */
  int dbl;                  /* 1: the failed message was itself a bounce */
  const sb *custom;         /* bounce_custom() output, may be NULL or empty */
};
/* Headers and introduction, up to where the blocks go. */
int bounce_head(sb *out, const struct bounce_msg *b, time_t now);
/* Separator and Return-Path, between the blocks and the message copy. */
int bounce_tail(sb *out, const struct bounce_msg *b);
#define BOUNCE_STRIPPED "\n\n--- End of message stripped.\n"

#endif
