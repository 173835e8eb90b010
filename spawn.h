/* spawn: the one driver of the spawn protocol (INTERNALS 5), shared by
 * qmail-lspawn and qmail-rspawn. The driver reads requests, opens the
 * message, runs each delivery as a child with the message on fd 0 and a
 * pipe on fds 1 and 2, collects at most SPAWN_OUT_MAX bytes of output,
 * and answers  <slot><K|Z|D><text>\0  when the child has exited. It never
 * blocks on one delivery; the per-program parts are callbacks.
 *
 * qmail-remote's output contract (read by spawn_report_remote):
 *   <K|Z|D><text>\0   for the recipient (omitted when no recipient was tried)
 *   <K|Z|D><text>\0   for the whole delivery
 * The result is the recipient's status unless that is K, then the overall
 * status; the text is the recipient text followed by the overall text
 * when the overall status is no better than the recipient's. */
#ifndef SPAWN_H
#define SPAWN_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "sb.h"

#define SPAWN_TEXT_MAX 1000    /* reply text bytes after K/Z/D */
#define SPAWN_OUT_MAX 2048     /* agent output kept per delivery */
#define SPAWN_FIELD_MAX 4096   /* sender or recipient in a request */
#define SPAWN_ID_MAX 20        /* digits of a message id */
#define SPAWN_RELOAD 0xFF      /* one-byte request: reread control files */

struct spawn_req {
  unsigned slot;
  uint64_t id;
  const char *sender;
  const char *rcpt;
  size_t at;                   /* offset of the last '@' in rcpt */
};

struct spawn_agent {
  /* SPAWN_RELOAD request; may be NULL */
  void (*reload)(void);
  /* Parent side: start one delivery. Either fork (spawn_fork) and return
   * the child's pid, or return 0 with a complete report ("K...", "Z...",
   * "D...") in *report. Must not close fdmess or fdout. */
  pid_t (*start)(const struct spawn_req *r, int fdmess, int fdout, sb *report);
  /* The child's wait status and output -> report ("K...", "Z...", "D...") */
  void (*report)(int wstatus, const char *out, size_t len, sb *report);
};

/* fork() whose child has fd 0 = fdmess, fds 1 and 2 = fdout and default
 * SIGCHLD/SIGPIPE handling. */
pid_t spawn_fork(int fdmess, int fdout);
/* vfork + execve of path as uid:gid (setgroups to gid only) with the
 * same fds and signals as spawn_fork; argv and envp are built by the
 * caller beforehand. execfail is the exit code if execve fails. */
pid_t spawn_exec(int fdmess, int fdout, const char *path, char *const argv[], char *const envp[],
                 uid_t uid, gid_t gid, int execfail);
/* In any child of the agent: default SIGCHLD, nothing blocked. */
void spawn_child_signals(void);

/* chdir to AUTO_QMAIL/queue, serve fd 0 -> fd 1 until EOF and every
 * delivery has been reported. Returns the exit code for main. */
int spawn_main(const struct spawn_agent *a);

/* ---- pure parts, for the driver and tests ---- */

/* Incremental request parser: bytes may arrive split anywhere. */
struct spawn_parser {
  int stage;                   /* 0 slot, 1 id, 2 sender, 3 recipient */
  unsigned slot;
  int bad;                     /* 1 field too long, 2 out of memory */
  sb id, sender, rcpt;
};
enum { SPAWN_NEED = 0, SPAWN_REQ = 1, SPAWN_HUP = 2 };
void spawn_parser_init(struct spawn_parser *p);
void spawn_parser_free(struct spawn_parser *p);
/* Consume buf[*pos..n) up to one event: SPAWN_REQ (fields in p, valid
 * until the next call), SPAWN_HUP, or SPAWN_NEED when buf is used up. */
int spawn_parse(struct spawn_parser *p, const char *buf, size_t n, size_t *pos);
/* Check a parsed request against the protocol; NULL if fine, else the
 * report to send. Fills r (pointing into p). */
const char *spawn_check(const struct spawn_parser *p, unsigned nslots, struct spawn_req *r);

/* The reply bytes: slot, status, text made printable ('\n' kept,
 * other controls -> '_', 8-bit -> '?', cut at a NUL and at
 * SPAWN_TEXT_MAX), '\0'. A report not starting with K, Z or D counts as Z. */
int spawn_reply(sb *out, unsigned slot, const char *report, size_t len);

/* Reports of qmail-lspawn and qmail-rspawn (see qlx.h and above). */
void spawn_report_local(int wstatus, const char *out, size_t len, sb *report);
void spawn_report_remote(int wstatus, const char *out, size_t len, sb *report);

#endif
