#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "io.h"
#include "maildir.h"

const char *progname = "test_maildir";

static void t_names(void **st)
{
  sb b = SB_INIT;
  assert_true(maildir_uniq(&b, 1700000000, 12345, 42, 7, "mx.example.com"));
  assert_string_equal(b.s, "1700000000.M12345P42Q7.mx.example.com");
  b.len = 0;
  assert_true(maildir_host(&b, "a/b:c"));
  assert_string_equal(b.s, "a\\057b\\072c");
  b.len = 0;
  assert_true(maildir_finalname(&b, "123.M1P2Q3.h", 4567));
  assert_string_equal(b.s, "123.M1P2Q3.h,S=4567");
  sb_free(&b);
}

static char root[64];

static int setup(void **st)
{
  strcpy(root, "/tmp/test_maildir_XXXXXX");
  return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **st)
{
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", root);
  return system(cmd);
}

/* the only file in dir, 1 if exactly one */
static int onlyfile(const char *dir, char *name, size_t n)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  int count = 0;
  if (!d) return -1;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') { ++count; snprintf(name, n, "%s", e->d_name); }
  closedir(d);
  return count;
}

static void t_make_deliver(void **st)
{
  char md[128], sub[160], name[256], path[512];
  sb final = SB_INIT, got = SB_INIT;
  int fd;
  snprintf(md, sizeof md, "%s/Maildir", root);
  assert_int_equal(maildir_make(md, 0700), 0);
  assert_int_equal(maildir_make(md, 0700), -1);          /* exists */
  snprintf(path, sizeof path, "%s/msg", root);
  fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  assert_true(fd >= 0);
  assert_int_equal(io_writeall(fd, "Subject: x\n\nbody\n", 17), 0);
  lseek(fd, 5, SEEK_SET);                                 /* maildir_deliver rewinds */
  strcat(md, "/");
  assert_int_equal(maildir_deliver(md, "Return-Path: <>\n", 16, fd, &final), MD_OK);
  snprintf(sub, sizeof sub, "%s/Maildir/new", root);
  assert_int_equal(onlyfile(sub, name, sizeof name), 1);
  assert_non_null(strstr(name, ",S=33"));
  assert_non_null(strstr(final.s, name));
  assert_int_equal(io_readfile(final.s, &got, 1000), 0);
  assert_int_equal(got.len, 33);
  assert_memory_equal(got.s, "Return-Path: <>\nSubject: x\n\nbody\n", 33);
  snprintf(sub, sizeof sub, "%s/Maildir/tmp", root);
  assert_int_equal(onlyfile(sub, name, sizeof name), 0);  /* tmp name removed */
  /* a second delivery gets another name */
  assert_int_equal(maildir_deliver(md, NULL, 0, fd, NULL), MD_OK);
  snprintf(sub, sizeof sub, "%s/Maildir/new", root);
  assert_int_equal(onlyfile(sub, name, sizeof name), 2);
  close(fd);
  sb_free(&final); sb_free(&got);
}

static void t_errors(void **st)
{
  char md[128];
  struct maildir_file f;
  int fd = open("/dev/null", O_RDONLY);
  snprintf(md, sizeof md, "%s/none/", root);
  assert_int_equal(maildir_deliver(md, NULL, 0, fd, NULL), MD_ERR_DIR);
  /* tmp/ but no new/: the link fails, nothing is left in tmp/ */
  snprintf(md, sizeof md, "%s/half", root);
  assert_int_equal(mkdir(md, 0700), 0);
  strcat(md, "/tmp");
  assert_int_equal(mkdir(md, 0700), 0);
  md[strlen(md) - 3] = 0;
  assert_int_equal(maildir_deliver(md, "x", 1, fd, NULL), MD_ERR_DIR);
  char name[256];
  char tmpd[160];
  snprintf(tmpd, sizeof tmpd, "%s/half/tmp", root);
  assert_int_equal(onlyfile(tmpd, name, sizeof name), 0);
  /* abort removes the tmp file */
  maildir_init(&f);
  assert_int_equal(maildir_open(&f, md, "tag"), MD_OK);
  assert_non_null(strstr(f.uniq.s, ".tag"));
  assert_int_equal(onlyfile(tmpd, name, sizeof name), 1);
  maildir_abort(&f);
  maildir_abort(&f);
  assert_int_equal(onlyfile(tmpd, name, sizeof name), 0);
  maildir_free(&f);
  /* unreadable message: a directory fd cannot be read */
  int dfd = open(root, O_RDONLY | O_DIRECTORY);
  char good[128];
  snprintf(good, sizeof good, "%s/Maildir2", root);
  assert_int_equal(maildir_make(good, 0700), 0);
  assert_int_equal(maildir_deliver(good, NULL, 0, dfd, NULL), MD_ERR_READ);
  close(dfd);
  close(fd);
}

/* tmp/ leftovers: old files go, fresh ones, directories and dot files stay */
static void t_cleantmp(void **st)
{
  (void)st;
  char dir[] = "/tmp/test_maildir.XXXXXX";
  assert_non_null(mkdtemp(dir));
  sb md = SB_INIT, p = SB_INIT;
  assert_true(sb_copys(&md, dir) && sb_cats(&md, "/Maildir"));
  assert_int_equal(maildir_make(md.s, 0700), 0);
  const char *names[] = {"old", "fresh", "oldatime-newmtime", ".dot"};
  int64_t now = 2000000000;
  for (int i = 0; i < 4; ++i) {
    p.len = 0;
    assert_true(sb_copyb(&p, md.s, md.len) && sb_cats(&p, "/tmp/") && sb_cats(&p, names[i]));
    int fd = open(p.s, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    close(fd);
    struct timespec ts[2] = {{now - MD_TMPAGE - 10, 0}, {now - MD_TMPAGE - 10, 0}};
    if (i == 1) ts[0].tv_sec = ts[1].tv_sec = now - 10;
    if (i == 2) ts[1].tv_sec = now - 10;
    assert_int_equal(utimensat(AT_FDCWD, p.s, ts, 0), 0);
  }
  p.len = 0;
  assert_true(sb_copyb(&p, md.s, md.len) && sb_cats(&p, "/tmp/olddir"));
  assert_int_equal(mkdir(p.s, 0700), 0);
  assert_int_equal(maildir_cleantmp(md.s, now - MD_TMPAGE), 1);
  for (int i = 0; i < 4; ++i) {
    p.len = 0;
    assert_true(sb_copyb(&p, md.s, md.len) && sb_cats(&p, "/tmp/") && sb_cats(&p, names[i]));
    assert_int_equal(access(p.s, F_OK) == 0, i != 0);
    unlink(p.s);
  }
  assert_int_equal(maildir_cleantmp(md.s, now), 0);
  p.len = 0;
  assert_true(sb_copyb(&p, md.s, md.len) && sb_cats(&p, "/tmp/olddir"));
  rmdir(p.s);
  assert_int_equal(maildir_cleantmp("/nonexistent/Maildir", now), -1);
  char cmd[100];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  assert_int_equal(system(cmd), 0);
  sb_free(&md);
  sb_free(&p);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_names), cmocka_unit_test(t_make_deliver), cmocka_unit_test(t_errors),
    cmocka_unit_test(t_cleantmp),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
