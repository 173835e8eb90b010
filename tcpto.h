/* tcpto: qmail-remote's memory of hosts that timed out (queue/lock/tcpto,
 * owned by qmailr). The file holds TCPTO_SIZE / TCPTO_REC records:
 *   [0] family (0 free, 4 IPv4, 6 IPv6)  [1] recent timeouts (0..10)
 *   [2..8) zero  [8..16) time of the last timeout, 64-bit little-endian
 *   [16..32) address (IPv4 in the first 4 bytes)
 * An address with two or more timeouts, the last less than about an hour
 * ago (3840..5824 s, varied by pid as in qmail), is skipped. Timeouts
 * within 120 s of the last one count once (parallel deliveries); a
 * successful connection clears the count; a full table reuses the record
 * with the oldest (time + count * 1024). Only connect timeouts count. */
#ifndef TCPTO_H
#define TCPTO_H
#include <stddef.h>
#include <stdint.h>

#define TCPTO_SIZE 1024
#define TCPTO_REC 32
#define TCPTO_MAXERR 10

/* ---- pure, on the file's bytes ---- */
/* 1 if the address should be skipped now; *seen = it has a record. */
int tcpto_check(const unsigned char *buf, size_t len, int family, const unsigned char *a,
                uint64_t now, unsigned jitter, int *seen);
/* Note a connection outcome (err 1 = timed out, 0 = connected). Returns the
 * index of the record changed, -1 if none. */
long tcpto_update(unsigned char *buf, size_t len, int family, const unsigned char *a, int err, uint64_t now);
/* Record i: 1 and fields set if it is in use (errors > 0), else 0. */
int tcpto_record(const unsigned char *buf, size_t len, size_t i, int *family, unsigned char a[16],
                 unsigned *errors, uint64_t *when);

/* ---- the file (path: usually AUTO_QMAIL "/queue/lock/tcpto") ---- */
/* 1 skip, 0 try (also when the file cannot be read). *seen as above. */
int tcpto_skip(const char *path, int family, const unsigned char *a, int *seen);
/* Best effort: errors are ignored, as in qmail. */
void tcpto_note(const char *path, int family, const unsigned char *a, int err, int seen);

#endif
