/* The documentation keeps up with the code (run from the top of the
 * tree): every installed program has a man page and every man page is
 * installed; QLDAPINSTALL names every control file of ctl.c, every
 * program, every schema attribute and object class, every environment
 * variable qmail-lspawn hands on and every one a program reads with
 * getenv; qmail-control(5) lists every control file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctl.h"
#include "hier.h"
#include "io.h"

const char *progname = "test_docs";

static sb guide, ctlman;

static void readtop(const char *name, sb *b)
{
  b->len = 0;
  if (io_readfile(name, b, 1 << 22) < 0) fail_msg("run me from the top of the tree: no %s", name);
  if (!sb_cat0(b)) fail_msg("nomem");
}

static int group_setup(void **st)
{
  (void)st;
  readtop("QLDAPINSTALL", &guide);
  readtop("qmail-control.5", &ctlman);
  return 0;
}

static int wordch(char c) { return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.' || c == '/'; }

/* word occurs in text with no word character right before or after it
 * (a trailing '.' ends a sentence, so it does not count after) */
static int hasword(const char *text, const char *word)
{
  size_t n = strlen(word);
  for (const char *p = text; (p = strstr(p, word)); ++p) {
    char after = p[n];
    if (p > text && wordch(p[-1])) continue;
    if (after == '.' && !wordch(p[n + 1])) return 1;
    if (!wordch(after)) return 1;
  }
  return 0;
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

static char progs[400][64];
static size_t nprogs;

static void readprogs(void)
{
  sb mk = SB_INIT;
  readtop("Makefile", &mk);
  nprogs = mkvar(mk.s, "PROGS", progs, 300);
  assert_true(nprogs > 10);
  nprogs += mkvar(mk.s, "SCRIPTS", progs + nprogs, 100);
  sb_free(&mk);
}

static int exists(const char *path)
{
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  fclose(f);
  return 1;
}

/* a section hier.c installs (its MAN globs) */
static int installed_section(char sec)
{
  char suffix[3] = {'.', sec, 0};
  for (unsigned k = 0; k < hier_count; ++k)
    if ((hier_table[k].flags & HIER_GLOB) && !strcmp(hier_table[k].src, suffix)) return 1;
  return 0;
}

static void t_manpages(void **st)
{
  char path[128];
  DIR *d;
  struct dirent *de;
  (void)st;
  readprogs();
  for (size_t i = 0; i < nprogs; ++i) {
    int found = 0;
    for (const char *s = "18"; *s; ++s) {
      snprintf(path, sizeof path, "%.63s.%c", progs[i], *s);
      if (exists(path)) found = 1;
    }
    if (!found) fail_msg("%s has no man page (%s.1 or %s.8)", progs[i], progs[i], progs[i]);
  }
  assert_non_null(d = opendir("."));
  while ((de = readdir(d))) {
    size_t l = strlen(de->d_name);
    if (l < 3 || de->d_name[l - 2] != '.' || !isdigit((unsigned char)de->d_name[l - 1])) continue;
    if (!installed_section(de->d_name[l - 1])) fail_msg("man page %s: hier.c installs no section %c", de->d_name, de->d_name[l - 1]);
  }
  closedir(d);
}

static void t_controlfiles(void **st)
{
  char line[128];
  (void)st;
  for (unsigned i = 0; i < ctl_count; ++i) {
    const char *n = ctl_table[i].name;
    if (!hasword(guide.s, n)) fail_msg("control/%s is not in QLDAPINSTALL", n);
    snprintf(line, sizeof line, "\n.B %s\n", n);
    if (ctl_table[i].type != CTL_OBSOLETE && !strstr(ctlman.s, line))
      fail_msg("control/%s is not in qmail-control.5", n);
  }
}

static void t_programs(void **st)
{
  (void)st;
  readprogs();
  for (size_t i = 0; i < nprogs; ++i)
    if (!hasword(guide.s, progs[i])) fail_msg("program %s is not in QLDAPINSTALL", progs[i]);
}

/* every NAME 'x' of qmail.schema */
static void t_schema(void **st)
{
  sb sc = SB_INIT;
  unsigned names = 0;
  (void)st;
  readtop("qmail.schema", &sc);
  for (const char *p = sc.s; (p = strstr(p, "NAME '")); ) {
    char name[64];
    size_t l;
    p += 6;
    l = strcspn(p, "'");
    if (l == 0 || l >= sizeof name) fail_msg("odd NAME in qmail.schema");
    memcpy(name, p, l);
    name[l] = 0;
    ++names;
    if (!hasword(guide.s, name)) fail_msg("schema name %s is not in QLDAPINSTALL", name);
  }
  assert_true(names > 30);
  sb_free(&sc);
}

/* qmail-lspawn's environment (ENV_* of qmail-ldap.h) and every literal
 * getenv("NAME") of the programs */
static void t_environment(void **st)
{
  sb src = SB_INIT;
  DIR *d;
  struct dirent *de;
  unsigned seen = 0;
  (void)st;
  readtop("qmail-ldap.h", &src);
  for (const char *p = src.s; (p = strstr(p, "#define ENV_")); ) {
    char name[64];
    const char *q = strchr(p, '"');
    size_t l;
    if (!q) break;
    l = strcspn(q + 1, "\"");
    if (l >= sizeof name) fail_msg("odd ENV_ define");
    memcpy(name, q + 1, l);
    name[l] = 0;
    if (!hasword(guide.s, name)) fail_msg("environment variable %s (qmail-ldap.h) is not in QLDAPINSTALL", name);
    ++seen;
    p = q;
  }
  assert_true(seen >= 7);
  assert_non_null(d = opendir("."));
  while ((de = readdir(d))) {
    size_t l = strlen(de->d_name);
    if (l < 3 || strcmp(de->d_name + l - 2, ".c")) continue;
    readtop(de->d_name, &src);
    for (const char *p = src.s; (p = strstr(p, "getenv(\"")); ) {
      char name[64];
      p += 8;
      l = strcspn(p, "\"");
      if (!l || l >= sizeof name) continue;
      memcpy(name, p, l);
      name[l] = 0;
      if (!hasword(guide.s, name))
        fail_msg("getenv(\"%s\") in %s: the variable is not in QLDAPINSTALL", name, de->d_name);
    }
  }
  closedir(d);
  sb_free(&src);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_manpages), cmocka_unit_test(t_controlfiles), cmocka_unit_test(t_programs),
    cmocka_unit_test(t_schema), cmocka_unit_test(t_environment),
  };
  return cmocka_run_group_tests(tests, group_setup, NULL);
}
