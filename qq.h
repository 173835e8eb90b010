/* qq: the one client of qmail-queue. Every program that queues mail
 * (qmail-inject, sendmail, forward, qmail-send bounces, qmail-smtpd,
 * qmail-qmqpd, qmail-qmtpd, qmail-reply, ...) goes through it, and every
 * qmail-queue exit code maps to one reply text in qq_text(). */
#ifndef QQ_H
#define QQ_H
#include <stdint.h>
#include <sys/types.h>
#include "wr.h"

/* qmail-queue exit codes */
#define QQ_OK 0
#define QQ_ADDR_TOO_LONG 11
#define QQ_PERM_REFUSED 31
#define QQ_NOMEM 51
#define QQ_TIMEOUT 52
#define QQ_WRITE_ERR 53
#define QQ_READ_ERR 54
#define QQ_CONFIG_ERR 55
#define QQ_NET_ERR 56
#define QQ_HOMEDIR 61
#define QQ_QUEUE_FILES 62
#define QQ_QUEUE_DIR 65
#define QQ_TEMP_REFUSED 71
#define QQ_CONN_TIMEOUT 72
#define QQ_CONN_REFUSED 73
#define QQ_CONN_FAILED 74
#define QQ_INTERNAL 81
#define QQ_ENVELOPE 91
#define QQ_EXEC_FAILED 120   /* qq_close: could not run qmail-queue */
#define QQ_CRASHED 121       /* qq_close: killed by a signal */

struct qq {
  pid_t pid;
  int msgfd, envfd;
  uint64_t bytes;        /* message bytes written so far */
  struct wr msg;
  struct wr env;
  int msgok;             /* 0, or -1 if flushing the message failed */
  int pipeset;           /* SIGPIPE ignored since qq_from; oldpipe restores */
  void (*oldpipe)(int);
};

/* Start qmail-queue ($QMAILQUEUE if set and usable, else AUTO_QMAIL/bin/qmail-queue).
 * 0 ok, -1 error. */
int qq_open(struct qq *q);
void qq_put(struct qq *q, const void *p, size_t n);
void qq_puts(struct qq *q, const char *s);
/* Envelope: one qq_from, then qq_to per recipient, then qq_close.
 * qq_from ends the message (closes its pipe): qmail-queue reads the
 * envelope only after the message's EOF, so a big envelope cannot
 * deadlock against an open message pipe. */
void qq_from(struct qq *q, const char *sender);
void qq_to(struct qq *q, const char *rcpt);
/* Finish: returns the qmail-queue exit code (or QQ_EXEC_FAILED/QQ_CRASHED). */
int qq_close(struct qq *q);
/* Abort without queueing (before qq_from): both pipes are closed, so
 * qmail-queue sees no envelope and removes its own files; it is killed
 * only if it has not exited within a few seconds. */
void qq_abort(struct qq *q);
/* "Zqq write error or disk full (#4.3.0)": first char K, Z or D. */
const char *qq_text(int code);
/* The same text without the K/Z/D, for humans. */
int qq_temporary(int code);

#endif
