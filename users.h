/* users: qmail-users assignments. users/assign lines become users/cdb
 * records (qmail-newu), and qmail-lspawn looks a local part up in them
 * (INTERNALS 6). The logic is pure; the cdb is reached through a fetch
 * callback so tests need no file.
 *
 *   users/assign  =local:user:uid:gid:home:dash:ext:   exact
 *                 +loc:user:uid:gid:home:dash:pre:     loc and all it prefixes
 *                 .                                    end of file
 *   users/cdb     key "=" local or "+" loc (lower-cased),
 *                 value user\0uid\0gid\0home\0dash\0ext\0
 */
#ifndef USERS_H
#define USERS_H
#include <stdint.h>
#include <stddef.h>
#include "sb.h"

#define USERS_FIELD_MAX 1024      /* any one field of a record */

struct users_ent {
  sb user, home, dash, ext;
  uint64_t uid, gid;
};

void users_init(struct users_ent *e);
void users_free(struct users_ent *e);

/* Strict decode of user\0uid\0gid\0home\0dash\0ext\0 (a users/cdb value
 * and qmail-getpw's output): six fields, decimal uid/gid, an absolute
 * home, no bytes after the last \0. 0 ok, -1 malformed. */
int users_parse(const char *p, size_t n, struct users_ent *e);
/* The same record, encoded. 1 ok, 0 nomem. */
int users_encode(const struct users_ent *e, sb *out);

/* fetch(ctx, key, klen, val): 1 found (val filled), 0 missing, -1 error */
typedef int (*users_fetch_fn)(void *ctx, const char *key, size_t klen, sb *val);

enum { USERS_FOUND = 1, USERS_NONE = 0, USERS_ERR = -1, USERS_BADREC = -2 };
/* Look local up: "=" exact, else "+" for each prefix of local, longest
 * first (down to the empty prefix). For a "+" hit the rest of local (in
 * its original case) is appended to the record's ext. Keys are lower-cased. */
int users_lookup(const char *local, size_t n, users_fetch_fn fetch, void *ctx, struct users_ent *e);

/* One users/assign line without its '\n' -> cdb key and value.
 * 0 ok, -1 bad format, -2 nomem. */
int users_assign_line(const char *line, size_t n, sb *key, sb *val);

/* fetch callback over an open tinycdb (ctx is a struct cdb *) */
int users_cdb_fetch(void *ctx, const char *key, size_t klen, sb *val);

#endif
