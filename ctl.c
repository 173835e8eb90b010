#include "ctl.h"
#include "auto.h"
#include "io.h"
#include <errno.h>
#include <string.h>

#define MAXCTL (1024 * 1024)

const struct ctl_def ctl_table[] = {
  /* stock qmail */
  {"me", CTL_LINE, NULL, "all", "this host's fully qualified name; default for most other names"},
  {"defaultdomain", CTL_LINE, "$me", "qmail-inject", "domain appended to host names without a dot"},
  {"defaulthost", CTL_LINE, "$me", "qmail-inject", "host appended to addresses without a host"},
  {"plusdomain", CTL_LINE, "$me", "qmail-inject", "domain replacing a trailing + in host names"},
  {"idhost", CTL_LINE, "$me", "qmail-inject", "host name used in Message-ID"},
  {"envnoathost", CTL_LINE, "$me", "qmail-send", "domain for envelope addresses without @"},
  {"locals", CTL_LIST, "$me", "qmail-send qmail-todo qmail-smtpd qmail-qmtpd", "domains delivered locally (also accepted as rcpthosts)"},
  {"locals.cdb", CTL_CDB, NULL, "qmail-send qmail-todo qmail-smtpd", "cdb form of locals, replaces it when present"},
  {"virtualdomains", CTL_LIST, NULL, "qmail-send qmail-todo", "dom:prefix or user@dom:prefix rewriting to local users"},
  {"percenthack", CTL_LIST, NULL, "qmail-send qmail-todo", "domains where % is turned into @"},
  {"concurrencylocal", CTL_INT, "10", "qmail-send", "maximum simultaneous local deliveries (at most conf-spawn)"},
  {"concurrencyremote", CTL_INT, "20", "qmail-send", "maximum simultaneous remote deliveries (at most conf-spawn)"},
  {"queuelifetime", CTL_INT, "604800", "qmail-send", "seconds a message may stay in the queue"},
  {"bouncefrom", CTL_LINE, "MAILER-DAEMON", "qmail-send", "user name in the From: of bounces"},
  {"bouncehost", CTL_LINE, "$me", "qmail-send", "host name in the From: of bounces"},
  {"doublebouncehost", CTL_LINE, "$me", "qmail-send", "host of the double-bounce recipient"},
  {"doublebounceto", CTL_LINE, "postmaster", "qmail-send", "user receiving double bounces (empty: discard)"},
  {"bouncemaxbytes", CTL_INT, "0", "qmail-send", "bytes of the original message copied into a bounce (0 = all)"},
  {"custombouncetext", CTL_RAW, NULL, "qmail-send", "text added to every bounce after the standard paragraph (no blank lines)"},
  {"helohost", CTL_LINE, "$me", "qmail-remote", "host name sent in HELO/EHLO"},
  {"localiphost", CTL_LINE, "$me", "qmail-smtpd", "name replacing [ip] literals of this host"},
  {"smtpgreeting", CTL_LINE, "", "qmail-smtpd", "text after '220 <me> ESMTP' in the greeting"},
  {"smtproutes", CTL_LIST, NULL, "qmail-remote", "domain:relay[:port] [user password] artificial SMTP routes"},
  {"qmtproutes", CTL_LIST, NULL, "qmail-remote", "domain:relay[:port] artificial QMTP routes"},
  {"rcpthosts", CTL_LIST, NULL, "qmail-smtpd qmail-qmtpd", "domains accepted as recipients (missing: locals only, never an open relay)"},
  {"rcpthosts.cdb", CTL_CDB, NULL, "qmail-smtpd qmail-qmtpd", "cdb form of rcpthosts, replaces rcpthosts and morercpthosts"},
  {"morercpthosts", CTL_LIST, NULL, "qmail-newmrh", "source of morercpthosts.cdb"},
  {"morercpthosts.cdb", CTL_CDB, NULL, "qmail-smtpd", "additional rcpthosts"},
  {"databytes", CTL_INT, "0", "qmail-smtpd qmail-qmtpd", "maximum message size in bytes (0 = unlimited); env DATABYTES overrides"},
  {"timeoutconnect", CTL_INT, "60", "qmail-remote qmail-qmqpc", "seconds to wait for a TCP connection"},
  {"timeoutremote", CTL_INT, "1200", "qmail-remote", "seconds to wait for a remote server"},
  {"timeoutsmtpd", CTL_INT, "1200", "qmail-smtpd", "seconds to wait for an SMTP client"},
  {"badmailfrom", CTL_LIST, NULL, "qmail-smtpd", "rejected envelope senders (user@dom, @dom, user@)"},
  {"badmailfrom-unknown", CTL_LIST, NULL, "qmail-smtpd", "like badmailfrom, only for clients without reverse DNS"},
  {"badrcptto", CTL_LIST, NULL, "qmail-smtpd", "rejected recipients (user@dom, @dom, user@)"},
  {"relaymailfrom", CTL_LIST, NULL, "qmail-smtpd", "envelope senders (user@dom, @dom) allowed to relay"},
  {"rbllist", CTL_LIST, NULL, "qmail-smtpd", "basedomain action matchon message (with env RBL)"},
  {"rbltags", CTL_LIST, NULL, "qmail-smtpd", "RBL base domains reported in X-RBL-Check headers"},
  {"goodmailaddr", CTL_LIST, NULL, "qmail-smtpd", "addresses always accepted by RCPTCHECK/SENDERCHECK"},
  {"signatures", CTL_LIST, NULL, "qmail-smtpd", "base64 line signatures rejected with REJECTEXEC"},
  {"smtpclustercookie", CTL_LINE, NULL, "qmail-smtpd qmail-remote", "token (max 32 chars) in the greeting for cluster loop detection"},
  {"smtpcert", CTL_LINE, NULL, "qmail-smtpd", "path of the STARTTLS certificate and key"},
  {"outgoingip", CTL_LINE, "0.0.0.0", "qmail-remote", "source address for outgoing SMTP"},
  {"qmqpservers", CTL_LIST, NULL, "qmail-qmqpc", "QMQP servers, one IP address per line"},
  {"qmqpcip", CTL_LINE, "0.0.0.0", "qmail-qmqpc", "source address for QMQP"},
  {"bigbrother", CTL_LIST, NULL, "qmail-queue", "watched:observer copy recipients"},
  {"defaultdelivery", CTL_RAW, "./Maildir/", "boot/qmail/run", "default delivery instructions (aliasempty)"},
  {"aliasempty", CTL_RAW, NULL, "boot/qmail/run", "old name of defaultdelivery"},
  /* qmail-ldap: directory */
  {"ldapserver", CTL_LIST, NULL, "qmail-lspawn qmail-verify auth_* qmail-ldaplookup", "LDAP servers: host, host:port, ldap:// or ldaps:// URI; tried in order"},
  {"ldapbasedn", CTL_LINE, "", "qmail-lspawn qmail-verify auth_* qmail-ldaplookup", "search base (subtree scope)"},
  {"ldapobjectclass", CTL_LINE, NULL, "qmail-lspawn qmail-verify auth_* qmail-ldaplookup", "objectClass every search is restricted to"},
  {"ldaplogin", CTL_LINE, "", "qmail-lspawn qmail-verify auth_* qmail-ldaplookup", "bind DN (empty: anonymous)"},
  {"ldappassword", CTL_LINE, "", "qmail-lspawn qmail-verify auth_* qmail-ldaplookup", "bind password"},
  {"ldapgrouplogin", CTL_LINE, NULL, "qmail-group", "bind DN for group expansion (default ldaplogin)"},
  {"ldapgrouppassword", CTL_LINE, NULL, "qmail-group", "bind password for group expansion"},
  {"ldaptimeout", CTL_INT, "30", "qmail-lspawn qmail-verify auth_* qmail-ldaplookup", "seconds for a search and for connecting; on expiry delivery is deferred"},
  {"ldapstarttls", CTL_BOOL, "0", "qmail-lspawn qmail-verify auth_* qmail-ldaplookup", "1: require StartTLS on ldap:// connections"},
  {"ldaprebind", CTL_BOOL, "0", "auth_*", "authenticate users by binding as their DN"},
  {"ldaplocaldelivery", CTL_BOOL, "1", "qmail-lspawn qmail-verify auth_*", "fall back to users/cdb and passwd when the directory has no entry"},
  {"ldapuid", CTL_INT, "0", "qmail-lspawn auth_*", "default uid for entries without qmailUID (0: attribute required)"},
  {"ldapgid", CTL_INT, "0", "qmail-lspawn auth_*", "default gid for entries without qmailGID (0: attribute required)"},
  {"ldapmessagestore", CTL_LINE, NULL, "qmail-lspawn auth_*", "prefix for relative mailMessageStore values"},
  {"ldapdefaultdotmode", CTL_LINE, "ldaponly", "qmail-lspawn", "dot-mode for entries without qmailDotMode"},
  {"defaultquotasize", CTL_INT, "0", "qmail-lspawn auth_*", "default quota in bytes (0 = unlimited)"},
  {"defaultquotacount", CTL_INT, "0", "qmail-lspawn auth_*", "default quota in messages (0 = unlimited)"},
  {"quotawarning", CTL_RAW, NULL, "qmail-local qmail-quotawarn", "text of quota warnings (none: no warning)"},
  {"dirmaker", CTL_LINE, NULL, "qmail-lspawn auth_*", "program creating missing home directories"},
  {"ldapcluster", CTL_BOOL, "0", "qmail-lspawn auth_*", "forward mail and sessions to the entry's mailHost"},
  {"ldapclusterhosts", CTL_LIST, NULL, "qmail-lspawn auth_*", "further names of this host for mailHost comparison"},
  {"aliasdomains", CTL_LIST, NULL, "qmail-lspawn qmail-verify", "alias:real domain pairs used in directory searches"},
  /* POP-before-SMTP */
  {"pbsservers", CTL_LIST, NULL, "pbsadd pbscheck", "pbsdbd servers"},
  {"pbsip", CTL_LINE, "0.0.0.0", "pbsdbd", "address pbsdbd binds"},
  {"pbsport", CTL_INT, "2821", "pbsdbd pbsadd pbscheck", "UDP port of pbsdbd"},
  {"pbssecret", CTL_LINE, NULL, "pbsdbd pbsadd", "shared secret (max 255 chars)"},
  {"pbscachesize", CTL_INT, "1048576", "pbsdbd", "cache size in bytes"},
  {"pbstimeout", CTL_INT, "600", "pbsdbd", "seconds an entry lives"},
  {"pbsenv", CTL_LIST, NULL, "pbsadd pbscheck", "environment variables carried along"},
  /* obsolete, flagged by qmail-showctl */
  {"tarpitcount", CTL_OBSOLETE, NULL, "", "now the environment variable TARPITCOUNT"},
  {"tarpitdelay", CTL_OBSOLETE, NULL, "", "now the environment variable TARPITDELAY"},
  {"maxrcptcount", CTL_OBSOLETE, NULL, "", "now the environment variable MAXRCPTCOUNT"},
  {"rblonlyheader", CTL_OBSOLETE, NULL, "", "now the environment variable RBLONLYHEADER"},
  {"ldapdefaultquota", CTL_OBSOLETE, NULL, "", "replaced by defaultquotasize and defaultquotacount"},
  {"ldapusername", CTL_OBSOLETE, NULL, "", "no longer used"},
  {"ldappasswdappend", CTL_OBSOLETE, NULL, "", "no longer used"},
};
const unsigned ctl_count = sizeof ctl_table / sizeof ctl_table[0];

static const char *ctldir;
static char dirbuf[4096];

void ctl_setdir(const char *dir) { ctldir = dir; }

const char *ctl_dir(void)
{
  if (!ctldir) {
    memcpy(dirbuf, AUTO_QMAIL, sizeof AUTO_QMAIL - 1);
    memcpy(dirbuf + sizeof AUTO_QMAIL - 1, "/control", sizeof "/control");
    ctldir = dirbuf;
  }
  return ctldir;
}

const struct ctl_def *ctl_find(const char *name)
{
  for (unsigned i = 0; i < ctl_count; ++i)
    if (!strcmp(ctl_table[i].name, name)) return &ctl_table[i];
  return 0;
}

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

void ctl_parse_line(const char *buf, size_t len, sb *out)
{
  const char *nl = memchr(buf, '\n', len);
  size_t n = nl ? (size_t)(nl - buf) : len;
  while (n && is_blank(buf[n - 1])) --n;
  out->len = 0;
  if (sb_catb(out, buf, n)) return;
  out->len = 0;
}

int ctl_parse_list(const char *buf, size_t len, sb *out)
{
  int count = 0;
  size_t i = 0;
  out->len = 0;
  if (!sb_ready(out, 0)) return -1;
  out->s[0] = 0;
  while (i < len) {
    const char *nl = memchr(buf + i, '\n', len - i);
    size_t e = nl ? (size_t)(nl - buf) : len;
    size_t s = i, t = e;
    while (t > s && is_blank(buf[t - 1])) --t;
    while (s < t && (buf[s] == ' ' || buf[s] == '\t')) ++s;
    if (t > s && buf[s] != '#') {
      if (!sb_catb(out, buf + s, t - s) || !sb_cat0(out)) return -1;
      ++count;
    }
    i = e + 1;
  }
  return count;
}

static int readctl(const char *name, sb *raw)
{
  sb path = SB_INIT;
  int r;
  if (!sb_cats(&path, ctl_dir()) || !sb_catc(&path, '/') || !sb_cats(&path, name)) { sb_free(&path); return -1; }
  r = io_readfile(path.s, raw, MAXCTL);
  sb_free(&path);
  if (r < 0) return errno == ENOENT ? 0 : -1;
  return 1;
}

static int defaultof(const char *name, sb *out, int depth)
{
  const struct ctl_def *d = ctl_find(name);
  out->len = 0;
  if (!sb_ready(out, 0)) return -1;
  out->s[0] = 0;
  if (!d || !d->def) return 0;
  if (!strcmp(d->def, "$me") && depth < 2) {
    int r = ctl_line("me", out);
    return r < 0 ? -1 : 0;
  }
  return sb_copys(out, d->def) ? 0 : -1;
}

int ctl_line(const char *name, sb *out)
{
  sb raw = SB_INIT;
  int r = readctl(name, &raw);
  if (r == 1) {
    ctl_parse_line(raw.s, raw.len, out);
    sb_free(&raw);
    if (out->len) return 1;
    if (!strcmp(name, "smtpgreeting") || !strcmp(name, "ldapbasedn") ||
        !strcmp(name, "ldaplogin") || !strcmp(name, "ldappassword") ||
        !strcmp(name, "doublebounceto"))
      return 1;   /* an empty line is a meaningful value here */
    return defaultof(name, out, 1);
  }
  sb_free(&raw);
  if (r < 0) return -1;
  return defaultof(name, out, 1);
}

int ctl_list(const char *name, sb *out)
{
  sb raw = SB_INIT;
  int r = readctl(name, &raw);
  if (r == 1) {
    int n = ctl_parse_list(raw.s, raw.len, out);
    sb_free(&raw);
    return n < 0 ? -1 : 1;
  }
  sb_free(&raw);
  if (r < 0) return -1;
  if (defaultof(name, out, 1) < 0) return -1;
  if (out->len && !sb_cat0(out)) return -1;
  return 0;
}

int ctl_u64(const char *name, uint64_t *out)
{
  sb v = SB_INIT;
  int r = ctl_line(name, &v);
  if (r < 0) { sb_free(&v); return -1; }
  if (!v.len) *out = 0;
  else if (!scan_u64(v.s, v.len, out)) { sb_free(&v); errno = EINVAL; return -1; }
  sb_free(&v);
  return r;
}

int ctl_bool(const char *name, int *out)
{
  uint64_t u;
  int r = ctl_u64(name, &u);
  if (r >= 0) *out = u != 0;
  return r;
}

int ctl_raw(const char *name, sb *out)
{
  int r = readctl(name, out);
  if (r != 0) return r;
  return defaultof(name, out, 1);
}
