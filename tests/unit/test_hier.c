/* The install table: consistent with itself, with queue.h and with the
 * Makefile's PROGS + SCRIPTS (run from the top of the tree). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "auto.h"
#include "hier.h"
#include "io.h"

const char *progname = "test_hier";

#define MAXITEMS 2000
static struct hier_item items[MAXITEMS];
static size_t nitems;

static int collect(const struct hier_item *it, void *arg)
{
  (void)arg;
  if (nitems == MAXITEMS) return 1;
  items[nitems++] = *it;
  return 0;
}

static const struct hier_item *find(const char *path)
{
  for (size_t i = 0; i < nitems; ++i)
    if (!strcmp(items[i].path, path)) return &items[i];
  return NULL;
}

static int setup(void **st)
{
  (void)st;
  nitems = 0;
  return hier_walk(collect, NULL);
}

static void t_consistent(void **st)
{
  (void)st;
  assert_true(nitems > 100);
  assert_string_equal(items[0].path, "");        /* conf-qmail itself first */
  for (size_t i = 0; i < nitems; ++i) {
    const struct hier_item *it = &items[i];
    for (size_t k = i + 1; k < nitems; ++k)
      if (!strcmp(it->path, items[k].path)) fail_msg("%s listed twice", it->path);
    if (!it->user || !*it->user) fail_msg("%s: no owner", it->path);
    if (it->mode & ~07777) fail_msg("%s: bad mode", it->path);
    if ((it->mode & 0002) && it->kind != H_FIFO) fail_msg("%s: world-writable", it->path);
    /* setuid: qmail-queue (to qmailq) and qmail-verify (root, for its quota reader only) */
    if ((it->mode & 04000) && strcmp(it->path, "bin/qmail-queue") && strcmp(it->path, "bin/qmail-verify"))
      fail_msg("%s: setuid", it->path);
    if (it->kind == H_FILE && !*it->src) fail_msg("%s: no source", it->path);
    if (i == 0) continue;
    /* the parent directory comes earlier in the walk */
    char parent[256];
    snprintf(parent, sizeof parent, "%s", it->path);
    char *slash = strrchr(parent, '/');
    if (slash) *slash = 0; else parent[0] = 0;
    const struct hier_item *p = find(parent);
    if (!p || p->kind != H_DIR || p > it) fail_msg("%s: parent %s not created before", it->path, parent);
  }
}

static void t_queue(void **st)
{
  static const struct { const char *dir; const char *user; mode_t mode; int split; } q[] = {
    {"queue", AUTO_USERQ, 0750, 0}, {"queue/pid", AUTO_USERQ, 0700, 0},
    {"queue/mess", AUTO_USERQ, 0750, 1}, {"queue/intd", AUTO_USERQ, 0700, 1},
    {"queue/todo", AUTO_USERQ, 0750, 1}, {"queue/info", AUTO_USERS, 0700, 1},
    {"queue/local", AUTO_USERS, 0700, 1}, {"queue/remote", AUTO_USERS, 0700, 1},
    {"queue/bounce", AUTO_USERS, 0700, 0}, {"queue/lock", AUTO_USERQ, 0750, 0},
  };
  char sub[64];
  (void)st;
  for (size_t i = 0; i < sizeof q / sizeof q[0]; ++i) {
    const struct hier_item *it = find(q[i].dir);
    if (!it) fail_msg("%s missing", q[i].dir);
    assert_int_equal(it->kind, H_DIR);
    if (strcmp(it->user, q[i].user) || it->mode != q[i].mode) fail_msg("%s: owner/mode", q[i].dir);
    for (unsigned k = 0; k <= AUTO_SPLIT; ++k) {
      snprintf(sub, sizeof sub, "%s/%u", q[i].dir, k);
      const struct hier_item *s = find(sub);
      int want = q[i].split && k < AUTO_SPLIT;
      if (!!s != want) fail_msg("%s: %s", sub, want ? "missing" : "unexpected");
      if (s && (strcmp(s->user, q[i].user) || s->mode != q[i].mode)) fail_msg("%s: owner/mode", sub);
    }
  }
  const struct hier_item *t = find("queue/lock/trigger");
  assert_non_null(t);
  assert_int_equal(t->kind, H_FIFO);
  assert_int_equal(t->mode, 0622);
  assert_string_equal(t->user, AUTO_USERS);
  t = find("queue/lock/tcpto");
  assert_non_null(t);
  assert_int_equal(t->size, 1024);
  assert_string_equal(t->user, AUTO_USERR);
  t = find("queue/lock/sendmutex");
  assert_non_null(t);
  assert_int_equal(t->mode, 0600);
  t = find("bin/qmail-queue");
  assert_non_null(t);
  assert_int_equal(t->mode, 04711);
  assert_string_equal(t->user, AUTO_USERQ);
  t = find("alias");
  assert_non_null(t);
  assert_string_equal(t->user, AUTO_USERA);
  assert_non_null(find("alias/.qmail-postmaster"));
  assert_int_equal(find("alias/.qmail-postmaster")->kind, H_EMPTY);
}

/* Words of a make variable, following backslash continuations. */
static size_t mkvar(const char *mk, const char *var, char words[][64], size_t max)
{
  size_t n = 0, vl = strlen(var);
  const char *p = mk;
  while ((p = strstr(p, var))) {
    if ((p == mk || p[-1] == '\n') && (p[vl] == ' ' || p[vl] == '=' || p[vl] == '\t')) break;
    p += vl;
  }
  if (!p) return 0;
  p = strchr(p, '=') + 1;
  for (;;) {
    while (*p == ' ' || *p == '\t') ++p;
    if (*p == '\\' && p[1] == '\n') { p += 2; continue; }
    if (*p == '\n' || !*p) break;
    size_t l = strcspn(p, " \t\n\\");
    if (n < max && l < 64) { memcpy(words[n], p, l); words[n][l] = 0; ++n; }
    p += l;
  }
  return n;
}

static void t_makefile(void **st)
{
  static char words[400][64];
  sb mk = SB_INIT;
  char path[128];
  size_t n;
  (void)st;
  if (io_readfile("Makefile", &mk, 1 << 20) < 0) fail_msg("run me from the top of the tree: no Makefile");
  n = mkvar(mk.s, "PROGS", words, 300);
  assert_true(n > 10);
  n += mkvar(mk.s, "SCRIPTS", words + n, 100);
  for (size_t i = 0; i < n; ++i) {
    if (hier_notinstalled(words[i])) continue;
    snprintf(path, sizeof path, "bin/%s", words[i]);
    int found = 0;
    for (unsigned k = 0; k < hier_count; ++k)
      if (!strcmp(hier_table[k].path, path)) found = 1;
    if (!found) fail_msg("%s is in the Makefile but not in hier.c", words[i]);
  }
  for (unsigned k = 0; k < hier_count; ++k) {
    if (strncmp(hier_table[k].path, "bin/", 4)) continue;
    int found = 0;
    for (size_t i = 0; i < n; ++i)
      if (!strcmp(hier_table[k].path + 4, words[i])) found = 1;
    if (!found) fail_msg("%s is in hier.c but not in the Makefile's PROGS or SCRIPTS", hier_table[k].path);
  }
  sb_free(&mk);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup(t_consistent, setup), cmocka_unit_test_setup(t_queue, setup),
    cmocka_unit_test(t_makefile),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
