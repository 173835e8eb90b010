#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pwcheck.h"

const char *progname = "test_pwcheck";

/* libcrypto's provider calls, declared here: with -I. the tree's sched.h
 * would shadow the system one that <openssl/crypto.h> pulls in */
typedef struct ossl_lib_ctx_st OSSL_LIB_CTX;
typedef struct ossl_provider_st OSSL_PROVIDER;
OSSL_LIB_CTX *OSSL_LIB_CTX_new(void);
void OSSL_LIB_CTX_free(OSSL_LIB_CTX *);
OSSL_PROVIDER *OSSL_PROVIDER_load(OSSL_LIB_CTX *, const char *);

/* Every vector was made on the build machine for the password "secret"
 * (unless another password is given): slappasswd for the first {SSHA},
 * {SMD5}, {MD5}, {SHA}, {CRYPT}; python3's crypt module with libcrypt's
 * crypt_gensalt for the crypt methods; openssl passwd -1/-5/-6 (same
 * results as python's crypt); python hashlib for the digests, salted
 * ones with salt a1b2c3d4e5f60718; openssl dgst -md4 (legacy provider)
 * for {MD4}; {NS-MTA-MD5} by python per facts §4.7:
 * hex(md5(salt + b"\x59" + pw + b"\xf7" + salt)) + salt. */
static const struct { const char *stored, *right; } good[] = {
  /* libcrypt through {CRYPT} */
  {"{CRYPT}VVi/ISd4b5x8U", "secret"},
  {"{CRYPT}$1$l/nEcutF$xPrRv79Br1.vCh7SEwI2W0", "secret"},
  {"{CRYPT}$1$qmaillda$M/5eo0JIt6UXXxoCgIAuC/", "secret"},
  {"{CRYPT}$5$u/Klq2hEafZ.c/zO$JswZVZkZkFjrRGiI6GzzVKX6rNSgsGGBWN1bbwkTDd8", "secret"},
  {"{CRYPT}$5$qmailldap$T5WPWhiZxyae9Un1qJxRuluB3JBONJCPf14s/e7vd00", "secret"},
  {"{CRYPT}$6$2Q0qawEUhsWohJYD$S3Qa6HVPWSqrVfVs515riZwS6TzmZ5nApWbZ12kWN4UtBb8rFYgJgXCE/DvCzhaKiweX72wXlo670vD82o/nC1", "secret"},
  {"{CRYPT}$6$qmailldap$Hvo6rPMJf8DyV6thQPdHEG9jsYW8RxCQZVhY8tWayyts2YJx2RO/hORFtjdhKM01b1mbh1Xc/GcxSv8.8DqUR/", "secret"},
  {"{CRYPT}$2b$05$RDwsVZJ857KBJfjH7KeKxO9AqnqrOHNa7pq5svG89CEaqQtCQ6x12", "secret"},
  {"{CRYPT}$2y$05$b3T4hNKJmXoeG8dbJ/MYFe3HF7z63F642SgfNMLSP7EY6Nd81DGoK", "secret"},
  {"{CRYPT}$y$j9T$0UXdUUfJDLjUBrjZ4JSu80$yx0aWv196P6u6AISV8G.BHJ1Gro3f8bXnOgdkNv5R35", "secret"},
  {"{CRYPT}$gy$j9T$0Kpe7O24iisdCC8JqBQ1D0$MqFwGv5eIfEJLfAOAseEtSJyWXHprAEJCi0hmFSa4UC", "secret"},
  {"{CRYPT}$7$CU..../....5XGoe2P4mAUbg95mAXnSI1$KAjJvfvnfBcrm9qSD/vhl7aiY4fEvr0o.dVb095LUO1", "secret"},
  {"{CRYPT}_J9..YufX5a2KABGxAAA", "secret"},
  {"{CRYPT}$y$j9T$H2wsFcrCEkbhYhnVKCjMZ1$w0S97BkZOM8aH4hNCuII98SmzLej87coftJTkOwA9J3", "p\xc3\xa4ssw\xc3\xb6rd \xe2\x82\xac"},
  /* the prefix in any case, and bare hashes */
  {"{crypt}$6$qmailldap$Hvo6rPMJf8DyV6thQPdHEG9jsYW8RxCQZVhY8tWayyts2YJx2RO/hORFtjdhKM01b1mbh1Xc/GcxSv8.8DqUR/", "secret"},
  {"{Crypt}$y$j9T$0UXdUUfJDLjUBrjZ4JSu80$yx0aWv196P6u6AISV8G.BHJ1Gro3f8bXnOgdkNv5R35", "secret"},
  {"VVi/ISd4b5x8U", "secret"},
  {"$6$2Q0qawEUhsWohJYD$S3Qa6HVPWSqrVfVs515riZwS6TzmZ5nApWbZ12kWN4UtBb8rFYgJgXCE/DvCzhaKiweX72wXlo670vD82o/nC1", "secret"},
  {"$2b$05$RDwsVZJ857KBJfjH7KeKxO9AqnqrOHNa7pq5svG89CEaqQtCQ6x12", "secret"},
  {"$y$j9T$0UXdUUfJDLjUBrjZ4JSu80$yx0aWv196P6u6AISV8G.BHJ1Gro3f8bXnOgdkNv5R35", "secret"},
  /* digests */
  {"{SSHA}5tnTpdUjp/Sj68iV0t7waZg9F9GggLnk", "secret"},
  {"{ssha}5tnTpdUjp/Sj68iV0t7waZg9F9GggLnk", "secret"},
  {"{SSHA}PFpXHwj0JEvlPQ+7KcmQuRc+VPqhssPU5fYHGA==", "secret"},
  {"{SSHA}RCvGC4biROT4V3j/ATIN1eRjGOoBAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4fIA==", "secret"},  /* 32-byte salt */
  {"{SSHA}5en6G6MezRroT3XKqkdPOmY/BfQ=", "secret"},        /* empty salt */
  {"{SMD5}fEHQefwrl6epodLb2gf7ro4cda4=", "secret"},
  {"{SMD5}D5czVuLuxmus0zl8XR14dKGyw9Tl9gcY", "secret"},
  {"{MD5}Xr4ilOzQ4PCOq3aQ0qbuaQ==", "secret"},
  {"{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=", "secret"},
  {"{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=", "secret"},
  {"{SSHA256}p+aHVuiFSdLX1qJn8TeQUVO4cat3G3j/BxJeuqkfJ2ChssPU5fYHGA==", "secret"},
  {"{SHA512}vSsar3708Jvp9Szi2NWZZ02Bqp1qRCFpbcTZPdBhnWgs5WtNZKnvCXdhztmeD2cmW192CF5bDufKRpayrW/isg==", "secret"},
  {"{SSHA512}B533CNpPWXnoWO9Tl+sWjvcQlRI6CiQMYVUalfUwDEB2fQkiW6kFGnmgYNB3361YI4B5TICoVBuL0SvlMPJHRaGyw9Tl9gcY", "secret"},
  {"{SSHA512}U0bhUE+aqL+JyyIoHoMqXRiOQEYmNsOyNRot5h3ws3v6po1rQIaXUN9GvYX2zvSKsE+tO9Wgrf26DMRKe+RATQD/ECAK",
   "p\xc3\xa4ssw\xc3\xb6rd \xe2\x82\xac"},   /* salt with NUL, 0xff, newline */
  {"{RMD160}zZi/AgLvB+OOh/a9lEXl5zMeLHg=", "secret"},
  {"{NS-MTA-MD5}e751c90482cbccd29997243108459180QpZ8r2Lk9XmVb4Nc7Tg1Hy6Ws3Je5Fd0", "secret"},
  /* {ARGON2}: made with the argon2 CLI ("echo -n secret | argon2 saltsaltsalt -id -t 2 -m 16 -p 1 -e") */
  {"{ARGON2}$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$1CwXL6HeNW2QYFHKOHuNH1eByKY4sVm8ZpmxPrwq98g", "secret"},
  {"{argon2}$argon2i$v=19$m=4096,t=2,p=1$c2FsdHNhbHRzYWx0$fEGCbWi5gZRCnqWVcSLVKlicOY42ZuQ9M4nKfUITMX4", "secret"},
  {"{ns-mta-md5}E751C90482CBCCD29997243108459180QpZ8r2Lk9XmVb4Nc7Tg1Hy6Ws3Je5Fd0", "secret"},  /* hex is case-blind */
};

/* MD4 (legacy provider) is checked separately */
static const struct { const char *stored, *right; } md4[] = {
  {"{MD4}Z9Pa/vY/8AYDru83ac+/DQ==", "secret"},
  {"{MD4}pEgBeq8h2FJfwQroeqZynQ==", "abc"},      /* RFC 1320: a448017aaf21d8525fc10ae87aa6729d */
};

/* a wrong password differing in the first byte, the last byte, a byte
 * more and a byte less: never a match */
static void wrongs(const char *stored, const char *right, int want_other)
{
  char w[1100];
  size_t n = strlen(right);
  const char *ws[4];
  snprintf(w, sizeof w, "%s", right);
  w[0] ^= 1;
  ws[0] = strdup(w);
  snprintf(w, sizeof w, "%s", right);
  w[n - 1] ^= 1;
  ws[1] = strdup(w);
  snprintf(w, sizeof w, "%sx", right);
  ws[2] = strdup(w);
  snprintf(w, sizeof w, "%.*s", (int)(n - 1), right);
  ws[3] = strdup(w);
  for (int i = 0; i < 4; ++i) {
    int got = pw_check(stored, strlen(stored), ws[i], 0);
    /* traditional DES crypt looks at 8 characters only */
    if (i == 2 && n >= 8 && !strchr(stored, '$') && !strchr(stored, '_')) { free((void *)ws[i]); continue; }
    if (got != want_other) fail_msg("%s with \"%s\": got %d want %d", stored, ws[i], got, want_other);
    free((void *)ws[i]);
  }
}

static void t_good(void **st)
{
  (void)st;
  for (size_t i = 0; i < sizeof good / sizeof good[0]; ++i) {
    const char *s = good[i].stored;
    int got = pw_check(s, strlen(s), good[i].right, 0);
    if (got != PW_MATCH) fail_msg("case %zu (%s): got %d want MATCH", i, s, got);
    /* cleartext allowed changes nothing for hashed values */
    if (pw_check(s, strlen(s), good[i].right, 1) != PW_MATCH) fail_msg("case %zu allow_clear", i);
    wrongs(s, good[i].right, PW_NOMATCH);
    if (pw_check(s, strlen(s), "", 0) != PW_NOMATCH) fail_msg("case %zu: empty password", i);
    if (pw_check(s, strlen(s), "", 1) != PW_NOMATCH) fail_msg("case %zu: empty password, clear", i);
  }
}

/* OpenSSL 3 has MD4 only in the legacy provider: pw_check loads it into
 * a private context; where it cannot be loaded {MD4} is unsupported
 * (never a match, never an error) */
static void t_md4(void **st)
{
  (void)st;
  OSSL_LIB_CTX *c = OSSL_LIB_CTX_new();
  int have = c && OSSL_PROVIDER_load(c, "legacy") != NULL;
  OSSL_LIB_CTX_free(c);
  for (size_t i = 0; i < sizeof md4 / sizeof md4[0]; ++i) {
    const char *s = md4[i].stored;
    int got = pw_check(s, strlen(s), md4[i].right, 0);
    if (have) {
      assert_int_equal(got, PW_MATCH);
      wrongs(s, md4[i].right, PW_NOMATCH);
    } else {
      assert_int_equal(got, PW_UNSUPPORTED);
      wrongs(s, md4[i].right, PW_UNSUPPORTED);
    }
  }
  /* the default provider keeps working after the legacy one was loaded */
  assert_int_equal(pw_check("{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=", 33, "secret", 0), PW_MATCH);
}

static const struct { const char *stored; const char *pw; int clear; int want; } odd[] = {
  {"secret", "secret", 0, PW_UNSUPPORTED},                /* cleartext only when allowed: no DES hash */
  {"secret", "secret", 1, PW_MATCH},
  {"secret", "secreT", 1, PW_NOMATCH},
  {"secret", "secre", 1, PW_NOMATCH},
  {"{CLEARTEXT}secret", "secret", 0, PW_UNSUPPORTED},
  {"{CLEARTEXT}secret", "secret", 1, PW_MATCH},
  {"{cleartext}secret", "secret", 1, PW_MATCH},
  {"{CLEARTEXT}secret", "secrets", 1, PW_NOMATCH},
  {"{CLEARTEXT}", "secret", 1, PW_NOMATCH},
  {"{PLAIN}secret", "secret", 1, PW_MATCH},
  {"{PLAIN}secret", "secret", 0, PW_UNSUPPORTED},
  {"{FOO}bar", "secret", 0, PW_UNSUPPORTED},
  {"{SSHA}!!notbase64", "secret", 0, PW_NOMATCH},
  {"{SSHA}", "secret", 0, PW_NOMATCH},
  {"{CRYPT}", "secret", 0, PW_NOMATCH},
  {"{SSHA}5tnTpdUjp/Sj68iV0t7waZg9F9GggLnk", "", 0, PW_NOMATCH},   /* empty password */
  {"{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ", "secret", 0, PW_NOMATCH},   /* base64 without padding */
  {"{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ= ", "secret", 0, PW_NOMATCH}, /* trailing blank */
  {"{SHA}Xr4ilOzQ4PCOq3aQ0qbuaQ==", "secret", 0, PW_NOMATCH},      /* MD5-sized digest */
  {"{MD5}5en6G6MezRroT3XKqkdPOmY/BfQ=", "secret", 0, PW_NOMATCH},  /* SHA-sized: unsalted must be exact */
  {"{SMD5}Xr4i", "secret", 0, PW_NOMATCH},                         /* shorter than a digest */
  {"{NS-MTA-MD5}00000000000000000000000000000000aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "secret", 0, PW_NOMATCH},
  /* {ARGON2} costing 2 GiB: refused before any allocation */
  {"{ARGON2}$argon2id$v=19$m=2097152,t=1,p=1$c2FsdHNhbHRzYWx0$V5BFNwY7NaW8CjwoxdqWIU/Ijz1WBddDjYkFqbbMFBA", "secret", 0, PW_UNSUPPORTED},
  {"{ARGON2}$argon2x$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$AAAA", "secret", 0, PW_UNSUPPORTED},
  {"{ARGON2}$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$", "secret", 0, PW_NOMATCH},
  {"{ARGON2}$argon2id$garbage", "secret", 0, PW_NOMATCH},
  {"{NS-MTA-MD5}e751c90482cbccd29997243108459180QpZ8r2Lk9XmVb4Nc7Tg1Hy6Ws3Je5Fd", "secret", 0, PW_NOMATCH},
  {"{NS-MTA-MD5}g751c90482cbccd29997243108459180QpZ8r2Lk9XmVb4Nc7Tg1Hy6Ws3Je5Fd0", "secret", 0, PW_NOMATCH},
  {"{SSHA5tnTpdUjp/Sj68iV0t7waZg9F9GggLnk", "secret", 0, PW_NOMATCH},   /* no closing brace */
  {"{CRYPT}!", "secret", 0, PW_UNSUPPORTED},                /* locked markers are no hashes */
  {"*", "secret", 0, PW_UNSUPPORTED},
  {"!$6$qmailldap$Hvo6rPMJf8DyV6thQPdHEG9jsYW8RxCQZVhY8tWayyts2YJx2RO/hORFtjdhKM01b1mbh1Xc/GcxSv8.8DqUR/", "secret", 0, PW_UNSUPPORTED},
  {"{CRYPT}$9$abc$def", "secret", 0, PW_UNSUPPORTED},       /* a method libcrypt does not know */
  {"{CRYPT}$6$qmailldap$Hvo6rPMJf8DyV6thQPdHEG9jsYW8RxCQZVhY8tWayyts2YJx2RO/hORFtjdhKM01b1mbh1Xc/GcxSv8.8DqUR", "secret", 0, PW_UNSUPPORTED},   /* truncated */
  {"{CRYPT}$6$qmailldap$", "secret", 0, PW_UNSUPPORTED},
  {"{CRYPT}VVi/ISd4b5x8", "secret", 0, PW_UNSUPPORTED},
  {"{CRYPT}VVi/ISd4b5x8UU", "secret", 0, PW_UNSUPPORTED},
  {"{CRYPT}VVi/ISd4b5x8V", "secret", 0, PW_NOMATCH},       /* well formed, another hash */
};

static void t_odd(void **st)
{
  (void)st;
  for (size_t i = 0; i < sizeof odd / sizeof odd[0]; ++i) {
    int got = pw_check(odd[i].stored, strlen(odd[i].stored), odd[i].pw, odd[i].clear);
    if (got != odd[i].want) fail_msg("odd %zu (%s): got %d want %d", i, odd[i].stored, got, odd[i].want);
  }
}

static void t_bounds(void **st)
{
  (void)st;
  char big[PW_MAXSTORED + 20];
  /* NUL inside the stored value; NULL arguments; zero length */
  assert_int_equal(pw_check("secret\0x", 8, "secret", 1), PW_NOMATCH);
  assert_int_equal(pw_check("{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\0", 34, "secret", 0), PW_NOMATCH);
  assert_int_equal(pw_check(NULL, 0, "secret", 1), PW_NOMATCH);
  assert_int_equal(pw_check("secret", 6, NULL, 1), PW_NOMATCH);
  assert_int_equal(pw_check("secret", 0, "secret", 1), PW_NOMATCH);
  /* only slen bytes count */
  assert_int_equal(pw_check("secretXYZ", 6, "secret", 1), PW_MATCH);
  /* too long stored values never match */
  memset(big, 'a', sizeof big);
  memcpy(big, "{CLEARTEXT}", 11);
  assert_int_equal(pw_check(big, PW_MAXSTORED + 1, "a", 1), PW_NOMATCH);
  big[PW_MAXSTORED] = 0;
  char *clear = big + 11;
  assert_int_equal(pw_check(big, PW_MAXSTORED, clear, 1), PW_MATCH);
  /* nor do too long passwords (python: {SHA} of 1024 and 1025 'a') */
  char *longpw = malloc(PW_MAXCLEAR + 2);
  assert_non_null(longpw);
  memset(longpw, 'a', PW_MAXCLEAR + 1);
  longpw[PW_MAXCLEAR + 1] = 0;
  assert_int_equal(pw_check("{SHA}EAneLvYYO9bYwI8e2N9IR+cfess=", 33, longpw, 0), PW_NOMATCH);
  longpw[PW_MAXCLEAR] = 0;
  assert_int_equal(pw_check("{SHA}jspVRjHfnq0UUQ4acK5Ixw+bk4Q=", 33, longpw, 0), PW_MATCH);
  free(longpw);
}

static void t_texts(void **st)
{
  (void)st;
  assert_string_equal(pw_result_text(PW_MATCH), "password ok");
  assert_string_equal(pw_result_text(PW_NOMATCH), "wrong password");
  assert_string_equal(pw_result_text(PW_UNSUPPORTED), "unsupported password scheme or malformed hash");
  assert_string_equal(pw_result_text(PW_ERROR), "error while checking the password");
  char pw[] = "secret";
  pw_wipe(pw, sizeof pw);
  for (size_t i = 0; i < sizeof pw; ++i) assert_int_equal(pw[i], 0);
  pw_wipe(NULL, 5);
}

/* Hash and password material is compared only in constant time: the
 * source has no memcmp/strcmp/strncmp but CRYPTO_memcmp (strcasecmp is
 * for scheme names only). Run from the top of the tree. */
static void t_consttime(void **st)
{
  (void)st;
  FILE *f = fopen("pwcheck.c", "r");
  char line[512];
  unsigned n = 0;
  if (!f) { skip(); return; }
  while (fgets(line, sizeof line, f)) {
    ++n;
    for (const char *p = line; (p = strstr(p, "memcmp(")); ++p)
      if (p - line < 7 || strncmp(p - 7, "CRYPTO_", 7)) fail_msg("pwcheck.c:%u: plain memcmp", n);
    if (strstr(line, " strcmp(") || strstr(line, "!strcmp(") || strstr(line, "strncmp(") ||
        strstr(line, "strncasecmp("))
      fail_msg("pwcheck.c:%u: variable-time compare", n);
  }
  fclose(f);
  assert_true(n > 50);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_good), cmocka_unit_test(t_md4), cmocka_unit_test(t_odd),
    cmocka_unit_test(t_bounds), cmocka_unit_test(t_texts), cmocka_unit_test(t_consttime),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
