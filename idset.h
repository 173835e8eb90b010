/* idset: set of message ids (qmail-send: which messages are already
 * scheduled, so a message announced twice is loaded once). */
#ifndef IDSET_H
#define IDSET_H
#include <stddef.h>
#include <stdint.h>

struct idset {
  uint64_t *key;
  unsigned char *used;
  size_t cap;     /* power of two or 0 */
  size_t len;
};

#define IDSET_INIT {0, 0, 0, 0}

int idset_has(const struct idset *s, uint64_t id);
int idset_add(struct idset *s, uint64_t id);     /* 1 ok (also if present), 0 nomem */
void idset_del(struct idset *s, uint64_t id);
void idset_free(struct idset *s);

#endif
