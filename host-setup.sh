#!/bin/sh
# host-setup.sh [hostname]: a running qmail-ldap mail host in one command
# (README's first command). Run as root in the source tree on Debian 12.
#
# Installs the Debian packages, builds, installs into conf-qmail ("make
# setup check"), writes the control files that are missing, sets up the
# embedded directory (OpenLDAP slapd with qmail.schema on 127.0.0.1:389,
# an example organisation and user) unless control/ldapserver names
# another directory, runs everything under daemontools (/etc/service):
# SMTP (25, smtps 465, submission 587), QMQP (628), POP3 (110, pop3s
# 995) and IMAP (143, imaps 993, Dovecot's imap as the engine); waits
# until the services answer, then sends a message over SMTP, shows it in
# the user's Maildir and reads it back over POP3 and IMAP, and shows the
# user in qmail-ldaplookup.
#
# Rerunning is safe: existing control files, the queue, mailboxes, the
# directory database and its entries are never replaced or removed.
# Without control/smtpcert it makes a self-signed certificate for
# control/me (control/cert.pem, key.pem) for STARTTLS, smtps (465),
# submission (587), POP3 (STLS, 995) and IMAP (STARTTLS, 993); an
# existing certificate is never replaced.
set -u
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
umask 022

say() { echo "host-setup: $*"; }
die() { echo "host-setup: fatal: $*" >&2; exit 1; }
step() { echo; echo "=== $*"; }

# wait_for SECONDS WHAT COMMAND...: poll until COMMAND succeeds.
wait_for() {
  _t=$1 _what=$2; shift 2
  _end=$(( $(date +%s) + _t ))
  until "$@"; do
    if [ "$(date +%s)" -ge "$_end" ]; then
      echo "host-setup: gave up waiting ${_t}s for $_what" >&2
      return 1
    fi
    sleep 0.2
  done
}

[ "$(id -u)" = 0 ] || die "run me as root"
top=$(cd "$(dirname "$0")" && pwd) || die "cannot find the source tree"
cd "$top" || die "cannot cd to $top"
[ -f Makefile ] && [ -f conf-qmail ] && [ -f tests/deps ] || die "run me from the qmail-ldap source tree"
[ $# -le 1 ] || die "usage: sh host-setup.sh [hostname]"
LOG=$top/host-setup.log
: > "$LOG" || die "cannot write $LOG"

QMAIL=$(head -n 1 conf-qmail)
CTL=$QMAIL/control
LDAPDIR=$QMAIL/ldap
MAILDIRS=$QMAIL/maildirs
SVDIR=/etc/service
VUSER=vmail

# ---------------------------------------------------------------- helpers

# put NAME LINE...: control/NAME with these lines, only if it is missing.
put() {
  _f=$CTL/$1; shift
  if [ -e "$_f" ]; then
    say "kept control/$(basename "$_f"): $(head -n 1 "$_f")"
    return 0
  fi
  printf '%s\n' "$@" > "$_f.tmp$$" && chmod 644 "$_f.tmp$$" && mv "$_f.tmp$$" "$_f" ||
    die "cannot write $_f"
  say "wrote control/$(basename "$_f"): $*"
}

# pids of processes running the executable $1 (also a replaced one:
# "make setup" renames new programs over the running ones)
pids_of() {
  for _p in /proc/[0-9]*; do
    case $(readlink "$_p/exe" 2>/dev/null) in
      "$1"|"$1 (deleted)") echo "${_p#/proc/}" ;;
    esac
  done
}
running() { [ -n "$(pids_of "$1")" ]; }

# listeners PORT: "pid executable" of every process listening on TCP PORT.
listeners() {
  python3 - "$1" <<'PY'
import os, sys
port, inodes = int(sys.argv[1]), set()
for name in ("/proc/net/tcp", "/proc/net/tcp6"):
    try:
        for line in open(name).readlines()[1:]:
            f = line.split()
            if f[3] == "0A" and int(f[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f[9])
    except OSError:
        pass
for pid in sorted(p for p in os.listdir("/proc") if p.isdigit()):
    try:
        for fd in os.listdir("/proc/%s/fd" % pid):
            link = os.readlink("/proc/%s/fd/%s" % (pid, fd))
            if link.startswith("socket:[") and link[8:-1] in inodes:
                print(pid, os.readlink("/proc/%s/exe" % pid))
                break
    except OSError:
        pass
PY
}

# answers HOST PORT [PREFIX]: a TCP connect works (and the first line
# starts with PREFIX).
answers() {
  python3 - "$1" "$2" "${3:-}" <<'PY' 2>/dev/null
import socket, sys
host, port, want = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.create_connection((host, port), 3)
if want:
    s.settimeout(5)
    line = s.makefile("rb").readline().decode("latin-1")
    sys.exit(0 if line.startswith(want) else 1)
PY
}

# smtp_probe tls|starttls HOST PORT: "tls": a TLS handshake, then a 220
# greeting (smtps); "starttls": a 220 greeting, then EHLO offers STARTTLS.
smtp_probe() {
  python3 - "$@" <<'PY' 2>/dev/null
import socket, ssl, sys
mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.create_connection((host, port), 3)
s.settimeout(10)
if mode == "tls":
    ctx = ssl.create_default_context()
    # this proves TLS is spoken; the certificate may well be self-signed
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = ctx.wrap_socket(s)
f = s.makefile("rwb")
def reply():
    lines = []
    while True:
        l = f.readline().decode("latin-1")
        if not l:
            sys.exit(1)
        lines.append(l)
        if l[3:4] != "-":
            return lines
if not reply()[0].startswith("220"):
    sys.exit(1)
if mode == "starttls":
    f.write(b"EHLO localhost\r\n"); f.flush()
    r = reply()
    if not r[-1].startswith("250") or not any(l[4:].strip().upper() == "STARTTLS" for l in r):
        sys.exit(1)
f.write(b"QUIT\r\n"); f.flush()
PY
}

# access_probe pop3|pop3s|imap|imaps HOST PORT: "pop3": a +OK greeting
# and STLS in CAPA; "imap": a * OK greeting offering STARTTLS; "pop3s",
# "imaps": a TLS handshake, then that greeting.
access_probe() {
  python3 - "$@" <<'PY' 2>/dev/null
import socket, ssl, sys
mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.create_connection((host, port), 3)
s.settimeout(10)
if mode.endswith("s"):
    # this proves TLS is spoken; the certificate may well be self-signed
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = ctx.wrap_socket(s)
f = s.makefile("rwb")
g = f.readline()
if mode.startswith("imap"):
    sys.exit(0 if g.startswith(b"* OK ") and (mode == "imaps" or b"STARTTLS" in g) else 1)
if not g.startswith(b"+OK "):
    sys.exit(1)
if mode == "pop3":
    f.write(b"CAPA\r\n"); f.flush()
    caps = []
    while True:
        l = f.readline()
        if not l: sys.exit(1)
        if l == b".\r\n": break
        caps.append(l.strip())
    if b"STLS" not in caps: sys.exit(1)
f.write(b"QUIT\r\n" if mode.startswith("pop3") else b"a LOGOUT\r\n"); f.flush()
PY
}

# units NAME: the systemd units of a packaged daemon (Dovecot is socket-
# activated: its socket unit would take the ports back)
units() { case $1 in dovecot) echo dovecot.socket dovecot.service ;; *) echo "$1" ;; esac; }

# stop_debian_service NAME: stop and disable a packaged daemon that holds
# a port we need (Debian starts exim4, postfix, slapd or dovecot on
# installation).
stop_debian_service() {
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    systemctl disable --now $(units "$1") >> "$LOG" 2>&1 || return 1
    say "stopped and disabled Debian's $1 service (undo: systemctl enable --now $(units "$1"))"
  elif [ -x "/etc/init.d/$1" ]; then
    "/etc/init.d/$1" stop >> "$LOG" 2>&1 || return 1
    update-rc.d "$1" disable >> "$LOG" 2>&1
    say "stopped and disabled Debian's $1 service (undo: update-rc.d $1 enable; /etc/init.d/$1 start)"
  else
    return 1
  fi
}

_port_free() { [ -z "$(listeners "$1")" ]; }

# free_port PORT SERVICE: make sure nothing but our SERVICE listens on PORT.
free_port() {
  _h=$(listeners "$1")
  [ -z "$_h" ] && return 0
  echo "$_h" | while read -r _pid _exe; do
    _svc=
    case $_exe in
      */exim4) _svc=exim4 ;;
      */postfix/*|*/master) _svc=postfix ;;
      */sendmail*) _svc=sendmail ;;
      */slapd) _svc=slapd ;;
      */dovecot) _svc=dovecot ;;
    esac
    say "port $1 (needed by $2) is in use by pid $_pid ($_exe)"
    if [ -z "$_svc" ] || ! stop_debian_service "$_svc"; then
      echo "host-setup: stop that program (or, for the directory, name your server in $CTL/ldapserver) and rerun" >&2
      exit 1
    fi
  done || exit 1
  wait_for 30 "port $1 to become free" _port_free "$1" || die "port $1 is still in use"
}

svscan_pid() {
  _real=$(cd "$SVDIR" 2>/dev/null && pwd -P) || return 0
  for _p in $(pids_of /usr/bin/svscan); do
    [ "$(readlink "/proc/$_p/cwd" 2>/dev/null)" = "$_real" ] && { echo "$_p"; return 0; }
  done
  return 0
}
_svscan_up() { [ -n "$(svscan_pid)" ]; }

# stop_dovecot: Debian's dovecot-imapd (tests/deps installs it for its
# imap binary, the engine behind auth_imap) comes with Dovecot's own
# daemon, which would hold 110, 143, 993 and 995 (and under systemd its
# socket unit takes them back): stopped and disabled when it runs or is
# enabled; left alone when it does neither.
stop_dovecot() {
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    _on=
    for _u in $(units dovecot); do
      systemctl is-enabled --quiet "$_u" 2>/dev/null && _on=1
      systemctl is-active --quiet "$_u" 2>/dev/null && _on=1
    done
    [ -n "$_on" ] || return 0
  elif [ -z "$(pids_of /usr/sbin/dovecot)" ]; then
    return 0
  fi
  stop_debian_service dovecot || die "cannot stop Debian's dovecot daemon; stop it (it holds the POP3/IMAP ports) and rerun"
}

# read_proof pop3|imap PORT USER PASSWORDFILE SUBJECT: log in on 127.0.0.1
# PORT with STLS / STARTTLS (the certificate checked for control/me
# against $CERT and the system's CAs), find the message with that
# Subject and show it, printing each step (never the password); exit 1
# with the reason.
read_proof() {
  python3 - "$@" "$CERT" "$HOST" <<'PY'
import imaplib, poplib, socket, ssl, sys
proto, port, user, pwfile, subject, cert, host = sys.argv[1:8]
want = b"Subject: " + subject.encode()
port = int(port)
pw = open(pwfile).read()
def say(t): print("  " + t); sys.stdout.flush()
def fail(t): print("host-setup: %s proof failed: %s" % (proto.upper(), t), file=sys.stderr); sys.exit(1)
# the client connects to 127.0.0.1 but checks the certificate for the host name
class POP3(poplib.POP3):
    def _create_socket(self, timeout): return socket.create_connection(("127.0.0.1", self.port), timeout)
class IMAP4(imaplib.IMAP4):
    def _create_socket(self, timeout): return socket.create_connection(("127.0.0.1", self.port), timeout)
def contexts():
    v = ssl.create_default_context()
    try: v.load_verify_locations(cert)
    except (OSError, ssl.SSLError): pass
    u = ssl.create_default_context()
    u.check_hostname = False
    u.verify_mode = ssl.CERT_NONE
    return [(v, "certificate verified for " + host), (u, "certificate NOT verified")]
def tlsinfo(sock, how): return "%s %s, %s" % (sock.version(), sock.cipher()[0], how)
try:
    if proto == "pop3":
        for ctx, how in contexts():
            p = POP3(host, port, timeout=30)
            say("S: " + p.getwelcome().decode("latin-1"))
            caps = p.capa()
            if "STLS" not in caps: fail("CAPA offers no STLS: %r" % sorted(caps))
            try:
                say("C: STLS          S: " + p.stls(ctx).decode("latin-1"))
                break
            except ssl.SSLError as e:
                say("TLS: %s; once more without verifying" % e.reason)
                p.close()
        else:
            fail("no TLS session after STLS")
        say("TLS: " + tlsinfo(p.sock, how))
        say("C: USER %s      S: %s" % (user, p.user(user).decode("latin-1")))
        say("C: PASS ...      S: " + p.pass_(pw).decode("latin-1"))
        n = p.stat()[0]
        hit = None
        for i in range(n, 0, -1):
            if want in p.top(i, 0)[1]:
                hit = i
                break
        if not hit: fail("none of the %d messages has the Subject %s" % (n, subject))
        resp, lines, octets = p.retr(hit)
        subj = [l.decode("latin-1") for l in lines if l.startswith(b"Subject: ")]
        say("C: RETR %d        S: %s; %s" % (hit, resp.decode("latin-1"), subj[0] if subj else "no Subject"))
        say("C: QUIT          S: " + p.quit().decode("latin-1"))
    else:
        for ctx, how in contexts():
            m = IMAP4(host, port, timeout=30)
            say("S: " + m.welcome.decode("latin-1")[:120])
            try:
                typ, d = m.starttls(ssl_context=ctx)
                # imaplib keeps no text of the tagged OK: the status is all there is
                say("C: a STARTTLS    S: %s" % typ)
                break
            except ssl.SSLError as e:
                say("TLS: %s; once more without verifying" % e.reason)
                try: m.shutdown()
                except OSError: pass
        else:
            fail("no TLS session after STARTTLS")
        say("TLS: " + tlsinfo(m.sock, how))
        typ, d = m.login(user, pw)
        say("C: b LOGIN %s ... S: %s %s" % (user, typ, d[0].decode("latin-1")[-40:]))
        typ, d = m.select("INBOX")
        say("C: c SELECT INBOX S: %s, %s messages" % (typ, d[0].decode("latin-1")))
        typ, d = m.search(None, "HEADER", "Subject", '"%s"' % subject)
        ids = d[0].split() if typ == "OK" else []
        if not ids: fail("no message in INBOX has the Subject %s" % subject)
        typ, d = m.fetch(ids[-1], "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        subj = d[0][1].decode("latin-1").strip() if typ == "OK" and isinstance(d[0], tuple) else ""
        if subj.encode() != want: fail("FETCH %s gave %r" % (ids[-1].decode(), d))
        say("C: d FETCH %s (BODY.PEEK[HEADER.FIELDS (SUBJECT)]) S: %s" % (ids[-1].decode(), subj))
        typ, d = m.logout()
        say("C: e LOGOUT      S: %s" % typ)
except (OSError, EOFError, poplib.error_proto, imaplib.IMAP4.error) as e:
    fail(repr(e))
PY
}

# link NAME: /etc/service/NAME -> QMAIL/boot/NAME unless it exists.
# Sets NEW=1 if the link was made now.
link() {
  NEW=0
  _l=$SVDIR/$1
  if [ -e "$_l" ] || [ -L "$_l" ]; then
    [ "$(readlink -f "$_l")" = "$(readlink -f "$QMAIL/boot/$1")" ] ||
      die "$_l exists and is not $QMAIL/boot/$1; move it away and rerun"
    return 0
  fi
  ln -s "$QMAIL/boot/$1" "$_l" || die "cannot link $_l"
  NEW=1
  say "linked $_l -> $QMAIL/boot/$1"
}
_up() { svok "$SVDIR/$1" && svstat "$SVDIR/$1" | grep -q ': up '; }
# supervised NAME: wait until svscan runs NAME and its logger.
supervised() {
  wait_for 30 "svscan to start $1 (it looks every 5 seconds)" _up "$1" ||
    die "service $1 is not up: $(svstat "$SVDIR/$1" 2>&1); see $QMAIL/log/$1/current"
  wait_for 30 "the logger of $1" _up "$1/log" ||
    die "the logger of $1 is not up: $(svstat "$SVDIR/$1/log" 2>&1)"
}

# value FILE KEY: "KEY: value" line of ldap.admin
value() { sed -n "s/^$2: //p" "$1" | head -n 1; }
randpw() { openssl rand -base64 18 | tr -d '/+=\n' | cut -c1-16; }
_ldap_up() { ldapsearch -x -H "$LDAPURL" -b "$BASEDN" -s base dn > /dev/null 2>&1; }
ldap_exists() { ldapsearch -x -H "$LDAPURL" -b "$1" -s base dn > /dev/null 2>&1; }
# ldap_add_missing DN < ldif: add the entry unless it is there.
ldap_add_missing() {
  if ldap_exists "$1"; then cat > /dev/null; say "kept entry $1"; return 0; fi
  _pwf=$(mktemp) || die "mktemp failed"
  printf '%s' "$ADMINPW" > "$_pwf"
  if ldapadd -x -H "$LDAPURL" -D "$ADMINDN" -y "$_pwf" >> "$LOG" 2>&1; then
    rm -f "$_pwf"; say "added entry $1"
  else
    rm -f "$_pwf"; die "ldapadd of $1 failed, see $LOG"
  fi
}

# ------------------------------------------------------------ 1. packages
step "Debian packages (tests/deps, daemontools-run)"
sh tests/deps < /dev/null >> "$LOG" 2>&1 || die "installing packages failed, see $LOG"
# daemontools-run is Debian's svscan on /etc/service (systemd unit or
# inittab); it conflicts with runit, where we run svscan ourselves.
if ! dpkg-query -W -f='${Status}' daemontools-run 2>/dev/null | grep -q 'install ok installed' &&
   ! dpkg-query -W -f='${Status}' runit 2>/dev/null | grep -q 'install ok installed'; then
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends daemontools-run \
    < /dev/null >> "$LOG" 2>&1 || die "installing daemontools-run failed, see $LOG"
fi
say "packages are installed"

# ------------------------------------------------------- 2. build, install
step "build and install into $QMAIL (make; make setup check)"
if ! make -j2 >> "$LOG" 2>&1 || ! make setup check >> "$LOG" 2>&1; then
  tail -n 25 "$LOG" >&2
  die "build or installation failed, see $LOG"
fi
say "installed into $QMAIL"

# ------------------------------------------------------- 3. control files
step "control files in $CTL"
if [ -s "$CTL/me" ]; then
  HOST=$(head -n 1 "$CTL/me")
  [ $# = 1 ] && [ "$1" != "$HOST" ] && say "control/me says $HOST; keeping it (remove it to use $1)"
else
  HOST=${1:-$(hostname -f 2>/dev/null || hostname)}
fi
HOST=$(echo "$HOST" | tr 'A-Z' 'a-z')
case $HOST in
  ''|*[!a-z0-9.-]*|.*|*.|*..*|-*) die "not a host name: '$HOST' (give one: sh host-setup.sh mail.example.com)" ;;
esac
# the mail domain: drop the first label when at least two dots remain (as config-fast)
DOMAIN=$(echo "$HOST" | sed 's/^\([^.]*\)\.\([^.]*\)\./\2./')
put me "$HOST"
put defaultdomain "$DOMAIN"
put plusdomain "$DOMAIN"
if [ "$DOMAIN" = "$HOST" ]; then
  put locals "$HOST"
  put rcpthosts "$HOST"
else
  put locals "$HOST" "$DOMAIN"
  put rcpthosts "$HOST" "$DOMAIN"
fi
put defaultdelivery ./Maildir/

# ----------------------------------------------------- 3b. certificate
# qmail-smtpd (STARTTLS on 25 and 587, smtps on 465) reads the key as
# qmaild with its one group nofiles (tcpserver -U), so the key is
# qmaild's, mode 0600; the certificate is public.
step "TLS certificate (control/smtpcert, control/smtpkey)"
DUSER=$(sed -n 2p conf-users)
id "$DUSER" > /dev/null 2>&1 || die "the qmail daemon user $DUSER (conf-users) does not exist"
# qmaild_reads FILE: qmail-smtpd will be able to read FILE
qmaild_reads() { setuidgid "$DUSER" test -r "$1"; }
if [ -s "$CTL/smtpcert" ]; then
  CERT=$(head -n 1 "$CTL/smtpcert")
  KEY=$CERT
  [ -s "$CTL/smtpkey" ] && KEY=$(head -n 1 "$CTL/smtpkey")
  say "kept control/smtpcert: $CERT"
  [ "$KEY" = "$CERT" ] || say "kept control/smtpkey: $KEY"
  qmaild_reads "$CERT" || die "$DUSER cannot read $CERT (control/smtpcert); qmail-smtpd needs it"
  qmaild_reads "$KEY" || die "$DUSER cannot read the key $KEY; make it $DUSER's, mode 0600"
elif [ -e "$CTL/cert.pem" ] || [ -e "$CTL/key.pem" ] || [ -e "$CTL/smtpkey" ]; then
  # never replace a certificate or key, not even one control/smtpcert forgot
  die "control/smtpcert is missing but $CTL/cert.pem, $CTL/key.pem or control/smtpkey exists: write the certificate's path into control/smtpcert (and the key's into control/smtpkey), or remove them, and rerun"
else
  CERT=$CTL/cert.pem KEY=$CTL/key.pem
  _cnf=$(mktemp) || die "mktemp failed"
  # a leaf certificate for this host: its name in subjectAltName (what
  # clients check), not a CA
  cat > "$_cnf" <<EOF
[req]
distinguished_name = dn
[dn]
[leaf]
subjectAltName = DNS:$HOST
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
EOF
  # EC P-256: every current client, and a cheap handshake for a server
  # that starts per connection. 10 years: a self-signed certificate a
  # client was told to trust should not expire under it unannounced.
  rm -f "$CERT.tmp$$" "$KEY.tmp$$"
  if ! (umask 077 && openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
          -days 3650 -subj "/CN=$HOST" -config "$_cnf" -extensions leaf \
          -keyout "$KEY.tmp$$" -out "$CERT.tmp$$" >> "$LOG" 2>&1); then
    rm -f "$_cnf" "$CERT.tmp$$" "$KEY.tmp$$"
    die "openssl could not make a certificate, see $LOG"
  fi
  rm -f "$_cnf"
  chown "$DUSER" "$KEY.tmp$$" && chmod 600 "$KEY.tmp$$" && chmod 644 "$CERT.tmp$$" &&
    mv "$KEY.tmp$$" "$KEY" && mv "$CERT.tmp$$" "$CERT" || die "cannot install $CERT and $KEY"
  # smtpcert last: while it is missing, a rerun knows nothing was set up
  put smtpkey "$KEY"
  put smtpcert "$CERT"
  say "self-signed certificate made for $HOST: $CERT (key $KEY, $DUSER's, mode 0600),"
  say "  valid until $(openssl x509 -noout -enddate -in "$CERT" | sed 's/^notAfter=//');"
  say "  mail programs will warn that nobody vouches for it. Replace it with a real one:"
  say "  write the paths of your certificate chain and its key into $CTL/smtpcert"
  say "  and $CTL/smtpkey (the key owned by $DUSER, mode 0600); new sessions use it at once"
fi

# ------------------------------------------------------------ 4. directory
EMBEDDED=1
if [ -s "$CTL/ldapserver" ] &&
   ! { [ "$(cat "$CTL/ldapserver")" = 127.0.0.1 ] && [ -d "$LDAPDIR/slapd.d" ]; }; then
  EMBEDDED=0
fi
ADMINFILE=$CTL/ldap.admin
LDAPURL=ldap://127.0.0.1:389/
if [ $EMBEDDED = 1 ]; then
  step "embedded directory in $LDAPDIR"
  BASEDN=$(echo "$DOMAIN" | sed 's/^/dc=/; s/\./,dc=/g')
  if [ -s "$CTL/ldapbasedn" ]; then BASEDN=$(head -n 1 "$CTL/ldapbasedn"); fi
  ADMINDN=cn=admin,$BASEDN
  ELVISDN=uid=elvis,ou=people,$BASEDN
  # credentials first, so a failure later never loses them
  if [ ! -s "$ADMINFILE" ]; then
    if [ -d "$LDAPDIR/slapd.d" ]; then
      say "warning: $LDAPDIR exists but $ADMINFILE does not: the administrator password is unknown"
    fi
    (umask 077
     { echo "# The embedded directory of this host (written by host-setup.sh). Keep it secret."
       echo "url: $LDAPURL"
       echo "basedn: $BASEDN"
       echo "admindn: $ADMINDN"
       echo "adminpassword: $(randpw)"
       echo "exampledn: $ELVISDN"
       echo "examplepassword: $(randpw)"
     } > "$ADMINFILE.tmp$$" && chmod 600 "$ADMINFILE.tmp$$" && mv "$ADMINFILE.tmp$$" "$ADMINFILE") ||
      die "cannot write $ADMINFILE"
    say "wrote the directory credentials to $ADMINFILE (mode 0600)"
  else
    say "kept $ADMINFILE"
  fi
  ADMINDN=$(value "$ADMINFILE" admindn)
  ADMINPW=$(value "$ADMINFILE" adminpassword)
  ELVISDN=$(value "$ADMINFILE" exampledn)
  ELVISPW=$(value "$ADMINFILE" examplepassword)
  if [ ! -d "$LDAPDIR/slapd.d" ]; then
    "$QMAIL/bin/qmail-mkslapd" "$LDAPDIR" "$BASEDN" "$ADMINPW" "$QMAIL/doc/qmail.ldif" >> "$LOG" 2>&1 ||
      die "qmail-mkslapd failed, see $LOG"
    say "created the directory $BASEDN in $LDAPDIR"
  else
    say "kept the directory in $LDAPDIR"
  fi
  # mailboxes of directory users belong to one system user (seed section 4.4)
  if ! id "$VUSER" > /dev/null 2>&1; then
    useradd -r -U -M -d "$MAILDIRS" -s /usr/sbin/nologin -c "qmail-ldap mailboxes" "$VUSER" >> "$LOG" 2>&1 ||
      die "cannot create the user $VUSER"
    say "created the user $VUSER for the mailboxes"
  fi
  VUID=$(id -u "$VUSER") VGID=$(id -g "$VUSER")
  [ "$VUID" -ge 100 ] && [ "$VGID" -ge 100 ] || die "$VUSER has uid/gid $VUID/$VGID; qmailUID/qmailGID must be 100 or more"
  put ldapserver 127.0.0.1
  put ldapbasedn "$BASEDN"
  put ldapobjectclass qmailUser
  put ldapuid "$VUID"
  put ldapgid "$VGID"
  put ldapmessagestore "$MAILDIRS"
  # anonymous searches (the directory hides userPassword from them);
  # logins are checked by binding as the user
  put ldaprebind 1
  if [ ! -d "$MAILDIRS" ]; then
    mkdir -m 700 "$MAILDIRS" && chown "$VUSER:$VUSER" "$MAILDIRS" || die "cannot create $MAILDIRS"
  fi
  if [ ! -d "$MAILDIRS/elvis/Maildir" ]; then
    mkdir -p -m 700 "$MAILDIRS/elvis" && chown "$VUSER:$VUSER" "$MAILDIRS/elvis" &&
      setuidgid "$VUSER" "$QMAIL/bin/maildirmake" "$MAILDIRS/elvis/Maildir" ||
      die "cannot create $MAILDIRS/elvis/Maildir"
    say "created the example user's mailbox $MAILDIRS/elvis/Maildir"
  fi
  RCPT=elvis@$DOMAIN
  MAILBOX=$MAILDIRS/elvis/Maildir
else
  step "directory: control/ldapserver names $(head -n 1 "$CTL/ldapserver"); using it, no embedded directory"
  RCPT=postmaster@$HOST
  MAILBOX=$QMAIL/alias/Maildir
fi

# ------------------------------------------------------------ 5. rules
step "tcpserver rules (make -C $CTL)"
make -C "$CTL" >> "$LOG" 2>&1 || die "building the cdbs in $CTL failed, see $LOG"
say "built $(cd "$CTL" && ls *.cdb | tr '\n' ' ')"

# ------------------------------------------------------------ 6. svscan
step "svscan on $SVDIR"
mkdir -p "$SVDIR" || die "cannot create $SVDIR"
SVHOW=
if _svscan_up; then
  SVHOW="already running (pid $(svscan_pid))"
elif [ -d /run/systemd/system ] && dpkg-query -W -f='${Status}' daemontools-run 2>/dev/null | grep -q 'install ok installed'; then
  systemctl enable --now daemontools-run.service >> "$LOG" 2>&1 || die "systemctl enable --now daemontools-run failed"
  SVHOW="systemd unit daemontools-run.service (starts at boot)"
else
  # No init system runs it (a container, CI): start it detached, in its
  # own session, so it outlives this script.
  setsid svscanboot < /dev/null > /dev/null 2>&1 &
  SVHOW="started by host-setup (setsid svscanboot); nothing restarts it at boot here"
fi
wait_for 20 "svscan on $SVDIR" _svscan_up || die "svscan does not run on $SVDIR"
say "svscan: $SVHOW, pid $(svscan_pid)"

# ------------------------------------------------------------ 7. services
step "services"
if [ $EMBEDDED = 1 ]; then
  _up qmail-slapd 2>/dev/null || free_port 389 qmail-slapd
  link qmail-slapd
  supervised qmail-slapd
  wait_for 60 "slapd to answer on $LDAPURL" _ldap_up ||
    die "the directory does not answer; see $QMAIL/log/qmail-slapd/current"
  say "qmail-slapd answers on $LDAPURL"
  if [ -n "$ADMINPW" ]; then
    OU=$(echo "$ELVISDN" | sed 's/^[^,]*,//')
    printf 'dn: %s\nobjectClass: top\nobjectClass: organizationalUnit\nou: people\n' "$OU" |
      ldap_add_missing "$OU"
    ELVISHASH=$(slappasswd -h '{SSHA}' -s "$ELVISPW") || die "slappasswd failed"
    cat <<EOF | ldap_add_missing "$ELVISDN"
dn: $ELVISDN
objectClass: top
objectClass: person
objectClass: inetOrgPerson
objectClass: qmailUser
cn: Elvis Presley
sn: Presley
uid: elvis
mail: elvis@$DOMAIN
mailAlternateAddress: elvis.presley@$DOMAIN
mailAlternateAddress: the-king@$DOMAIN
mailHost: $HOST
mailMessageStore: $MAILDIRS/elvis
accountStatus: active
userPassword: $ELVISHASH
EOF
  else
    say "warning: no administrator password in $ADMINFILE: example entries not added"
  fi
fi

_qsend_up() { running "$QMAIL/bin/qmail-send" && running "$QMAIL/bin/qmail-lspawn"; }
_qsend_new() { _p=$(pids_of "$QMAIL/bin/qmail-send"); [ -n "$_p" ] && [ "$_p" != "$1" ]; }
if _up qmail 2>/dev/null && _qsend_up; then
  # running from an earlier setup: restart so the programs just installed run
  old=$(pids_of "$QMAIL/bin/qmail-send")
  svc -t "$SVDIR/qmail"
  wait_for 60 "qmail-send to restart" _qsend_new "$old" || die "qmail did not restart; see $QMAIL/log/qmail/current"
  say "restarted qmail to run the new programs"
fi
link qmail
supervised qmail
wait_for 60 "qmail-send and qmail-lspawn" _qsend_up || die "qmail-send is not running; see $QMAIL/log/qmail/current"
say "qmail (qmail-send) runs"

_smtp_up() { answers 127.0.0.1 25 220; }
# SMTP AUTH on port 25 too: users may submit there after STARTTLS (the
# default SMTPAUTH mode offers it only inside TLS and to loopback clients)
SMTPAUTHF=$QMAIL/boot/qmail-smtpd/env/SMTPAUTH
# port25auth: what boot/qmail-smtpd/env/SMTPAUTH means (envdir: an empty
# file unsets the variable)
port25auth() {
  if [ ! -s "$SMTPAUTHF" ]; then echo "off (env/SMTPAUTH is empty)"
  elif [ "$(head -n 1 "$SMTPAUTHF" | tr a-z A-Z)" = TLSREQUIRED ]; then echo "inside TLS only"
  else echo "inside TLS and from loopback clients"; fi
}
if [ -e "$SMTPAUTHF" ]; then
  say "kept $SMTPAUTHF: SMTP AUTH on port 25 $(port25auth)"
else
  echo 1 > "$SMTPAUTHF.tmp$$" && chmod 644 "$SMTPAUTHF.tmp$$" && mv "$SMTPAUTHF.tmp$$" "$SMTPAUTHF" ||
    die "cannot write $SMTPAUTHF"
  say "wrote $SMTPAUTHF: port 25 offers SMTP AUTH inside TLS (and to loopback clients); make it empty to switch that off"
  if _up qmail-smtpd 2>/dev/null; then
    svc -t "$SVDIR/qmail-smtpd"
    say "restarted qmail-smtpd to read it"
  fi
fi
_up qmail-smtpd 2>/dev/null || free_port 25 qmail-smtpd
link qmail-smtpd
supervised qmail-smtpd
wait_for 60 "an SMTP greeting on port 25" _smtp_up || die "nothing answers 220 on port 25; see $QMAIL/log/qmail-smtpd/current"
say "qmail-smtpd answers on port 25"

_qmqp_up() { answers 127.0.0.1 628; }
_up qmail-qmqpd 2>/dev/null || free_port 628 qmail-qmqpd
link qmail-qmqpd
supervised qmail-qmqpd
wait_for 60 "port 628" _qmqp_up || die "nothing listens on port 628; see $QMAIL/log/qmail-qmqpd/current"
say "qmail-qmqpd listens on port 628 (control/qmail-qmqpd.rules: cluster hosts only)"

_smtps_up() { smtp_probe tls 127.0.0.1 465; }
_up qmail-smtpsd 2>/dev/null || free_port 465 qmail-smtpsd
link qmail-smtpsd
supervised qmail-smtpsd
wait_for 60 "a TLS handshake and a greeting on port 465" _smtps_up ||
  die "nothing answers TLS and then 220 on port 465; see $QMAIL/log/qmail-smtpsd/current"
say "qmail-smtpsd answers on port 465 (TLS first, then 220; mail only after AUTH)"

_subm_up() { smtp_probe starttls 127.0.0.1 587; }
_up qmail-submission 2>/dev/null || free_port 587 qmail-submission
link qmail-submission
supervised qmail-submission
wait_for 60 "a greeting and STARTTLS on port 587" _subm_up ||
  die "port 587 does not answer 220 and offer STARTTLS; see $QMAIL/log/qmail-submission/current"
say "qmail-submission answers on port 587 (STARTTLS offered; mail only after STARTTLS and AUTH)"

# POP3 and IMAP: tcpserver as root (auth_pop and auth_imap become the
# user); the front ends' network halves run as qmaild
stop_dovecot
_pop3_up() { access_probe pop3 127.0.0.1 110; }
_up qmail-pop3d 2>/dev/null || free_port 110 qmail-pop3d
link qmail-pop3d
supervised qmail-pop3d
wait_for 60 "a greeting and STLS on port 110" _pop3_up ||
  die "port 110 does not answer +OK and offer STLS; see $QMAIL/log/qmail-pop3d/current"
say "qmail-pop3d answers on port 110 (STLS offered; USER/PASS and AUTH PLAIN only inside TLS or from loopback)"

_pop3s_up() { access_probe pop3s 127.0.0.1 995; }
_up qmail-pop3sd 2>/dev/null || free_port 995 qmail-pop3sd
link qmail-pop3sd
supervised qmail-pop3sd
wait_for 60 "a TLS handshake and a greeting on port 995" _pop3s_up ||
  die "nothing answers TLS and then +OK on port 995; see $QMAIL/log/qmail-pop3sd/current"
say "qmail-pop3sd answers on port 995 (pop3s: TLS first, then +OK)"

IMAPOK=0
if [ -x /usr/lib/dovecot/imap ] && command -v doveconf > /dev/null; then
  IMAPOK=1
  _imap_up() { access_probe imap 127.0.0.1 143; }
  _up qmail-imapd 2>/dev/null || free_port 143 qmail-imapd
  link qmail-imapd
  supervised qmail-imapd
  wait_for 60 "a greeting offering STARTTLS on port 143" _imap_up ||
    die "port 143 does not answer * OK with STARTTLS; see $QMAIL/log/qmail-imapd/current"
  say "qmail-imapd answers on port 143 (STARTTLS offered; LOGIN only inside TLS or from loopback; Dovecot's imap as the engine)"

  _imaps_up() { access_probe imaps 127.0.0.1 993; }
  _up qmail-imapsd 2>/dev/null || free_port 993 qmail-imapsd
  link qmail-imapsd
  supervised qmail-imapsd
  wait_for 60 "a TLS handshake and a greeting on port 993" _imaps_up ||
    die "nothing answers TLS and then * OK on port 993; see $QMAIL/log/qmail-imapsd/current"
  say "qmail-imapsd answers on port 993 (imaps: TLS first, then * OK)"
else
  say "skipped qmail-imapd and qmail-imapsd: no /usr/lib/dovecot/imap, the IMAP engine (apt-get install dovecot-imapd)"
fi

# ------------------------------------------------------------ 8. proof
step "proof: a message over SMTP to $RCPT"
STAMP=host-setup-$(date +%Y%m%d%H%M%S)-$$
# _delivered STAMP: a message carrying STAMP is in the mailbox
_delivered() { grep -l -s -F "$1" "$MAILBOX"/new/* "$MAILBOX"/cur/* 2>/dev/null | head -n 1 | grep -q .; }
if ! swaks --server 127.0.0.1 --port 25 --helo localhost --from "root@$HOST" --to "$RCPT" \
     --header "Subject: qmail-ldap works ($STAMP)" \
     --body "Sent by host-setup.sh over SMTP to prove that this host works." > "$LOG.swaks" 2>&1; then
  cat "$LOG.swaks" >&2
  die "the SMTP transaction failed"
fi
grep -E '^ *<- +(220|250 ok)' "$LOG.swaks" | sed 's/^ */  /'
rm -f "$LOG.swaks"
if wait_for 60 "the message in $MAILBOX" _delivered "$STAMP"; then
  f=$(grep -l -s -F "$STAMP" "$MAILBOX"/new/* "$MAILBOX"/cur/* | head -n 1)
  say "delivered to $f:"
  sed -n '1,/^$/p' "$f" | grep -E '^(Delivered-To|Return-Path|Received|Subject|To|From):' | sed 's/^/  /'
else
  echo "host-setup: the last lines of $QMAIL/log/qmail/current:" >&2
  tail -n 15 "$QMAIL/log/qmail/current" | tai64nlocal >&2
  [ $EMBEDDED = 1 ] && die "the message did not arrive in $MAILBOX"
  say "warning: with your directory the message may have gone elsewhere; see the log above"
fi

step "proof: a message submitted on port 587 (STARTTLS, AUTH PLAIN as elvis)"
if [ $EMBEDDED != 1 ]; then
  say "skipped: your directory has no example user whose password host-setup knows; try one of yours:"
  say "  swaks --server $HOST --port 587 -tls --auth PLAIN --auth-user UID --to ADDRESS"
elif [ ! -x "$QMAIL/bin/auth_smtp" ]; then
  say "skipped: $QMAIL/bin/auth_smtp is not installed, so no SMTP AUTH can succeed yet"
elif [ -z "$ELVISPW" ]; then
  say "skipped: no password for elvis in $ADMINFILE"
else
  STAMP2=$STAMP-587
  # the password goes through a 0600 file, never the command line, and
  # --auth-hide-password keeps it out of the transcript
  _swrc=$(mktemp) || die "mktemp failed"
  printf 'auth-user elvis\nauth-password %s\n' "$ELVISPW" > "$_swrc"
  if ! swaks --config "$_swrc" --server 127.0.0.1 --port 587 -tls --auth PLAIN --auth-hide-password \
       --helo localhost --from "elvis@$DOMAIN" --to "elvis@$DOMAIN" \
       --header "Subject: qmail-ldap submission works ($STAMP2)" \
       --body "Sent by host-setup.sh on port 587 after STARTTLS and AUTH PLAIN." > "$LOG.swaks" 2>&1; then
    rm -f "$_swrc"
    cat "$LOG.swaks" >&2
    die "the submission on port 587 failed"
  fi
  rm -f "$_swrc"
  grep -E '^ *<[-~] +(220|235|250 ok)' "$LOG.swaks" | sed 's/^ */  /'
  rm -f "$LOG.swaks"
  if wait_for 60 "the submitted message in $MAILBOX" _delivered "$STAMP2"; then
    f=$(grep -l -s -F "$STAMP2" "$MAILBOX"/new/* "$MAILBOX"/cur/* | head -n 1)
    say "submitted and delivered to $f:"
    # the Received field qmail-smtpd wrote (ESMTPSA: TLS and AUTH), folded lines too
    sed -n '1,/^$/p' "$f" | awk '/^[^ \t]/ { p = /^Subject:/ || (/^Received: from/ && !r++) } p' | sed 's/^/  /'
  else
    tail -n 15 "$QMAIL/log/qmail/current" | tai64nlocal >&2
    die "the submitted message did not arrive in $MAILBOX"
  fi
fi

step "proof: the message read back over POP3 and IMAP as elvis (STLS / STARTTLS)"
if [ $EMBEDDED != 1 ]; then
  say "skipped: your directory has no example user whose password host-setup knows; try one of yours:"
  say "  curl --ssl-reqd -k -u UID pop3://$HOST/1    curl --ssl-reqd -k -u UID 'imap://$HOST/INBOX;UID=1'"
elif [ -z "$ELVISPW" ]; then
  say "skipped: no password for elvis in $ADMINFILE"
else
  # the password goes through a 0600 file, never the command line
  _rpf=$(mktemp) || die "mktemp failed"
  printf '%s' "$ELVISPW" > "$_rpf"
  say "POP3 on port 110: STLS, USER/PASS as elvis, RETR of the proof message"
  if ! read_proof pop3 110 elvis "$_rpf" "qmail-ldap works ($STAMP)"; then
    rm -f "$_rpf"
    tail -n 8 "$QMAIL/log/qmail-pop3d/current" | tai64nlocal >&2
    die "reading the proof message over POP3 failed"
  fi
  if [ $IMAPOK = 1 ]; then
    say "IMAP on port 143: STARTTLS, LOGIN as elvis, SELECT INBOX, FETCH of the proof message's Subject"
    if ! read_proof imap 143 elvis "$_rpf" "qmail-ldap works ($STAMP)"; then
      rm -f "$_rpf"
      tail -n 8 "$QMAIL/log/qmail-imapd/current" | tai64nlocal >&2
      die "reading the proof message over IMAP failed"
    fi
  fi
  rm -f "$_rpf"
  _how=POP3
  [ $IMAPOK = 1 ] && _how="POP3 and IMAP"
  say "read over $_how: the message is in $MAILBOX/cur/ now (flagged seen)"
fi

step "qmail-ldaplookup -m $RCPT"
"$QMAIL/bin/qmail-ldaplookup" -m "$RCPT" 2>&1 | sed 's/^/  /'

# ------------------------------------------------------------ 9. summary
step "what runs where"
SVCS="qmail qmail-smtpd qmail-qmqpd qmail-smtpsd qmail-submission qmail-pop3d qmail-pop3sd"
[ $IMAPOK = 1 ] && SVCS="$SVCS qmail-imapd qmail-imapsd"
[ $EMBEDDED = 1 ] && SVCS="qmail-slapd $SVCS"
for s in $SVCS; do svstat "$SVDIR/$s" "$SVDIR/$s/log"; done | sed 's/^/  /'
cat <<EOF
  svscan $SVDIR: $SVHOW
  qmail        qmail-start ./Maildir/ (qmail-send, qmail-todo, qmail-lspawn, qmail-rspawn, qmail-clean)
  qmail-smtpd  tcpserver on port 25, rules $CTL/qmail-smtpd.rules (127.0.0.1 may relay)
  qmail-qmqpd  tcpserver on port 628, rules $CTL/qmail-qmqpd.rules (denies everybody)
  qmail-smtpsd tcpserver on port 465 (smtps: TLS first), rules $CTL/qmail-smtpsd.rules;
               mail only after AUTH, which lets the client relay
  qmail-submission  tcpserver on port 587, rules $CTL/qmail-submission.rules;
               mail only after STARTTLS and AUTH, which lets the client relay
  qmail-pop3d  tcpserver (as root) on port 110: qmail-popup, auth_pop, qmail-pop3d;
               STLS; USER/PASS and AUTH PLAIN only inside TLS or from loopback;
               rules $CTL/qmail-pop3d.rules
  qmail-pop3sd the same on port 995 (pop3s: TLS first)
EOF
[ $IMAPOK = 1 ] && cat <<EOF
  qmail-imapd  tcpserver (as root) on port 143: qmail-imaplogin, auth_imap, Dovecot's
               imap (no Dovecot daemon; $CTL/dovecot-imap.conf); STARTTLS;
               LOGIN only inside TLS or from loopback; rules $CTL/qmail-imapd.rules
  qmail-imapsd the same on port 993 (imaps: TLS first)
EOF
[ $EMBEDDED = 1 ] && echo "  qmail-slapd  slapd on 127.0.0.1:389 and $LDAPDIR/ldapi, database $LDAPDIR"
cat <<EOF
TLS (STARTTLS on 25 and 587, smtps on 465, STLS on 110, pop3s on 995,
  STARTTLS on 143, imaps on 993): certificate $CERT,
  key $KEY (control/smtpcert, control/smtpkey).
  SMTP AUTH on 465 and 587: inside TLS; on 25: $(port25auth)
EOF
if [ $EMBEDDED = 1 ]; then
  cat <<EOF
Logs: $QMAIL/log/<service>/current (tai64nlocal < ... makes the times readable).
Run scripts: $QMAIL/boot/<service>/run, settings in $QMAIL/boot/<service>/env/.

The directory $BASEDN (credentials in $ADMINFILE, mode 0600):
  administrator  $ADMINDN  password $ADMINPW
  example user   $ELVISDN  password $ELVISPW
                 mail elvis@$DOMAIN, mailbox $MAILBOX; reads it over
                 POP3 (110 STLS, 995) and IMAP (143 STARTTLS, 993) as elvis
Add users:  ldapadd -x -H $LDAPURL -D $ADMINDN -W -f user.ldif
            (see QLDAPINSTALL section 2; each mailMessageStore directory
            must exist, owned by $VUSER)
EOF
else
  echo "Logs: $QMAIL/log/<service>/current; run scripts: $QMAIL/boot/<service>/run."
fi
cat <<EOF

Stop a service:  svc -d $SVDIR/qmail-smtpd        (start again: svc -u;
                 likewise $(echo "$SVCS" | sed 's/qmail-smtpd //; s/ /, /g'))
Stop everything and remove it from svscan:
  cd $SVDIR && rm $SVCS && svc -dx $(for s in $SVCS; do printf '%s ' "$QMAIL/boot/$s" "$QMAIL/boot/$s/log"; done)
EOF
