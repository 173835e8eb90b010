#!/bin/sh
# README's first command, "sh host-setup.sh HOSTNAME", end to end, without
# touching the real host: a copy of the source tree with conf-qmail under
# $T, run inside unshare(1) namespaces -- a mount namespace where a private
# directory is bind-mounted on /etc/service, a network namespace (ports 25,
# 389 and 628 are free; only the namespace's loopback) and a PID namespace
# (host-setup's "is svscan running" sees only the namespace; when its init
# exits, the kernel stops everything that was started in it).
#  1. a fresh run: exit 0, the proof message in elvis's Maildir, the
#     qmail-ldaplookup output, ldap.admin mode 0600, every service up; a
#     self-signed certificate for the host (key qmaild's, 0600) that smtps
#     (465, TLS first), submission (587, STARTTLS), POP3 (110 STLS, 995)
#     and IMAP (143 STARTTLS, 993) present; the submission proof
#     (STARTTLS + AUTH PLAIN as elvis) delivered, or skipped with a
#     message while bin/auth_smtp is not installed; the proof message
#     read back over POP3 (STLS, RETR) and IMAP (STARTTLS, FETCH) as
#     elvis, tcpserver (not Dovecot's daemon) on 110, 143, 993, 995;
#  2. a second run while everything runs: exit 0, queue, mailbox, control
#     files, certificate, ldap.admin and the directory entries kept;
#  3. a fresh run where control/ldapserver names another directory (a test
#     slapd): no embedded directory, no qmail-slapd service, no
#     submission or POP3/IMAP proof (no known password);
#  4. the real /etc/service and /var/qmail are untouched and nothing is left
#     running.
# Builds its own tree, so it runs in the plain pass only.
. "$(dirname "$0")/../lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)

if [ "${SAN:-}" = asan ]; then
  ok "host-setup: skipped in the asan pass (it builds its own tree; runs in the plain pass)"
  done_testing; exit
fi
for c in unshare ip svscan svstat svc swaks ldapsearch slapd; do
  command -v "$c" > /dev/null 2>&1 || [ -x "/usr/sbin/$c" ] ||
    { notok "host-setup: $c is installed" "missing $c"; done_testing; exit; }
done
if [ ! -d /etc/service ]; then
  notok "host-setup: /etc/service exists (bind-mount target)" "no /etc/service; install daemontools-run"
  done_testing; exit
fi
if ! unshare -m -n -p -f --kill-child --mount-proc true 2>/dev/null; then
  notok "host-setup: unshare -m -n -p works" "cannot create namespaces here"
  done_testing; exit
fi

HOSTNAME_=mail.example.com
SVCS="qmail-slapd qmail qmail-smtpd qmail-qmqpd qmail-smtpsd qmail-submission qmail-pop3d qmail-pop3sd qmail-imapd qmail-imapsd"

# The host state that must not change: the entries of /etc/service (name,
# type, inode, mode, link target; not "." or "..", whose times change with
# any package installed meanwhile), /var/qmail's control files and
# programs, and the host's svscan process on /etc/service.
hoststate() {
  find /etc/service -mindepth 1 -maxdepth 1 -printf '%p %y %i %m %l\n' 2>&1 | sort
  for d in /var/qmail/control /var/qmail/bin /var/qmail/boot; do
    [ -d "$d" ] && find "$d" -maxdepth 2 -printf '%p %i %m %s %T@ %l\n' 2>&1 | sort
  done
  # the host's svscan: the one on /etc/service (other tests run their own
  # on private directories meanwhile)
  _sv=$(cd /etc/service && pwd -P)
  for p in /proc/[0-9]*; do
    case $(readlink "$p/exe" 2>/dev/null) in
      */svscan) [ "$(readlink "$p/cwd" 2>/dev/null)" = "$_sv" ] && echo "svscan ${p#/proc/}" ;;
    esac
  done | sort
}
# ours: pids of processes of this test's trees (by executable or cwd)
ours() {
  for p in /proc/[0-9]*; do
    e=$(readlink "$p/exe" 2>/dev/null); w=$(readlink "$p/cwd" 2>/dev/null)
    case "$e $w" in *"$T/"*) echo "${p#/proc/}" ;; esac
  done
}
hoststate > "$T/host.before"

# the source tree, as tests/mkinstance copies it
copysrc() {  # copysrc DIR QMAILDIR
  mkdir -p "$1" || return 1
  (cd "$top" && if git rev-parse --git-dir > /dev/null 2>&1; then
       git ls-files -co --exclude-standard
     else
       ls -d *.c *.h *.sh conf-* Makefile *.[1578] INTERNALS README.md QLDAPINSTALL qmail.schema tests boot 2>/dev/null
     fi) > "$1.list" || return 1
  (cd "$top" && while IFS= read -r f; do
     [ -e "$f" ] || continue
     mkdir -p "$1/$(dirname "$f")" && cp -p "$f" "$1/$f" || exit 1
   done) < "$1.list" || return 1
  { echo "$2"; echo; echo "Private test instance (tests/integ/75-host-setup.sh)."; } > "$1/conf-qmail"
}
check "host-setup: source tree copied" copysrc "$T/src" "$T/q/qmail"
mkdir -p "$T/q" "$T/service" "$T/q2" "$T/service2" && chmod 755 "$T/q" "$T/q2"

# ------------------------------------------------ the first namespace session
# Runs as PID 1 of the namespaces; prints TAP lines.
cat > "$T/ns1.sh" <<'EOF'
set -u
. "$LIB"
Q=$T/q/qmail
ip link set lo up || { notok "host-setup: loopback up in the namespace"; exit 1; }
mount --bind "$T/service" /etc/service || { notok "host-setup: private /etc/service"; exit 1; }
# on a systemd host host-setup would hand svscan to systemd, outside the
# namespace: hide systemd from it here (the mount is private to the namespace)
[ -d /run/systemd ] && mount -t tmpfs none /run/systemd
svup() { svstat "/etc/service/$1" 2>/dev/null | grep -q ': up '; }
allup() {
  for s in $SVCS; do svup "$s" && svup "$s/log" || return 1; done
}
cd "$T/src" || exit 1

DEBIAN_FRONTEND=noninteractive sh host-setup.sh "$HOSTNAME_" < /dev/null > "$T/run1.out" 2>&1
rc=$?
check "host-setup: first run exits 0" test "$rc" = 0
[ "$rc" = 0 ] || { tail -n 20 "$T/run1.out" | sed 's/^/# /'; tail -n 20 "$T/src/host-setup.log" | sed 's/^/# /'; }
M=$Q/maildirs/elvis/Maildir
# now FILE: where a message reported in new/ is now (read over POP3 and
# IMAP it moved to cur/, with its flags after a ':')
now() {
  for _x in "$1" "$M/cur/$(basename "$1")":*; do [ -f "$_x" ] && { echo "$_x"; return; }; done
  echo /nonexistent
}
f=$(sed -n "s|^host-setup: delivered to \($M/new/[^:]*\):\$|\1|p" "$T/run1.out")
check "host-setup: reports the proof message in elvis's Maildir/new" test -n "$f"
check "host-setup: the proof message is there, sent over SMTP" \
  grep -q -E '^Subject: qmail-ldap works \(host-setup-' "$(now "${f:-/nonexistent}")"
check "host-setup: shows the SMTP transaction (250 ok)" grep -q -E '^  <- +250 ok' "$T/run1.out"
check "host-setup: shows qmail-ldaplookup -m elvis@example.com" \
  grep -q -F "=== qmail-ldaplookup -m elvis@example.com" "$T/run1.out"
check "host-setup: qmail-ldaplookup finds elvis's entry and mailbox" \
  sh -c 'sed -n "/^=== qmail-ldaplookup/,/^=== /p" "$1" | grep -q "uid=elvis,ou=people,dc=example,dc=com" &&
         sed -n "/^=== qmail-ldaplookup/,/^=== /p" "$1" | grep -q "$2"' - "$T/run1.out" "$Q/maildirs/elvis"
check "host-setup: control/ldap.admin is mode 600" test "$(stat -c %a "$Q/control/ldap.admin" 2>/dev/null)" = 600
check "host-setup: control/me is $HOSTNAME_" test "$(cat "$Q/control/me" 2>/dev/null)" = "$HOSTNAME_"
check "host-setup: control/ldapserver is 127.0.0.1" test "$(cat "$Q/control/ldapserver" 2>/dev/null)" = 127.0.0.1
check "host-setup: the embedded directory is in $Q/ldap" test -d "$Q/ldap/slapd.d"
for s in $SVCS; do
  check "host-setup: /etc/service/$s links to $Q/boot/$s" test "$(readlink "/etc/service/$s")" = "$Q/boot/$s"
done
check "host-setup: every service and its logger is up (svstat)" allup
[ -n "$(ls "$T/service")" ] || notok "host-setup: the links are in the bind-mounted $T/service"

# ---- the certificate and the TLS services
C=$Q/control
check "host-setup: says it made a self-signed certificate for $HOSTNAME_ and how to replace it" \
  sh -c 'grep -q "^host-setup: self-signed certificate made for $2: $3/cert.pem" "$1" &&
         grep -q "Replace it with a real one" "$1"' - "$T/run1.out" "$HOSTNAME_" "$C"
check "host-setup: control/smtpcert names control/cert.pem" test "$(cat "$C/smtpcert" 2>/dev/null)" = "$C/cert.pem"
check "host-setup: control/smtpkey names control/key.pem" test "$(cat "$C/smtpkey" 2>/dev/null)" = "$C/key.pem"
check "host-setup: the key is qmaild's, mode 600" test "$(stat -c '%U %a' "$C/key.pem" 2>/dev/null)" = "qmaild 600"
check "host-setup: the certificate is mode 644" test "$(stat -c %a "$C/cert.pem" 2>/dev/null)" = 644
check "host-setup: the certificate names $HOSTNAME_ in subjectAltName" \
  sh -c 'openssl x509 -noout -ext subjectAltName -in "$1" | grep -q "DNS:$2\$"' - "$C/cert.pem" "$HOSTNAME_"
check "host-setup: the key belongs to the certificate" \
  sh -c '[ "$(openssl x509 -noout -pubkey -in "$1" | md5sum)" = "$(openssl pkey -pubout -in "$2" | md5sum)" ]' - \
  "$C/cert.pem" "$C/key.pem"
check "host-setup: boot/qmail-smtpd/env/SMTPAUTH written (AUTH on port 25 too)" \
  test "$(cat "$Q/boot/qmail-smtpd/env/SMTPAUTH" 2>/dev/null)" = 1
# tlschk PORT MODE: the certificate presented verifies against control/cert.pem
# for the host name; smtps: TLS first, then 220; starttls: 220, EHLO offers
# STARTTLS, MAIL before it gets 530, then TLS and EHLO offers AUTH
tlschk() {
  python3 - "$1" "$2" "$C/cert.pem" "$HOSTNAME_" <<'PY'
import socket, ssl, sys
port, mode, ca, host = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
s = socket.create_connection(("127.0.0.1", port), 10)
s.settimeout(20)
if mode == "smtps":
    s = ctx.wrap_socket(s, server_hostname=host)
    sys.exit(0 if s.makefile("rb").readline().startswith(b"220 " + host.encode()) else 1)
f = s.makefile("rwb")
def reply():
    r = []
    while True:
        l = f.readline()
        if not l: sys.exit(1)
        r.append(l)
        if l[3:4] != b"-": return r
def cmd(c):
    f.write(c + b"\r\n"); f.flush(); return reply()
if not reply()[0].startswith(b"220"): sys.exit(1)
if b"250-STARTTLS\r\n" not in cmd(b"EHLO client.example"): sys.exit(1)
if not cmd(b"MAIL FROM:<x@client.example>")[0].startswith(b"530"): sys.exit(1)
if not cmd(b"STARTTLS")[0].startswith(b"220"): sys.exit(1)
t = ctx.wrap_socket(s, server_hostname=host)
f = t.makefile("rwb")
sys.exit(0 if any(l.startswith(b"250-AUTH ") for l in cmd(b"EHLO client.example")) else 1)
PY
}
check "host-setup: port 465 speaks TLS first with the certificate, then greets" tlschk 465 smtps
check "host-setup: port 587 wants STARTTLS (530 before it), then offers AUTH, with the certificate" tlschk 587 starttls
AUTHOK=0
[ -x "$Q/bin/auth_smtp" ] && AUTHOK=1
if [ $AUTHOK = 1 ]; then
  g=$(sed -n "s|^host-setup: submitted and delivered to \($M/new/[^:]*\):\$|\1|p" "$T/run1.out")
  check "host-setup: the message submitted on 587 as elvis is in elvis's Maildir/new" test -n "$g"
  check "host-setup: it came with STARTTLS and AUTH (ESMTPSA, elvis@)" \
    sh -c 'grep -q "(elvis@\[127\.0\.0\.1\])\$" "$1" && grep -q " with ESMTPSA (TLSv1" "$1"' - "$(now "${g:-/nonexistent}")"
  check "host-setup: the submission transcript shows 235 after TLS" grep -q -E '^  <~ +235 ' "$T/run1.out"
  check "host-setup: the submission transcript shows no password" \
    sh -c '! sed -n "/^=== proof: a message submitted/,/^=== /p" "$2" | grep -q -F "$(sed -n "s/^examplepassword: //p" "$1")"' - \
    "$Q/control/ldap.admin" "$T/run1.out"
  NMSG=2
else
  check "host-setup: says the submission proof is skipped without bin/auth_smtp" \
    grep -q "^host-setup: skipped: $Q/bin/auth_smtp is not installed" "$T/run1.out"
  NMSG=1
fi
check "host-setup: elvis has $NMSG messages" test "$(maildir_count "$M")" = "$NMSG"

# ---- POP3 and IMAP
# the proof read back: each step printed, the certificate verified, the
# proof message's Subject shown, the password never
proof() { sed -n '/^=== proof: the message read back over POP3 and IMAP/,/^=== /p' "$1"; }
proof "$T/run1.out" > "$T/proof1"
stamp1=$(sed -n 's/^Subject: qmail-ldap works (\(host-setup-[0-9-]*\))$/\1/p' "$(now "${f:-/nonexistent}")")
check "host-setup: POP3 proof: STLS with the certificate verified for $HOSTNAME_" \
  sh -c 'grep -q "^  C: STLS  *S: +OK" "$1" && [ "$(grep -c "^  TLS: TLSv1\.[23] .*, certificate verified for $2\$" "$1")" = 2 ]' - \
  "$T/proof1" "$HOSTNAME_"
check "host-setup: POP3 proof: USER/PASS as elvis, RETR shows the proof message's Subject" \
  sh -c 'grep -q "^  C: PASS \.\.\.  *S: +OK [0-9]* messages" "$1" &&
         grep -q "^  C: RETR [0-9]*  *S: +OK [0-9]* octets; Subject: qmail-ldap works ($2)\$" "$1"' - "$T/proof1" "$stamp1"
check "host-setup: IMAP proof: STARTTLS, LOGIN, SELECT INBOX, FETCH of the Subject" \
  sh -c 'grep -q "^  C: a STARTTLS  *S: OK" "$1" && grep -q "^  C: b LOGIN elvis \.\.\. S: OK .*Logged in" "$1" &&
         grep -q "^  C: c SELECT INBOX S: OK, [0-9]* messages" "$1" &&
         grep -q "^  C: d FETCH [0-9]* (BODY.PEEK\[HEADER.FIELDS (SUBJECT)\]) S: Subject: qmail-ldap works ($2)\$" "$1"' - \
  "$T/proof1" "$stamp1"
check "host-setup: the POP3/IMAP proof shows no password" \
  sh -c '! grep -q -F "$(sed -n "s/^examplepassword: //p" "$1")" "$2"' - "$Q/control/ldap.admin" "$T/proof1"
check "host-setup: the proof message was read: in cur/, flagged seen" \
  sh -c 'case $1 in "$2"/cur/*:2,*S*) true ;; *) false ;; esac' - "$(now "${f:-/nonexistent}")" "$M"
# accesschk PORT MODE: 110 STLS / 143 STARTTLS offered and working, 995 /
# 993 TLS first; the certificate verifies for the host name; the greeting
accesschk() {
  python3 - "$1" "$2" "$C/cert.pem" "$HOSTNAME_" <<'PY'
import socket, ssl, sys
port, mode, ca, host = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
s = socket.create_connection(("127.0.0.1", port), 10)
s.settimeout(20)
if mode in ("pop3s", "imaps"):
    s = ctx.wrap_socket(s, server_hostname=host)
f = s.makefile("rwb")
g = f.readline()
if mode.startswith("pop3"):
    if not g.startswith(b"+OK <") or not g.rstrip().endswith(b"@" + host.encode() + b">"): sys.exit(1)
    if mode == "pop3":
        f.write(b"STLS\r\n"); f.flush()
        if not f.readline().startswith(b"+OK"): sys.exit(1)
        t = ctx.wrap_socket(s, server_hostname=host)
        f = t.makefile("rwb")
    f.write(b"CAPA\r\n"); f.flush()
    caps = []
    while True:
        l = f.readline()
        if not l or l == b".\r\n": break
        caps.append(l.strip())
    sys.exit(0 if b"USER" in caps and b"STLS" not in caps else 1)
if not g.startswith(b"* OK ") or (mode == "imap") != (b"STARTTLS" in g): sys.exit(1)
if mode == "imap":
    f.write(b"a STARTTLS\r\n"); f.flush()
    if not f.readline().startswith(b"a OK"): sys.exit(1)
    t = ctx.wrap_socket(s, server_hostname=host)
    f = t.makefile("rwb")
f.write(b"b CAPABILITY\r\n"); f.flush()
l = f.readline()
sys.exit(0 if l.startswith(b"* CAPABILITY ") and b"AUTH=PLAIN" in l and b"STARTTLS" not in l else 1)
PY
}
check "host-setup: port 110 offers STLS, with the certificate; inside TLS CAPA offers USER" accesschk 110 pop3
check "host-setup: port 995 speaks TLS first with the certificate, then +OK" accesschk 995 pop3s
check "host-setup: port 143 offers STARTTLS, with the certificate; inside TLS AUTH=PLAIN" accesschk 143 imap
check "host-setup: port 993 speaks TLS first with the certificate, then * OK" accesschk 993 imaps
# owner PORT: the executable listening on TCP PORT
owner() {
  python3 - "$1" <<'PY'
import os, sys
port, inodes = int(sys.argv[1]), set()
for name in ("/proc/net/tcp", "/proc/net/tcp6"):
    for line in open(name).readlines()[1:]:
        x = line.split()
        if x[3] == "0A" and int(x[1].rsplit(":", 1)[1], 16) == port: inodes.add(x[9])
for pid in (p for p in os.listdir("/proc") if p.isdigit()):
    try:
        for fd in os.listdir("/proc/%s/fd" % pid):
            l = os.readlink("/proc/%s/fd/%s" % (pid, fd))
            if l.startswith("socket:[") and l[8:-1] in inodes: print(os.readlink("/proc/%s/exe" % pid)); break
    except OSError: pass
PY
}
check "host-setup: tcpserver (not Dovecot's daemon) holds 110, 143, 993 and 995" \
  test "$(for p in 110 143 993 995; do owner $p | sort -u; done | tr '\n' ' ')" = "/usr/bin/tcpserver /usr/bin/tcpserver /usr/bin/tcpserver /usr/bin/tcpserver "
check "host-setup: the summary names the POP3 and IMAP services" \
  sh -c 'for s in qmail-pop3d qmail-pop3sd qmail-imapd qmail-imapsd; do grep -q "^  $s .*port" "$1" || exit 1; done' - "$T/run1.out"
check "host-setup: the stop hint names them" \
  sh -c 'sed -n "/^Stop everything/,\$p" "$1" | grep -q "rm .*qmail-pop3d qmail-pop3sd qmail-imapd qmail-imapsd"' - "$T/run1.out"

# ---- second run while everything runs
sum1=$(md5sum < "$Q/control/ldap.admin")
CTLS="me defaultdomain locals rcpthosts ldapserver ldapbasedn ldapuid ldapgid smtpcert smtpkey cert.pem key.pem"
ctl1=$(cd "$Q/control" && for c in $CTLS; do md5sum "$c"; done)
qino=$(stat -c %i "$Q/queue/mess")
DEBIAN_FRONTEND=noninteractive sh host-setup.sh "$HOSTNAME_" < /dev/null > "$T/run2.out" 2>&1
rc=$?
check "host-setup: second run exits 0" test "$rc" = 0
[ "$rc" = 0 ] || { tail -n 20 "$T/run2.out" | sed 's/^/# /'; }
check "host-setup: second run: ldap.admin unchanged" test "$(md5sum < "$Q/control/ldap.admin")" = "$sum1"
check "host-setup: second run: ldap.admin still mode 600" test "$(stat -c %a "$Q/control/ldap.admin")" = 600
check "host-setup: second run: control files unchanged" \
  test "$(cd "$Q/control" && for c in $CTLS; do md5sum "$c"; done)" = "$ctl1"
check "host-setup: second run: says it kept the certificate" grep -q "^host-setup: kept control/smtpcert: $C/cert.pem" "$T/run2.out"
check "host-setup: second run: makes no certificate" sh -c '! grep -q "self-signed certificate made" "$1"' - "$T/run2.out"
check "host-setup: second run: the key is still qmaild's, mode 600" test "$(stat -c '%U %a' "$C/key.pem")" = "qmaild 600"
check "host-setup: second run: says it kept the credentials, directory and entries" \
  sh -c 'grep -q "^host-setup: kept $2/control/ldap.admin" "$1" && grep -q "^host-setup: kept the directory" "$1" &&
         grep -q "^host-setup: kept entry uid=elvis," "$1"' - "$T/run2.out" "$Q"
check "host-setup: second run: restarts qmail to run the new programs" grep -q "^host-setup: restarted qmail" "$T/run2.out"
check "host-setup: second run: the queue is the same directory" test "$(stat -c %i "$Q/queue/mess")" = "$qino"
check "host-setup: second run: the first message is kept" test -f "$(now "$f")"
proof "$T/run2.out" > "$T/proof2"
check "host-setup: second run: the new proof message read over POP3 and IMAP too" \
  sh -c 'grep -q "^  C: RETR [0-9]*  *S: +OK [0-9]* octets; Subject: qmail-ldap works (host-setup-" "$1" &&
         grep -q "^  C: d FETCH [0-9]* .* S: Subject: qmail-ldap works (host-setup-" "$1" && ! grep -q -F "($2)" "$1"' - \
  "$T/proof2" "$stamp1"
check "host-setup: second run: elvis has $((NMSG * 2)) messages" test "$(maildir_count "$M")" = $((NMSG * 2))
check "host-setup: second run: no service linked twice or anew" \
  test "$(ls "$T/service" | tr '\n' ' ')" = \
    "qmail qmail-imapd qmail-imapsd qmail-pop3d qmail-pop3sd qmail-qmqpd qmail-slapd qmail-smtpd qmail-smtpsd qmail-submission "
check "host-setup: second run: every service up" allup

# ---- stop everything (the kernel kills the rest when this shell exits)
for p in /proc/[0-9]*; do
  case $(readlink "$p/exe" 2>/dev/null) in */svscan|*/svscanboot|*/readproctitle) kill "${p#/proc/}" 2>/dev/null ;; esac
done
for p in /proc/[0-9]*; do
  case $(cat "$p/cmdline" 2>/dev/null | tr '\0' ' ') in *svscanboot*) kill "${p#/proc/}" 2>/dev/null ;; esac
done
for s in $SVCS; do svc -dx "/etc/service/$s" "/etc/service/$s/log" 2>/dev/null; done
_nosup() { ! pgrep -x supervise > /dev/null; }
wait_until 30 _nosup || echo "# supervise still running; the namespace's end kills it"
done_testing
EOF

# ------------------------------------------------ the second namespace session
cat > "$T/ns2.sh" <<'EOF'
set -u
. "$LIB"
. "$T/src2/tests/slapd.sh"
Q=$T/q2/qmail
SVCS2="qmail qmail-smtpd qmail-qmqpd qmail-smtpsd qmail-submission qmail-pop3d qmail-pop3sd qmail-imapd qmail-imapsd"
ip link set lo up || { notok "host-setup/own directory: loopback up"; exit 1; }
mount --bind "$T/service2" /etc/service || { notok "host-setup/own directory: private /etc/service"; exit 1; }
# on a systemd host host-setup would hand svscan to systemd, outside the
# namespace: hide systemd from it here (the mount is private to the namespace)
[ -d /run/systemd ] && mount -t tmpfs none /run/systemd
slapd_setup "$T/ext" "$T/src2" && slapd_start "$T/ext" 389 ||
  { notok "host-setup/own directory: a test slapd on 127.0.0.1:389"; exit 1; }
mkdir -p "$Q/control" && echo 127.0.0.1 > "$Q/control/ldapserver" &&
  echo "$SLAPD_SUFFIX" > "$Q/control/ldapbasedn" && chmod 644 "$Q/control/ldapserver" "$Q/control/ldapbasedn"
cd "$T/src2" || exit 1
DEBIAN_FRONTEND=noninteractive sh host-setup.sh "$HOSTNAME_" < /dev/null > "$T/run3.out" 2>&1
rc=$?
check "host-setup/own directory: exits 0" test "$rc" = 0
[ "$rc" = 0 ] || { tail -n 20 "$T/run3.out" | sed 's/^/# /'; tail -n 20 "$T/src2/host-setup.log" | sed 's/^/# /'; }
check "host-setup/own directory: says it uses control/ldapserver" \
  grep -q "^=== directory: control/ldapserver names 127.0.0.1; using it, no embedded directory" "$T/run3.out"
check "host-setup/own directory: no embedded directory $Q/ldap" test ! -e "$Q/ldap"
check "host-setup/own directory: no ldap.admin" test ! -e "$Q/control/ldap.admin"
check "host-setup/own directory: control/ldapserver kept" test "$(cat "$Q/control/ldapserver")" = 127.0.0.1
check "host-setup/own directory: control/ldapbasedn kept" test "$(cat "$Q/control/ldapbasedn")" = "$SLAPD_SUFFIX"
check "host-setup/own directory: services qmail, SMTP, QMQP, POP3 and IMAP; no qmail-slapd" \
  test "$(ls "$T/service2" | tr '\n' ' ')" = \
    "qmail qmail-imapd qmail-imapsd qmail-pop3d qmail-pop3sd qmail-qmqpd qmail-smtpd qmail-smtpsd qmail-submission "
check "host-setup/own directory: a self-signed certificate, key qmaild's, mode 600" \
  sh -c 'grep -q "^host-setup: self-signed certificate made for $2:" "$1" &&
         [ "$(stat -c "%U %a" "$3/control/key.pem")" = "qmaild 600" ]' - "$T/run3.out" "$HOSTNAME_" "$Q"
check "host-setup/own directory: the submission proof is skipped (no known password)" \
  grep -q "^host-setup: skipped: your directory has no example user" "$T/run3.out"
check "host-setup/own directory: the POP3/IMAP proof is skipped, with a hint" \
  sh -c 'sed -n "/^=== proof: the message read back over POP3 and IMAP/,/^=== /p" "$1" |
         grep -q "^host-setup:   curl --ssl-reqd -k -u UID pop3://"' - "$T/run3.out"
check "host-setup/own directory: the proof message to postmaster@$HOSTNAME_ was accepted" \
  grep -q -E '^  <- +250 ok' "$T/run3.out"
check "host-setup/own directory: the proof message reached postmaster's $Q/alias/Maildir" \
  grep -q "^host-setup: delivered to $Q/alias/Maildir/new/" "$T/run3.out"
check "host-setup/own directory: qmail-ldaplookup searched the test directory" \
  sh -c 'sed -n "/^=== qmail-ldaplookup/,/^=== /p" "$1" | grep -q "under dn: $2" &&
         sed -n "/^=== qmail-ldaplookup/,/^=== /p" "$1" | grep -q "No entries found"' - "$T/run3.out" "$SLAPD_SUFFIX"
ups=0
for s in $SVCS2; do svstat "/etc/service/$s" | grep -q ': up ' && ups=$((ups + 1)); done
check "host-setup/own directory: the nine services are up" test "$ups" = 9
for p in /proc/[0-9]*; do
  case $(cat "$p/cmdline" 2>/dev/null | tr '\0' ' ') in *svscanboot*|svscan*) kill "${p#/proc/}" 2>/dev/null ;; esac
done
for s in $SVCS2; do svc -dx "/etc/service/$s" "/etc/service/$s/log" 2>/dev/null; done
slapd_stop "$T/ext"
done_testing
EOF

export LIB="$top/tests/lib.sh" SVCS HOSTNAME_
start=$(date +%s)
unshare -m -n -p -f --kill-child --mount-proc sh "$T/ns1.sh" < /dev/null > "$T/ns1.out" 2>&1
rc=$?
cat "$T/ns1.out"
grep -q '^ok - host-setup: second run: every service up' "$T/ns1.out" ||
  notok "host-setup: the first namespace session finished" "exit $rc; see $T/run1.out $T/run2.out"
echo "# first session: $(( $(date +%s) - start ))s"
wait_until 20 sh -c '[ -z "$(cd / && for p in /proc/[0-9]*; do e=$(readlink $p/exe 2>/dev/null); w=$(readlink $p/cwd 2>/dev/null); case "$e $w" in *"$1/"*) echo x;; esac; done)" ]' - "$T"
check "host-setup: nothing of the first session left running on the host" test -z "$(ours)"

# A fresh tree for a fresh instance, with control/ldapserver written first.
start=$(date +%s)
if cp -pR "$T/src" "$T/src2" && rm -f "$T/src2/host-setup.log" &&
   { echo "$T/q2/qmail"; echo; echo "Private test instance (tests/integ/75-host-setup.sh)."; } > "$T/src2/conf-qmail"; then
  unshare -m -n -p -f --kill-child --mount-proc sh "$T/ns2.sh" < /dev/null > "$T/ns2.out" 2>&1
  rc=$?
  cat "$T/ns2.out"
  grep -q '^ok - host-setup/own directory: the nine services are up' "$T/ns2.out" ||
    notok "host-setup/own directory: the namespace session finished" "exit $rc; see $T/run3.out"
else
  notok "host-setup/own directory: copy of the tree"
fi
echo "# second session: $(( $(date +%s) - start ))s"
wait_until 20 sh -c '[ -z "$(cd / && for p in /proc/[0-9]*; do e=$(readlink $p/exe 2>/dev/null); w=$(readlink $p/cwd 2>/dev/null); case "$e $w" in *"$1/"*) echo x;; esac; done)" ]' - "$T"
check "host-setup: nothing of the second session left running on the host" test -z "$(ours)"

hoststate > "$T/host.after"
check "host-setup: the real /etc/service, /var/qmail and the host's svscan are untouched" \
  cmp -s "$T/host.before" "$T/host.after"
cmp -s "$T/host.before" "$T/host.after" || diff "$T/host.before" "$T/host.after" | head -n 20 | sed 's/^/# /'
done_testing
