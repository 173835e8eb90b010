#include "ctl.h"
#include "auto.h"
#include "io.h"
#include <errno.h>
#include <string.h>

#define MAXCTL (1024 * 1024)

/* show and unset are optional (qmail-showctl falls back to generic text),
 * so rows may leave them out. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
const struct ctl_def ctl_table[] = {
  /* stock qmail */
  {"me", CTL_LINE, NULL, "all", "this host's fully qualified name; default for most other names",
   "My name is %s.", "Not set! Every program needs it."},
  {"defaultdomain", CTL_LINE, "$me", "qmail-inject", "domain appended to host names without a dot",
   "Default domain name is %s.", NULL},
  {"defaulthost", CTL_LINE, "$me", "qmail-inject", "host appended to addresses without a host",
   "Default host name is %s.", NULL},
  {"plusdomain", CTL_LINE, "$me", "qmail-inject", "domain replacing a trailing + in host names",
   "Plus domain name is %s.", NULL},
  {"idhost", CTL_LINE, "$me", "qmail-inject", "host name used in Message-ID",
   "Message-ID host name is %s.", NULL},
  {"envnoathost", CTL_LINE, "$me", "qmail-send", "domain for envelope addresses without @",
   "Presumed domain name is %s.", NULL},
  {"locals", CTL_LIST, "$me", "qmail-send qmail-todo qmail-smtpd qmail-qmtpd", "domains delivered locally (also accepted as rcpthosts)",
   "Messages for %s are delivered locally.", "No domains are delivered locally."},
  {"locals.cdb", CTL_CDB, NULL, "qmail-send qmail-todo qmail-smtpd", "cdb form of locals, replaces it when present",
   "Used instead of locals (%s entries).", "No effect."},
  {"virtualdomains", CTL_LIST, NULL, "qmail-send qmail-todo", "dom:prefix or user@dom:prefix rewriting to local users",
   "Virtual domain: %s", "No virtual domains."},
  {"percenthack", CTL_LIST, NULL, "qmail-send qmail-todo", "domains where % is turned into @",
   "The percent hack is allowed for user%host@%s.", "The percent hack is not allowed."},
  {"concurrencylocal", CTL_INT, "10", "qmail-send", "maximum simultaneous local deliveries (at most conf-spawn)",
   "Local concurrency is %s.", NULL},
  {"concurrencyremote", CTL_INT, "20", "qmail-send", "maximum simultaneous remote deliveries (at most conf-spawn)",
   "Remote concurrency is %s.", NULL},
  {"queuelifetime", CTL_INT, "604800", "qmail-send", "seconds a message may stay in the queue",
   "Message lifetime in the queue is %s seconds.", NULL},
  {"bouncefrom", CTL_LINE, "MAILER-DAEMON", "qmail-send", "user name in the From: of bounces",
   "Bounce user name is %s.", NULL},
  {"bouncehost", CTL_LINE, "$me", "qmail-send", "host name in the From: of bounces",
   "Bounce host name is %s.", NULL},
  {"doublebouncehost", CTL_LINE, "$me", "qmail-send", "host of the double-bounce recipient",
   "2B recipient host: %s.", NULL},
  {"doublebounceto", CTL_LINE, "postmaster", "qmail-send", "user receiving double bounces (empty: discard)",
   "2B recipient user: %s.", "Double bounces are discarded."},
  {"bouncemaxbytes", CTL_INT, "0", "qmail-send", "bytes of the original message copied into a bounce (0 = all)",
   "Bounce data limit is %s bytes (0 = no limit).", NULL},
  {"custombouncetext", CTL_RAW, NULL, "qmail-send", "text added to every bounce after the standard paragraph (no blank lines)",
   "%s", "No custombouncetext."},
  {"helohost", CTL_LINE, "$me", "qmail-remote", "host name sent in HELO/EHLO",
   "SMTP client HELO host name is %s.", NULL},
  {"localiphost", CTL_LINE, "$me", "qmail-smtpd", "name replacing [ip] literals of this host",
   "Local IP address becomes %s.", NULL},
  {"smtpgreeting", CTL_LINE, "", "qmail-smtpd", "text after '220 <me> ESMTP' in the greeting",
   "Text after ESMTP in the SMTP greeting: %s.", "Nothing after ESMTP in the SMTP greeting."},
  {"smtproutes", CTL_LIST, NULL, "qmail-remote", "domain:relay[:port] [user password] artificial SMTP routes",
   "SMTP route: %s", "No artificial SMTP routes."},
  {"qmtproutes", CTL_LIST, NULL, "qmail-remote", "domain:relay[:port] artificial QMTP routes",
   "QMTP route: %s", "No artificial QMTP routes."},
  {"rcpthosts", CTL_LIST, NULL, "qmail-smtpd qmail-qmtpd", "domains accepted as recipients (missing: locals only, never an open relay)",
   "SMTP clients may send messages to recipients at %s.", "SMTP clients may send messages only to recipients at locals."},
  {"rcpthosts.cdb", CTL_CDB, NULL, "qmail-smtpd qmail-qmtpd", "cdb form of rcpthosts, replaces rcpthosts and morercpthosts",
   "Used instead of rcpthosts and morercpthosts.cdb (%s entries).", "No effect."},
  {"morercpthosts", CTL_LIST, NULL, "qmail-newmrh", "source of morercpthosts.cdb",
   "SMTP clients may send messages to recipients at %s (once in morercpthosts.cdb).", "No effect."},
  {"morercpthosts.cdb", CTL_CDB, NULL, "qmail-smtpd", "additional rcpthosts",
   "Additional rcpthosts (%s entries).", "No effect."},
  {"databytes", CTL_INT, "0", "qmail-smtpd qmail-qmtpd qmail-qmqpd", "maximum message size in bytes (0 = unlimited); env DATABYTES overrides",
   "SMTP DATA limit is %s bytes (0 = no limit).", NULL},
  {"timeoutconnect", CTL_INT, "60", "qmail-remote qmail-qmqpc", "seconds to wait for a TCP connection",
   "SMTP client connection timeout is %s seconds.", NULL},
  {"timeoutremote", CTL_INT, "1200", "qmail-remote", "seconds to wait for a remote server",
   "SMTP client data timeout is %s seconds.", NULL},
  {"timeoutsmtpd", CTL_INT, "1200", "qmail-smtpd", "seconds to wait for an SMTP client",
   "SMTP server data timeout is %s seconds.", NULL},
  {"timeoutsmtpsession", CTL_INT, "3600", "qmail-smtpd", "seconds an SMTP session may last in all (0 = no limit)",
   "SMTP sessions end after %s seconds.", NULL},
  {"timeoutsmtpcommand", CTL_INT, "300", "qmail-smtpd", "seconds from the first byte of a command line to its end (0 = no limit)",
   "An SMTP command line must arrive within %s seconds.", NULL},
  {"timeoutqmtpsession", CTL_INT, "3600", "qmail-qmtpd", "seconds a QMTP session may last in all (0 = no limit)",
   "QMTP sessions end after %s seconds.", NULL},
  {"qmqpratio", CTL_INT, "100", "qmail-qmqpd", "compressed QMQP: bytes a request may inflate to per compressed byte, beyond the first MB (0 = no limit)",
   "Compressed QMQP requests may inflate %s-fold (beyond 1 MB).", NULL},
  {"badmailfrom", CTL_LIST, NULL, "qmail-smtpd", "rejected envelope senders (user@dom, @dom, user@)",
   "%s not accepted in MAIL FROM.", "Any MAIL FROM is allowed."},
  {"badmailfrom-unknown", CTL_LIST, NULL, "qmail-smtpd", "like badmailfrom, only for clients without reverse DNS",
   "%s not accepted in MAIL FROM from hosts without PTR.", "Any MAIL FROM from hosts without PTR is allowed."},
  {"badrcptto", CTL_LIST, NULL, "qmail-smtpd", "rejected recipients (user@dom, @dom, user@)",
   "%s not accepted in RCPT TO.", "Any RCPT TO is allowed."},
  {"relaymailfrom", CTL_LIST, NULL, "qmail-smtpd", "envelope senders (user@dom, @dom) allowed to relay",
   "Envelope sender allowed to relay: %s.", "Relaymailfrom not enabled."},
  {"rbllist", CTL_LIST, NULL, "qmail-smtpd", "basedomain action matchon message (with env RBL)",
   "RBL to check: %s.", "No RBL listed."},
  {"rbltags", CTL_LIST, NULL, "qmail-smtpd", "RBL base domains reported in X-RBL-Check headers",
   "RBL reported in X-RBL-Check: %s.", "No RBL tags."},
  {"goodmailaddr", CTL_LIST, NULL, "qmail-smtpd", "addresses always accepted by RCPTCHECK/SENDERCHECK",
   "%s is allowed in any case.", "No good mail addresses."},
  {"signatures", CTL_LIST, NULL, "qmail-smtpd", "base64 line signatures rejected with REJECTEXEC",
   "Rejected signature: %s", "No signatures."},
  {"smtpclustercookie", CTL_LINE, NULL, "qmail-smtpd qmail-remote", "token (max 32 chars) in the greeting for cluster loop detection",
   "SMTP cluster cookie is %s.", "No cluster cookie."},
  {"smtpcert", CTL_LINE, NULL, "qmail-smtpd qmail-popup qmail-imaplogin", "path of the TLS certificate chain (PEM; also the key unless smtpkey is set)",
   "TLS certificate: %s.", "No certificate; STARTTLS and smtps are not offered."},
  {"smtpkey", CTL_LINE, NULL, "qmail-smtpd qmail-popup qmail-imaplogin", "path of the TLS private key (PEM)",
   "TLS private key: %s.", "The private key is in the smtpcert file."},
  {"tlsciphers", CTL_LINE, NULL, "qmail-smtpd qmail-remote qmail-popup qmail-imaplogin", "OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are OpenSSL's)",
   "TLS 1.2 ciphers: %s.", "OpenSSL's default TLS 1.2 ciphers."},
  {"tlsdestinations", CTL_LIST, NULL, "qmail-remote", "domain:policy for outgoing TLS: none, may, encrypt, verify",
   "Outgoing TLS policy: %s.", "Opportunistic STARTTLS to every destination."},
  {"remotecacert", CTL_LINE, "/etc/ssl/certs/ca-certificates.crt", "qmail-remote", "CA certificates for the verify policy",
   "CA certificates for verify: %s.", NULL},
  {"remotecert", CTL_LINE, NULL, "qmail-remote", "client certificate and key (PEM) qmail-remote presents in TLS",
   "TLS client certificate: %s.", "No client certificate."},
  {"outgoingip", CTL_LINE, "0.0.0.0", "qmail-remote", "source address for outgoing SMTP",
   "Bind qmail-remote to %s.", NULL},
  {"qmqpservers", CTL_LIST, NULL, "qmail-qmqpc", "QMQP servers, one IP address per line",
   "QMQP server: %s.", "No QMQP servers."},
  {"qmqpcip", CTL_LINE, "0.0.0.0", "qmail-qmqpc", "source address for QMQP",
   "Bind qmail-qmqpc to %s.", NULL},
  {"bigbrother", CTL_LIST, NULL, "qmail-queue", "watched:observer copy recipients",
   "Observed: %s.", "No mail addresses are observed."},
  {"defaultdelivery", CTL_RAW, "./Maildir/", "boot/qmail/run qmail-verify", "default delivery instructions (aliasempty)",
   "Default delivery: %s", NULL},
  {"aliasempty", CTL_RAW, NULL, "boot/qmail/run qmail-verify", "old name of defaultdelivery",
   "Default delivery (old name): %s", "Not used; see defaultdelivery."},
  /* qmail-ldap: directory */
  {"ldapserver", CTL_LIST, NULL, "qmail-lspawn qmail-verify auth_* qmail-ldaplookup", "LDAP servers: host, host:port, ldap:// or ldaps:// URI; tried in order",
   "LDAP server: %s.", "undefined! Uh-oh: directory lookups fail."},
  {"ldapbasedn", CTL_LINE, "", "qmail-lspawn qmail-verify auth_* qmail-ldaplookup", "search base (subtree scope)",
   "LDAP basedn: %s.", "LDAP searches start at the root."},
  {"ldapobjectclass", CTL_LINE, NULL, "qmail-lspawn qmail-verify auth_* qmail-ldaplookup", "objectClass every search is restricted to",
   "Searches are limited to objectClass %s.", "Searches are not limited to an objectClass."},
  {"ldaplogin", CTL_LINE, "", "qmail-lspawn qmail-verify auth_* qmail-ldaplookup", "bind DN (empty: anonymous)",
   "LDAP login: %s.", "LDAP binds are anonymous."},
  {"ldappassword", CTL_LINE, "", "qmail-lspawn qmail-verify auth_* qmail-ldaplookup", "bind password",
   "LDAP password is set (not shown).", "No LDAP password."},
  {"ldapgrouplogin", CTL_LINE, NULL, "qmail-group", "bind DN for group expansion (default ldaplogin)",
   "LDAP group login: %s.", "qmail-group binds with ldaplogin."},
  {"ldapgrouppassword", CTL_LINE, NULL, "qmail-group", "bind password for group expansion",
   "LDAP group password is set (not shown).", "qmail-group binds with ldappassword."},
  {"ldaptimeout", CTL_INT, "30", "qmail-lspawn qmail-verify auth_* qmail-ldaplookup", "seconds for a search and for connecting; on expiry delivery is deferred",
   "LDAP server timeout is %s seconds.", NULL},
  {"ldapstarttls", CTL_BOOL, "0", "qmail-lspawn qmail-verify auth_* qmail-ldaplookup", "1: require StartTLS on ldap:// connections",
   "StartTLS required is %s (1 = on, 0 = off).", NULL},
  {"ldaptlscacert", CTL_LINE, NULL, "qmail-lspawn qmail-verify auth_* qmail-ldaplookup", "CA certificate file for ldaps:// and StartTLS; the server certificate must verify and match the host",
   "LDAP TLS CA file: %s.", "LDAP TLS trusts the CAs of ldap.conf (TLS_CACERT)."},
  {"ldaprebind", CTL_BOOL, "0", "auth_*", "authenticate users by binding as their DN",
   "LDAP rebinding is %s (1 = on, 0 = off).", NULL},
  {"ldaplocaldelivery", CTL_BOOL, "1", "qmail-lspawn qmail-verify auth_*", "fall back to users/cdb and passwd when the directory has no entry",
   "Local passwd lookup is %s (1 = on, 0 = off).", NULL},
  {"ldapuid", CTL_INT, "0", "qmail-lspawn auth_* qmail-verify", "default uid for entries without qmailUID (0: attribute required)",
   "Default UID is %s (0 = qmailUID required).", NULL},
  {"ldapgid", CTL_INT, "0", "qmail-lspawn auth_* qmail-verify", "default gid for entries without qmailGID (0: attribute required)",
   "Default GID is %s (0 = qmailGID required).", NULL},
  {"ldapmessagestore", CTL_LINE, NULL, "qmail-lspawn auth_* qmail-verify", "prefix for relative mailMessageStore values",
   "Prefix for non absolute paths is %s.", "Not defined: relative mailMessageStore values are illegal."},
  {"ldapdefaultdotmode", CTL_LINE, "ldaponly", "qmail-lspawn qmail-verify", "dot-mode for entries without qmailDotMode",
   "Default dot mode for LDAP users is %s.", NULL},
  {"defaultquotasize", CTL_INT, "0", "qmail-lspawn auth_* qmail-verify", "default quota in bytes (0 = unlimited)",
   "Mailbox size quota is %s bytes (0 = unlimited).", NULL},
  {"defaultquotacount", CTL_INT, "0", "qmail-lspawn auth_* qmail-verify", "default quota in messages (0 = unlimited)",
   "Mailbox count quota is %s messages (0 = unlimited).", NULL},
  {"quotawarning", CTL_RAW, NULL, "qmail-local qmail-quotawarn", "text of quota warnings (none: no warning)",
   "%s", "No quotawarning: no warnings are sent."},
  {"dirmaker", CTL_LINE, NULL, "qmail-local auth_*", "program creating missing home directories",
   "Program to create home directories: %s.", "Not defined: missing home directories are not created."},
  {"ldapcluster", CTL_BOOL, "0", "qmail-lspawn auth_* qmail-verify", "forward mail and sessions to the entry's mailHost",
   "Clustering is %s (1 = on, 0 = off).", NULL},
  {"ldapclusterhosts", CTL_LIST, NULL, "qmail-lspawn auth_* qmail-verify", "further names of this host for mailHost comparison",
   "Messages for %s are not redirected.", "Only me counts as this host for mailHost."},
  {"aliasdomains", CTL_LIST, NULL, "qmail-lspawn qmail-verify", "alias:real domain pairs used in directory searches",
   "LDAP alias domain: %s.", "No LDAP alias domains."},
  /* POP-before-SMTP */
  {"pbsservers", CTL_LIST, NULL, "pbsadd pbscheck", "pbsdbd servers",
   "PBS server: %s.", "No PBS servers."},
  {"pbsip", CTL_LINE, "0.0.0.0", "pbsdbd", "address pbsdbd binds",
   "Bind PBS daemon to %s.", NULL},
  {"pbsport", CTL_INT, "2821", "pbsdbd pbsadd pbscheck", "UDP port of pbsdbd",
   "PBS daemon listens on port %s.", NULL},
  {"pbssecret", CTL_LINE, NULL, "pbsdbd pbsadd", "shared secret (max 255 chars)",
   "PBS shared secret is set (not shown).", "undefined! Uh-oh: pbsdbd and pbsadd need it."},
  {"pbscachesize", CTL_INT, "1048576", "pbsdbd", "cache size in bytes",
   "PBS cache size is %s bytes.", NULL},
  {"pbstimeout", CTL_INT, "600", "pbsdbd", "seconds an entry lives",
   "PBS entries are valid for %s seconds.", NULL},
  {"pbsenv", CTL_LIST, NULL, "pbsadd pbscheck", "environment variables carried along",
   "Environment variable passed: %s.", "No environment variables are passed."},
  /* tcpserver access rules, read by the boot/ run scripts (tcpserver -x) */
  {"qmail-smtpd.rules", CTL_LIST, NULL, "tcprules", "source of qmail-smtpd.cdb",
   "SMTP rule: %s", "No effect."},
  {"qmail-smtpd.cdb", CTL_CDB, NULL, "tcpserver (boot/qmail-smtpd)", "access rules and environment for qmail-smtpd",
   "tcpserver rules for qmail-smtpd (%s entries).", "tcpserver for qmail-smtpd runs without rules."},
  {"qmail-smtpsd.rules", CTL_LIST, NULL, "tcprules", "source of qmail-smtpsd.cdb",
   "SMTPS rule: %s", "No effect."},
  {"qmail-smtpsd.cdb", CTL_CDB, NULL, "tcpserver (boot/qmail-smtpsd)", "access rules and environment for smtps (port 465)",
   "tcpserver rules for qmail-smtpsd (%s entries).", "tcpserver for qmail-smtpsd runs without rules."},
  {"qmail-submission.rules", CTL_LIST, NULL, "tcprules", "source of qmail-submission.cdb",
   "Submission rule: %s", "No effect."},
  {"qmail-submission.cdb", CTL_CDB, NULL, "tcpserver (boot/qmail-submission)", "access rules and environment for submission (port 587)",
   "tcpserver rules for qmail-submission (%s entries).", "tcpserver for qmail-submission runs without rules."},
  {"qmail-qmqpd.rules", CTL_LIST, NULL, "tcprules", "source of qmail-qmqpd.cdb",
   "QMQP rule: %s", "No effect."},
  {"qmail-qmqpd.cdb", CTL_CDB, NULL, "tcpserver (boot/qmail-qmqpd)", "access rules for qmail-qmqpd",
   "tcpserver rules for qmail-qmqpd (%s entries).", "tcpserver for qmail-qmqpd runs without rules."},
  {"qmail-pop3d.rules", CTL_LIST, NULL, "tcprules", "source of qmail-pop3d.cdb",
   "POP3 rule: %s", "No effect."},
  {"qmail-pop3d.cdb", CTL_CDB, NULL, "tcpserver (boot/qmail-pop3d)", "access rules for the POP3 service",
   "tcpserver rules for POP3 (%s entries).", "tcpserver for POP3 runs without rules."},
  {"qmail-imapd.rules", CTL_LIST, NULL, "tcprules", "source of qmail-imapd.cdb",
   "IMAP rule: %s", "No effect."},
  {"qmail-imapd.cdb", CTL_CDB, NULL, "tcpserver (boot/qmail-imapd)", "access rules for the IMAP service",
   "tcpserver rules for IMAP (%s entries).", "tcpserver for IMAP runs without rules."},
  {"dovecot-imap.conf", CTL_RAW, NULL, "doveconf (boot/qmail-imapd: the IMAP engine after auth_imap)",
   "Dovecot settings of the IMAP engine (Dovecot's own format)", "Dovecot engine setting: %s", "No IMAP engine settings."},
  /* obsolete, flagged by qmail-showctl */
  {"tarpitcount", CTL_OBSOLETE, NULL, "", "now the environment variable TARPITCOUNT"},
  {"tarpitdelay", CTL_OBSOLETE, NULL, "", "now the environment variable TARPITDELAY"},
  {"maxrcptcount", CTL_OBSOLETE, NULL, "", "now the environment variable MAXRCPTCOUNT"},
  {"rblonlyheader", CTL_OBSOLETE, NULL, "", "now the environment variable RBLONLYHEADER"},
  {"ldapdefaultquota", CTL_OBSOLETE, NULL, "", "replaced by defaultquotasize and defaultquotacount"},
  {"ldapusername", CTL_OBSOLETE, NULL, "", "no longer used"},
  {"ldappasswdappend", CTL_OBSOLETE, NULL, "", "no longer used"},
};
#pragma GCC diagnostic pop
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

int ctl_cdbkey(const char *line, size_t len, sb *key)
{
  int n;
  if (memchr(line, '\n', len)) { errno = EINVAL; return -1; }
  /* one line through the list parser keeps the two forms in step */
  n = ctl_parse_list(line, len, key);
  if (n < 0) return -1;
  if (n == 0) { key->len = 0; return 0; }
  sb_trunc(key, key->len - 1);   /* the entry's terminating \0 */
  sb_lower(key);
  return 1;
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
