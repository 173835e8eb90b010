/* qcmd: what the .qmail command helpers (condredirect, bouncesaying,
 * except, preline, condwrite) share: starting a program so that a failed exec is
 * told apart from the program's own exit code, and the pure policy of
 * each helper (unit-tested). Exit codes follow qmail-command(8):
 * 0 success, 99 success and skip the rest of .qmail, 100 permanent,
 * 111 temporary. */
#ifndef QCMD_H
#define QCMD_H
#include <sys/types.h>
#include "sb.h"

#define QCMD_CRASHED (-2)   /* qcmd_wait: killed by a signal */

/* Start argv[0] (searched in PATH) with fd 0 = infd (-1: inherited) and
 * SIGPIPE at its default. Returns the pid, or -1 with errno set when
 * fork or the exec itself failed. */
pid_t qcmd_spawn(char *const argv[], int infd);
/* Exit code 0..255, QCMD_CRASHED, or -1 (errno) if waiting failed. */
int qcmd_wait(pid_t pid);

/* 1 if an errno is worth retrying (resources, I/O), else 0. */
int qcmd_errtemp(int err);
/* The helper's exit code when a program cannot be started. */
int qcmd_spawnexit(int err);

/* condredirect/bouncesaying: the condition given by the program's
 * exit code: 1 true (exit 0), 0 false (any other exit), -1 temporary
 * (exit 111 or crashed). */
int qcmd_cond(int code);
/* condredirect/condwrite: run the condition program (message on the
 * inherited fd 0); returns if it said yes, exits 0 if no, 111 (or the
 * spawn failure's code) otherwise. */
void qcmd_condition(char **prog);
/* except: 0 -> 100, 100 -> 0, crashed -> 111, others unchanged. */
int qcmd_except(int code);

/* preline options: -f -r -d leave out UFLINE, RPLINE, DTLINE; -F -R -D
 * put them back; "--" ends the options. Returns the index of the
 * program in argv, or -1 on a bad option or no program. */
#define QCMD_UF 1
#define QCMD_RP 2
#define QCMD_DT 4
int qcmd_preline_opts(int argc, char *const argv[], int *flags);
/* The lines preline writes before the message, in qmail's order. A line
 * asked for but missing (NULL) makes it return 0; nomem also 0. */
int qcmd_preline_head(sb *out, int flags, const char *uf, const char *rp, const char *dt);

#endif
