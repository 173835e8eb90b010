/* Dropping privileges: one ordered function for every program. */
#ifndef PRIV_H
#define PRIV_H
#include <sys/types.h>

/* Look up a user: 0 ok, -1 not found or error. */
int priv_user(const char *name, uid_t *uid, gid_t *gid);
int priv_group(const char *name, gid_t *gid);
/* setgroups({gid}), setgid, setuid, then verify we cannot get root back.
 * Returns 0 ok, -1 on any failure (caller must then exit). */
int priv_drop(uid_t uid, gid_t gid);

#endif
