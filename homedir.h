/* homedir: creates a directory entry's missing home (the original's
 * AUTOHOMEDIRMAKE, facts §2a dirmaker): control/dirmaker run as
 * "dirmaker <home> <aliasempty>" (execv, no shell), else mkdir -p with
 * mode 0700. Called after the switch to the user, so the home belongs
 * to whoever will use it. For the auth_* programs; qmail-local has the
 * same steps in its makehome(). */
#ifndef HOMEDIR_H
#define HOMEDIR_H
#include "sb.h"

enum {
  HD_OK = 0,
  HD_REFUSED,     /* the dirmaker's permanent no (exit 100) */
  HD_SOFT,        /* the dirmaker failed otherwise, or could not run */
  HD_ERR          /* mkdir failed (errno), or control/dirmaker unreadable */
};

/* why (may be NULL) gets a text for the log */
int homedir_make(const char *home, const char *aliasempty, sb *why);

#endif
