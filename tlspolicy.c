#include "tlspolicy.h"
#include "smtproutes.h"
#include <string.h>
#include <strings.h>

static const char *const names[] = {"none", "may", "encrypt", "verify"};

int tlspolicy_word(const char *p, size_t n)
{
  while (n && (*p == ' ' || *p == '\t')) { ++p; --n; }
  while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) --n;
  for (int i = 0; i < 4; ++i)
    if (strlen(names[i]) == n && !strncasecmp(p, names[i], n)) return i;
  return TLSP_BAD;
}

const char *tlspolicy_name(int policy)
{
  return policy >= TLSP_NONE && policy <= TLSP_VERIFY ? names[policy] : "bad";
}

/* The first entry whose key is key[0..klen): its policy, or -2 if none. */
static int find(const char *list, size_t len, const char *key, size_t klen)
{
  for (size_t i = 0; i < len;) {
    const char *line = list + i;
    size_t n = strnlen(line, len - i), k;
    i += n + 1;
    if (!routes_keylen(line, n, &k) || k != klen || strncasecmp(line, key, klen)) continue;
    return tlspolicy_word(line + k + 1, n - k - 1);
  }
  return -2;
}

int tlspolicy_lookup(const char *list, size_t len, const char *domain, size_t dlen)
{
  size_t pos = 0, off;
  if (!list) return TLSP_MAY;
  while (routes_nextkey(domain, dlen, &pos, &off)) {
    int p = find(list, len, domain + off, dlen - off);
    if (p != -2) return p;
  }
  return TLSP_MAY;
}
