#include "qldap.h"
#include "ctl.h"
#include "qmail-ldap.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#define LDAP_DEPRECATED 0
#include <ldap.h>

#define MAXVALLEN (64 * 1024)
#define MAXVALS 10000
/* Longest LDAP message accepted from a server. libldap would otherwise
 * allocate whatever length a broken or hostile server claims (up to 4 GB)
 * and wait for it; one entry of a mail user is a few KB. */
#define MAXPDU (16 * 1024 * 1024)

/* q->err names the server (when known) and libldap's reason, so an
 * administrator can tell a refused connection from a timeout or a
 * wrong password without a packet trace. */
static int fail_on(struct qldap *q, int why, const char *what, const char *uri, int lrc)
{
  q->why = why;
  snprintf(q->err, sizeof q->err, "%s%s%s%s%s", what, uri ? " " : "", uri ? uri : "",
           lrc ? ": " : "", lrc ? ldap_err2string(lrc) : "");
  return qldap_why_temporary(why) ? QLDAP_TEMP : QLDAP_PERM;
}

static int fail(struct qldap *q, int why, const char *what, int lrc)
{
  return fail_on(q, why, what, NULL, lrc);
}

int qldap_server_uri(const char *line, sb *out)
{
  out->len = 0;
  if (!strncasecmp(line, "ldap://", 7) || !strncasecmp(line, "ldaps://", 8) ||
      !strncasecmp(line, "ldapi://", 8))
    return sb_copys(out, line);
  return sb_cats(out, "ldap://") && sb_cats(out, line) && sb_catc(out, '/');
}

int qldap_config_read(struct qldap_config *c)
{
  sb list = SB_INIT, uri = SB_INIT;
  memset(c, 0, sizeof *c);
  if (ctl_list("ldapserver", &list) < 0) goto bad;
  for (size_t i = 0; i < list.len; i += strlen(list.s + i) + 1) {
    if (!qldap_server_uri(list.s + i, &uri) || !sb_catsb(&c->servers, &uri) || !sb_cat0(&c->servers)) goto bad;
  }
  if (ctl_line("ldapbasedn", &c->basedn) < 0) goto bad;
  if (ctl_line("ldapobjectclass", &c->objectclass) < 0) goto bad;
  if (ctl_line("ldaplogin", &c->login) < 0) goto bad;
  if (ctl_line("ldappassword", &c->password) < 0) goto bad;
  if (ctl_u64("ldaptimeout", &c->timeout) < 0) goto bad;
  if (!c->timeout) c->timeout = QLDAP_TIMEOUT;
  if (c->timeout > 3600) c->timeout = 3600;
  if (ctl_bool("ldapstarttls", &c->starttls) < 0) goto bad;
  if (ctl_line("ldaptlscacert", &c->tlscacert) < 0) goto bad;
  /* make every string non-NULL */
  if (!sb_catb(&c->servers, "", 0) || !sb_catb(&c->basedn, "", 0) || !sb_catb(&c->objectclass, "", 0) ||
      !sb_catb(&c->login, "", 0) || !sb_catb(&c->password, "", 0) || !sb_catb(&c->tlscacert, "", 0)) goto bad;
  sb_free(&list); sb_free(&uri);
  return 0;
bad:
  sb_free(&list); sb_free(&uri);
  return -1;
}

void qldap_config_free(struct qldap_config *c)
{
  if (c->password.s) memset(c->password.s, 0, c->password.len);
  sb_free(&c->servers); sb_free(&c->basedn); sb_free(&c->objectclass);
  sb_free(&c->login); sb_free(&c->password); sb_free(&c->tlscacert);
}

void qldap_init(struct qldap *q)
{
  memset(q, 0, sizeof *q);
}

void qldap_close(struct qldap *q)
{
  if (q->ld) ldap_unbind_ext_s(q->ld, NULL, NULL);
  q->ld = NULL;
}

static int setup(struct qldap *q, LDAP *ld)
{
  int v3 = LDAP_VERSION3;
  struct timeval tv = { (time_t)q->cfg.timeout, 0 };
  int tl = (int)q->cfg.timeout;
  ber_len_t max = MAXPDU;
  Sockbuf *sb = NULL;
  if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3) != LDAP_OPT_SUCCESS) return -1;
  if (ldap_get_option(ld, LDAP_OPT_SOCKBUF, &sb) != LDAP_OPT_SUCCESS || !sb ||
      ber_sockbuf_ctrl(sb, LBER_SB_OPT_SET_MAX_INCOMING, &max) != 1) return -1;
  if (ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) != LDAP_OPT_SUCCESS) return -1;
  if (ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv) != LDAP_OPT_SUCCESS) return -1;
  if (ldap_set_option(ld, LDAP_OPT_TIMELIMIT, &tl) != LDAP_OPT_SUCCESS) return -1;
  /* referrals would re-bind elsewhere with our credentials: never chase */
  if (ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS) return -1;
  /* ldaptlscacert: the CA for ldaps:// and StartTLS, independent of the
   * environment (qmail-start clears it) and of ldap.conf. The server's
   * certificate must verify and name the host; a handle-local TLS context
   * is needed for handle-local TLS options to take effect. */
  if (q->cfg.tlscacert.len) {
    int demand = LDAP_OPT_X_TLS_DEMAND, isserver = 0;
    if (ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, q->cfg.tlscacert.s) != LDAP_OPT_SUCCESS) return -1;
    if (ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) != LDAP_OPT_SUCCESS) return -1;
    if (ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &isserver) != LDAP_OPT_SUCCESS) return -1;
  }
  return 0;
}

static int bind_simple(LDAP *ld, const char *dn, const char *pw)
{
  struct berval cred;
  cred.bv_val = (char *)pw;
  cred.bv_len = strlen(pw);
  return ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
}

/* connect to uri; returns LDAP_SUCCESS or an LDAP error code */
static int connect_one(struct qldap *q, const char *uri, LDAP **out, const char *dn, const char *pw)
{
  LDAP *ld = NULL;
  int rc = ldap_initialize(&ld, uri);
  *out = NULL;
  if (rc != LDAP_SUCCESS) return rc;
  if (setup(q, ld) < 0) { ldap_unbind_ext_s(ld, NULL, NULL); return LDAP_LOCAL_ERROR; }
  if (q->cfg.starttls && strncasecmp(uri, "ldaps://", 8) && strncasecmp(uri, "ldapi://", 8)) {
    rc = ldap_start_tls_s(ld, NULL, NULL);
    if (rc != LDAP_SUCCESS) { ldap_unbind_ext_s(ld, NULL, NULL); return rc; }
  }
  rc = bind_simple(ld, dn, pw);
  if (rc != LDAP_SUCCESS) { ldap_unbind_ext_s(ld, NULL, NULL); return rc; }
  /* a bound connection must not leak into programs run as users */
  int fd;
  if (ldap_get_option(ld, LDAP_OPT_DESC, &fd) == LDAP_OPT_SUCCESS && fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);
  *out = ld;
  return LDAP_SUCCESS;
}

static int is_timeout(int rc) { return rc == LDAP_TIMEOUT || rc == LDAP_TIMELIMIT_EXCEEDED; }

int qldap_open(struct qldap *q)
{
  int last = LDAP_SERVER_DOWN;
  const char *s = q->cfg.servers.s, *lasturi = NULL;
  size_t n = q->cfg.servers.len;
  if (q->ld) return QLDAP_OK;
  if (!s || !n) return fail(q, QLW_CONFIG, "no LDAP server configured (control/ldapserver)", 0);
  for (size_t i = 0; i < n; i += strlen(s + i) + 1) {
    LDAP *ld;
    int rc = connect_one(q, s + i, &ld, q->cfg.login.s, q->cfg.password.s);
    q->nconnect++;
    if (rc == LDAP_SUCCESS) { q->ld = ld; q->why = QLW_NONE; q->err[0] = 0; return QLDAP_OK; }
    last = rc;
    lasturi = s + i;
    /* wrong credentials are the same on every server */
    if (rc == LDAP_INVALID_CREDENTIALS || rc == LDAP_INAPPROPRIATE_AUTH)
      return fail_on(q, QLW_BIND, "LDAP bind refused by", lasturi, rc);
  }
  /* Every server failed; the last one's reason stands for all. A server
   * that did not complete the connect or bind within ldaptimeout could
   * not be contacted: QLW_TIMEOUT is kept for searches (facts §4.5). */
  if (is_timeout(last)) return fail_on(q, QLW_CONNECT, "Timeout while connecting to LDAP server", lasturi, last);
  return fail_on(q, QLW_CONNECT, "Unable to contact LDAP server", lasturi, last);
}

void qldap_entry_init(struct qldap_entry *e) { memset(e, 0, sizeof *e); }

void qldap_entry_free(struct qldap_entry *e)
{
  for (size_t i = 0; i < e->nattr; ++i) {
    struct qldap_attr *a = &e->attr[i];
    for (size_t j = 0; j < a->nvals; ++j) free(a->vals[j]);
    free(a->vals); free(a->lens); free(a->name);
  }
  free(e->attr);
  sb_free(&e->dn);
  memset(e, 0, sizeof *e);
}

const struct qldap_attr *qldap_attr(const struct qldap_entry *e, const char *name)
{
  for (size_t i = 0; i < e->nattr; ++i)
    if (!strcasecmp(e->attr[i].name, name)) return &e->attr[i];
  return NULL;
}

int qldap_get1(const struct qldap_entry *e, const char *name, const char **v)
{
  const struct qldap_attr *a = qldap_attr(e, name);
  if (!a || !a->nvals) return 0;
  if (a->nvals > 1) return -1;
  if (strlen(a->vals[0]) != a->lens[0]) return -1;   /* embedded NUL */
  *v = a->vals[0];
  return 1;
}

int qldap_getu64(const struct qldap_entry *e, const char *name, uint64_t *v)
{
  const char *s;
  int r = qldap_get1(e, name, &s);
  if (r <= 0) return r;
  return scan_u64s(s, v) ? 1 : -1;
}

/* copy one result entry into e; QLDAP_OK or QLDAP_TEMP/PERM */
static int take_entry(struct qldap *q, LDAPMessage *m, struct qldap_entry *e)
{
  BerElement *ber = NULL;
  char *dn = ldap_get_dn(q->ld, m);
  char *name;
  qldap_entry_init(e);
  if (!dn) return fail(q, QLW_LDAP, "entry without DN", 0);
  if (!sb_copys(&e->dn, dn)) { ldap_memfree(dn); return fail(q, QLW_NOMEM, "out of memory", 0); }
  ldap_memfree(dn);
  for (name = ldap_first_attribute(q->ld, m, &ber); name; name = ldap_next_attribute(q->ld, m, ber)) {
    struct berval **vals = ldap_get_values_len(q->ld, m, name);
    size_t nv = vals ? (size_t)ldap_count_values_len(vals) : 0;
    struct qldap_attr *na = realloc(e->attr, (e->nattr + 1) * sizeof *na);
    int bad = 0;
    if (!na) { ldap_value_free_len(vals); ldap_memfree(name); goto nomem; }
    e->attr = na;
    struct qldap_attr *a = &e->attr[e->nattr];
    memset(a, 0, sizeof *a);
    a->name = strdup(name);
    ldap_memfree(name);
    if (!a->name) { ldap_value_free_len(vals); goto nomem; }
    e->nattr++;
    if (nv > MAXVALS) bad = 1;
    if (!bad && nv) {
      a->vals = calloc(nv, sizeof *a->vals);
      a->lens = calloc(nv, sizeof *a->lens);
      if (!a->vals || !a->lens) { ldap_value_free_len(vals); goto nomem; }
      for (size_t j = 0; j < nv; ++j) {
        size_t l = vals[j]->bv_len;
        if (l > MAXVALLEN) { bad = 1; break; }
        a->vals[j] = malloc(l + 1);
        if (!a->vals[j]) { ldap_value_free_len(vals); goto nomem; }
        memcpy(a->vals[j], vals[j]->bv_val, l);
        a->vals[j][l] = 0;
        a->lens[j] = l;
        a->nvals = j + 1;
      }
    }
    ldap_value_free_len(vals);
    if (bad) {
      if (ber) ber_free(ber, 0);
      fail(q, QLW_ILLVAL, "attribute value too long or too many values", 0);
      return QLDAP_PERM;
    }
  }
  if (ber) ber_free(ber, 0);
  return QLDAP_OK;
nomem:
  if (ber) ber_free(ber, 0);
  return fail(q, QLW_NOMEM, "out of memory", 0);
}

static int gone(int rc)
{
  return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_UNAVAILABLE || rc == LDAP_BUSY;
}

/* run a search with one reconnect when the kept connection went away */
static int run_search(struct qldap *q, const char *filter, const char *const *attrs, int sizelimit, LDAPMessage **res)
{
  int rc = LDAP_SUCCESS;
  for (int attempt = 0; attempt < 2; ++attempt) {
    struct timeval tv = { (time_t)q->cfg.timeout, 0 };
    int r = qldap_open(q);
    if (r != QLDAP_OK) return r;
    *res = NULL;
    q->nsearch++;
    rc = ldap_search_ext_s(q->ld, q->cfg.basedn.s, LDAP_SCOPE_SUBTREE, filter, (char **)attrs, 0,
                           NULL, NULL, &tv, sizelimit, res);
    if (rc == LDAP_SUCCESS || rc == LDAP_SIZELIMIT_EXCEEDED) return QLDAP_OK;
    if (*res) { ldap_msgfree(*res); *res = NULL; }
    if (is_timeout(rc)) {
      qldap_close(q);   /* the answer may still arrive on this connection */
      return fail(q, QLW_TIMEOUT, "Timeout while performing search on LDAP server", rc);
    }
    if (rc == LDAP_FILTER_ERROR) return fail(q, QLW_FILTER, "bad search filter", rc);
    if (rc == LDAP_NO_SUCH_OBJECT) return fail(q, QLW_LDAP, "search base (ldapbasedn) does not exist", rc);
    if (!gone(rc)) return fail(q, QLW_LDAP, "Temporary failure in LDAP lookup", rc);
    qldap_close(q);
  }
  return fail(q, QLW_CONNECT, "Unable to contact LDAP server", rc);
}

int qldap_search1(struct qldap *q, const char *filter, const char *const *attrs, struct qldap_entry *e)
{
  LDAPMessage *res, *m;
  int n, r = run_search(q, filter, attrs, 2, &res);
  qldap_entry_init(e);
  if (r != QLDAP_OK) return r;
  n = ldap_count_entries(q->ld, res);
  if (n == 0) { ldap_msgfree(res); return QLDAP_NOTFOUND; }
  if (n > 1) {
    ldap_msgfree(res);
    return fail(q, QLW_TOOMANY, "Too many results returned but needs to be unique", 0);
  }
  m = ldap_first_entry(q->ld, res);
  r = take_entry(q, m, e);
  ldap_msgfree(res);
  if (r != QLDAP_OK) qldap_entry_free(e);
  return r;
}

int qldap_searchn(struct qldap *q, const char *filter, const char *const *attrs,
                  int (*cb)(const struct qldap_entry *, void *), void *arg, uint64_t *count)
{
  LDAPMessage *res, *m;
  int r = run_search(q, filter, attrs, 0, &res), n;
  *count = 0;
  if (r != QLDAP_OK) return r;
  /* known before the first callback, so a caller can print it first */
  n = ldap_count_entries(q->ld, res);
  *count = n > 0 ? (uint64_t)n : 0;
  for (m = ldap_first_entry(q->ld, res); m; m = ldap_next_entry(q->ld, m)) {
    struct qldap_entry e;
    r = take_entry(q, m, &e);
    if (r != QLDAP_OK) { ldap_msgfree(res); return r; }
    int stop = cb(&e, arg);
    qldap_entry_free(&e);
    if (stop) break;
  }
  ldap_msgfree(res);
  return *count ? QLDAP_OK : QLDAP_NOTFOUND;
}

int qldap_user_bind(struct qldap *q, const char *dn, const char *password)
{
  const char *s = q->cfg.servers.s;
  size_t n = q->cfg.servers.len;
  const char *lasturi = NULL;
  int last = LDAP_SERVER_DOWN;
  if (!*password) return fail(q, QLW_BADPASS, "empty password", 0);
  for (size_t i = 0; s && i < n; i += strlen(s + i) + 1) {
    LDAP *ld;
    int rc = connect_one(q, s + i, &ld, dn, password);
    q->nconnect++;
    if (rc == LDAP_SUCCESS) { ldap_unbind_ext_s(ld, NULL, NULL); return QLDAP_OK; }
    if (rc == LDAP_INVALID_CREDENTIALS || rc == LDAP_INAPPROPRIATE_AUTH || rc == LDAP_UNWILLING_TO_PERFORM)
      return fail(q, QLW_BADPASS, "password does not match", rc);
    last = rc;
    lasturi = s + i;
  }
  if (is_timeout(last)) return fail_on(q, QLW_CONNECT, "Timeout while connecting to LDAP server", lasturi, last);
  return fail_on(q, QLW_CONNECT, "Unable to contact LDAP server", lasturi, last);
}

const char *qldap_why_text(int why)
{
  switch (why) {
  case QLW_NONE: return "no error";
  case QLW_CONFIG: return "LDAP configuration error (#4.3.5)";
  case QLW_CONNECT: return "Unable to contact LDAP server. (#4.4.3)";
  case QLW_BIND: return "Unable to login into LDAP server, bad credentials. (#4.4.3)";
  case QLW_TIMEOUT: return "Timeout while performing search on LDAP server. (#4.4.3)";
  case QLW_LDAP: return "Temporary failure in LDAP lookup. (#4.4.3)";
  case QLW_NOMEM: return "Out of memory. (#4.3.0)";
  case QLW_TOOMANY: return "Too many results returned but needs to be unique. (#5.3.5)";
  case QLW_NEEDED: return "Missing needed attribute in LDAP entry. (#5.3.5)";
  case QLW_ILLVAL: return "Illegal value in LDAP attribute. (#5.3.5)";
  case QLW_FILTER: return "Bad LDAP search filter. (#5.3.5)";
  case QLW_BADPASS: return "Authentication failed. (#5.7.8)";
  default: return "Temporary failure in LDAP lookup. (#4.4.3)";
  }
}

int qldap_why_temporary(int why)
{
  return why == QLW_CONFIG || why == QLW_CONNECT || why == QLW_BIND || why == QLW_TIMEOUT ||
         why == QLW_LDAP || why == QLW_NOMEM || why == QLW_NONE;
}
