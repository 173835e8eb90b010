/* Queue layout (relative to AUTO_QMAIL/queue). Messages are named by the
 * inode number of their mess file. Hashed directories have conf-split
 * subdirectories 0..split-1; a message lives in subdirectory id % split.
 *
 *   pid/     qmailq 0700  qmail-queue's temporary name (pid.time.counter)
 *   mess/    qmailq 0750  hashed: message body (with qmail's Received line)
 *   intd/    qmailq 0700  hashed: envelope being written
 *   todo/    qmailq 0750  hashed: link to intd, "ready for qmail-todo"
 *   info/    qmails 0700  hashed: F<sender>\0 (+ u/p records), birth = mtime
 *   local/   qmails 0700  hashed: T<rcpt>\0 ... (T becomes D when done)
 *   remote/  qmails 0700  hashed: same for remote recipients
 *   bounce/  qmails 0700  flat:   failure reports waiting for a bounce
 *   lock/    qmailq 0750  sendmutex (qmails 0600), tcpto (qmailr 0644),
 *                         trigger (qmails 0622, named pipe)
 */
#ifndef QUEUE_H
#define QUEUE_H
#include <stdint.h>
#include "sb.h"

/* "dir/<id % split>/<id>" for hashed dirs, "dir/<id>" for flat ones. */
int qpath(sb *out, const char *dir, uint64_t id);
int qdir_hashed(const char *dir);
unsigned qsplit(void);

/* Envelope as written by qmail-queue into intd/ and todo/:
 *   u<uid>\0 p<pid>\0 F<sender>\0 T<rcpt>\0 ... \0   (then end of file)
 * qmail-queue's fd 1 input is the same without u/p: F...\0 T...\0 ... \0 */
struct envelope {
  sb sender;       /* without the F */
  sb rcpts;        /* each recipient followed by \0, without T */
  uint64_t nrcpt;
  uint64_t uid;    /* from u record, 0 if absent */
  uint64_t pid;    /* from p record, 0 if absent */
  int has_uid, has_pid;
};
void envelope_init(struct envelope *e);
void envelope_free(struct envelope *e);
/* Strict decode of a complete envelope. Returns 0 ok, -1 malformed
 * (missing F, missing final \0, bytes after the end, empty T). */
int envelope_parse(const char *buf, size_t len, struct envelope *e);
int envelope_encode(const struct envelope *e, sb *out); /* 1 ok, 0 nomem */

#endif
