/* rewrite: qmail-send's address rules (pure).
 * rewrite_rcpt turns an envelope recipient into the address handed to a
 * spawner and says which spawner: envnoathost for addresses without @,
 * percenthack (u%d@relay -> u@d for listed relays), locals (delivered
 * locally as is), virtualdomains (user@dom, dom, .suffix or the empty
 * catch-all key mapping to prefix: delivered locally as prefix-address;
 * an empty prefix means "not virtual"), everything else remote.
 * Lists are ctl_list() output: entries each followed by \0, matched
 * case-insensitively. */
#ifndef REWRITE_H
#define REWRITE_H
#include <stddef.h>
#include "sb.h"

enum { REWRITE_NOMEM = 0, REWRITE_LOCAL = 1, REWRITE_REMOTE = 2, REWRITE_TEMP = -1 };

struct rewrite {
  const sb *locals;        /* used when islocal is NULL */
  /* locals.cdb hook: 1 local, 0 not, -1 temporary failure */
  int (*islocal)(void *ctx, const char *dom, size_t len);
  void *ctx;
  const sb *vdoms;         /* key:prefix entries */
  const sb *percenthack;
  const char *envnoathost;
};

/* REWRITE_LOCAL / REWRITE_REMOTE with the address in out (replaced),
 * REWRITE_NOMEM, or REWRITE_TEMP if islocal failed. */
int rewrite_rcpt(const struct rewrite *rw, const char *rcpt, sb *out);
/* The recipient as the user wrote it: drops a virtualdomains prefix
 * ("prefix-user@dom" -> "user@dom") for bounce reports. */
const char *rewrite_strip_vdom(const sb *vdoms, const char *rcpt);
/* Sender handed to the spawner: VERP "owner-@host-@[]" becomes
 * "owner-box=dom@host" for recipient box@dom; others unchanged. 1 ok, 0 nomem. */
int rewrite_verp(const char *sender, const char *rcpt, sb *out);
/* Where a bounce goes: "owner-@host-@[]" -> "owner-@host"; others unchanged. */
int rewrite_bounce_to(const char *sender, sb *out);
/* Case-insensitive exact lookup in a \0-separated list. */
int rewrite_inlist(const sb *list, const char *s, size_t n);
/* Value of key in a key:value list, or NULL. */
const char *rewrite_map(const sb *map, const char *key, size_t n);

/* Split a list of recipients (each followed by \0) into the contents of
 * local/ (out[0]) and remote/ (out[1]): T<address>\0 records. Returns
 * REWRITE_LOCAL (1) on success, REWRITE_NOMEM or REWRITE_TEMP. */
int rewrite_split(const struct rewrite *rw, const char *rcpts, size_t len, sb out[2]);

#endif
