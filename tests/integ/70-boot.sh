#!/bin/sh
# The boot/ scripts under daemontools: svscan on a private service
# directory runs qmail, qmail-smtpd, qmail-qmqpd and the embedded directory
# (qmail-slapd) of the instance on loopback ports. Mail comes in over SMTP
# and is delivered through the directory; svc -t of each service recovers;
# every service logs under log/.
. "$(dirname "$0")/../lib.sh"

SV=$T/service
SUFFIX=dc=example,dc=com
ROOTDN=cn=admin,$SUFFIX
ROOTPW=secret
SVCS="qmail-slapd qmail qmail-smtpd qmail-qmqpd"

for p in qmail-start qmail-send qmail-lspawn qmail-local qmail-smtpd qmail-qmqpd qmail-mkslapd; do
  if [ ! -x "$QH/bin/$p" ]; then
    notok "boot: $p is installed" "missing $QH/bin/$p"
    done_testing; exit
  fi
done
for s in $SVCS; do
  [ -x "$QH/boot/$s/run" ] && [ -x "$QH/boot/$s/log/run" ] || { notok "boot: $s is installed" "no $QH/boot/$s/run"; done_testing; exit; }
done

freeport() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# answers PORT [PREFIX]: something accepts on 127.0.0.1:PORT (and greets with PREFIX)
answers() {
  python3 - "$1" "${2:-}" <<'PY' 2>/dev/null
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 3)
if sys.argv[2]:
    s.settimeout(5)
    sys.exit(0 if s.makefile("rb").readline().decode("latin-1").startswith(sys.argv[2]) else 1)
PY
}
smtp_send() {  # smtp_send RCPT SUBJECT
  python3 - "$SPORT" "$1" "$2" <<'PY'
import smtplib, sys
port, rcpt, subj = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = smtplib.SMTP("127.0.0.1", port, timeout=30)
s.sendmail("sender@testhost.example", [rcpt],
           "From: sender@testhost.example\r\nTo: %s\r\nSubject: %s\r\n\r\nover SMTP\r\n" % (rcpt, subj))
s.quit()
PY
}
# lastlog SVC: its last log lines, on one line (for a "not ok" reason)
lastlog() { tail -n 4 "$QH/log/$1/current" 2>/dev/null | cut -d' ' -f2- | tr '\n' '|'; }
ldap_up() { ldapsearch -x -H "ldap://127.0.0.1:$LPORT" -b "$SUFFIX" -s base dn > /dev/null 2>&1; }
smtp_up() { answers "$SPORT" 220; }
qmqp_up() { answers "$QPORT"; }
qmail_up() { [ -n "$(qpids qmail-send)" ] && [ -n "$(qpids qmail-lspawn)" ]; }
# svpid SVC: pid of the service's process, from svstat ("up (pid N) ...")
svpid() { svstat "$SV/$1" 2>/dev/null | sed -n 's/.*: up (pid \([0-9]*\)).*/\1/p'; }
svup() { [ -n "$(svpid "$1")" ]; }
svnew() { _n=$(svpid "$1"); [ -n "$_n" ] && [ "$_n" != "$2" ]; }
ready() {  # ready SVC: the service does its job
  case $1 in
    qmail-slapd) ldap_up ;;
    qmail) qmail_up ;;
    qmail-smtpd) smtp_up ;;
    qmail-qmqpd) qmqp_up ;;
  esac
}
# Processes of this test's supervision tree: supervise, the services and
# loggers (cwd inside the instance's boot/) and svscan (cwd $SV).
ours() {
  for _p in /proc/[0-9]*; do
    _c=$(readlink "$_p/cwd" 2>/dev/null) || continue
    case $_c in "$QH/boot/"*|"$SV") echo "${_p#/proc/}" ;; esac
  done
}
_none_ours() { [ -z "$(ours)" ] && [ -z "$(qpids)" ]; }
stop_all() {
  [ -n "${SVSCAN:-}" ] && kill -TERM "$SVSCAN" 2>/dev/null && wait "$SVSCAN" 2>/dev/null
  for s in $SVCS; do
    [ -e "$SV/$s" ] && svc -dx "$SV/$s" "$SV/$s/log" 2>/dev/null
  done
  if ! wait_until 60 _none_ours; then
    for _p in $(ours) $(qpids); do kill -KILL "$_p" 2>/dev/null; done
    wait_until 10 _none_ours
    return 1
  fi
}
cleanup() {
  for s in $SVCS; do rm -rf "$QH/boot/$s/supervise" "$QH/boot/$s/log/supervise" "$QH/boot/$s/env/IP" "$QH/boot/$s/env/PORT"; done
  rm -rf "$QH/ldap"
}

# Whatever happens (a failed check, tests/run's timeout), nothing of the
# supervision tree may outlive the script: tests/run only reaps bin/.
FINISHED=0
finish() {
  [ "$FINISHED" = 1 ] && return 0
  FINISHED=1
  stop_all > /dev/null 2>&1
  cleanup
}
trap 'finish' EXIT
trap 'finish; exit 1' INT TERM

# --- setup: ports, directory, control files, mailbox
LPORT=$(freeport) SPORT=$(freeport) QPORT=$(freeport)
while [ "$SPORT" = "$LPORT" ]; do SPORT=$(freeport); done
while [ "$QPORT" = "$LPORT" ] || [ "$QPORT" = "$SPORT" ]; do QPORT=$(freeport); done
for s in qmail-slapd:$LPORT qmail-smtpd:$SPORT qmail-qmqpd:$QPORT; do
  echo 127.0.0.1 > "$QH/boot/${s%%:*}/env/IP"
  echo "${s#*:}" > "$QH/boot/${s%%:*}/env/PORT"
done
rm -rf "$QH/ldap"
check "boot: qmail-mkslapd creates the directory" sh -c \
  '"$1/bin/qmail-mkslapd" "$1/ldap" "$2" "$3" "$1/doc/qmail.ldif" > /dev/null' - "$QH" "$SUFFIX" "$ROOTPW"
check "boot: qmail-mkslapd leaves an existing directory alone" sh -c \
  '"$1/bin/qmail-mkslapd" "$1/ldap" "$2" other | grep -q "leaving it alone"' - "$QH" "$SUFFIX"

_n=$(cat "$QI/uidnext" 2>/dev/null || echo 7001)
echo $((_n + 1)) > "$QI/uidnext"
MS=$T/home/elvis
mkdir -p "$T/home" && chmod 755 "$T/home"
mkdir -m 700 "$MS" && "$QH/bin/maildirmake" "$MS/Maildir" && chown -R "$_n:$_n" "$MS"
ctl ldapserver "127.0.0.1:$LPORT"
ctl ldapbasedn "$SUFFIX"
ctl ldapobjectclass qmailUser
ctl ldaplocaldelivery 0
check "boot: control/Makefile builds the rules cdbs" make -s -C "$QH/control"
check "boot: qmail-smtpd.cdb exists" test -s "$QH/control/qmail-smtpd.cdb"
check "boot: qmail-qmqpd.cdb exists" test -s "$QH/control/qmail-qmqpd.cdb"

# --- svscan with the four services
mkdir -p "$SV"
for s in $SVCS; do ln -s "$QH/boot/$s" "$SV/$s"; done
svscan "$SV" > "$T/svscan.log" 2>&1 &
SVSCAN=$!
for s in $SVCS; do
  if wait_until 30 svup "$s" && wait_until 60 ready "$s"; then
    ok "boot: $s starts under svscan and answers"
  else
    notok "boot: $s starts under svscan and answers" "$( { svstat "$SV/$s"; lastlog "$s"; } | tr '\n' ' ')"
  fi
done

# --- the example user, through the directory only (ldaplocaldelivery 0)
ldapadd -x -H "ldap://127.0.0.1:$LPORT" -D "$ROOTDN" -w "$ROOTPW" > "$T/ldapadd.out" 2>&1 <<EOF
dn: ou=people,$SUFFIX
objectClass: top
objectClass: organizationalUnit
ou: people

dn: uid=elvis,ou=people,$SUFFIX
objectClass: top
objectClass: person
objectClass: inetOrgPerson
objectClass: qmailUser
cn: Elvis Presley
sn: Presley
uid: elvis
mail: elvis@testhost.example
mailAlternateAddress: the-king@testhost.example
mailMessageStore: $MS
qmailUID: $_n
qmailGID: $_n
accountStatus: active
EOF
check "boot: ldapadd of the example user" test $? = 0

smtp_send elvis@testhost.example "boot one" 2> "$T/smtp1.err"
check "boot: SMTP accepts mail for elvis" test ! -s "$T/smtp1.err"
smtp_send the-king@testhost.example "boot two" 2> "$T/smtp2.err"
check "boot: SMTP accepts mail for an alternate address" test ! -s "$T/smtp2.err"
if wait_for_mail "$MS/Maildir" '^Subject: boot one' 1 60 && wait_for_mail "$MS/Maildir" '^Subject: boot two' 1 60; then
  ok "boot: both messages delivered to the directory's mailMessageStore"
else
  notok "boot: both messages delivered to the directory's mailMessageStore" "$(lastlog qmail)"
fi
check "boot: delivery says Delivered-To elvis" test "$(maildir_grep "$MS/Maildir" '^Delivered-To: elvis@testhost.example')" -ge 1

# --- svc -t of each service: a new process, answering again
for s in $SVCS; do
  old=$(svpid "$s")
  svc -t "$SV/$s"
  if wait_until 60 svnew "$s" "$old" && wait_until 60 ready "$s"; then
    ok "boot: svc -t $s recovers"
  else
    notok "boot: svc -t $s recovers" "$(svstat "$SV/$s" | tr '\n' ' ')"
  fi
done
smtp_send elvis@testhost.example "boot three" 2> "$T/smtp3.err"
if wait_for_mail "$MS/Maildir" '^Subject: boot three' 1 60; then
  ok "boot: mail is delivered after every service restarted"
else
  notok "boot: mail is delivered after every service restarted" "$( { tail -n 1 "$T/smtp3.err"; lastlog qmail; } | tr '\n' ' ')"
fi

# --- logs: multilog as qmaill under log/<service>
has_log() { grep -s -q -E -e "$2" "$QH/log/$1/current"; }
check_log() { if wait_until 20 has_log "$1" "$2"; then ok "boot: log/$1 has $3"; else notok "boot: log/$1 has $3" "no /$2/ in $QH/log/$1/current"; fi; }
check_log qmail 'status: ' "qmail-send's status lines"
check_log qmail 'delivery [0-9]+: success' "a successful delivery"
check_log qmail-smtpd 'tcpserver: (status|ok)' "tcpserver's connection lines"
check_log qmail-qmqpd 'tcpserver: status' "tcpserver's status line"
check_log qmail-slapd 'qmail-slapd: starting' "the start line"
check "boot: log lines carry tai64n stamps" grep -q -E '^@4[0-9a-f]{23} ' "$QH/log/qmail/current"
check "boot: logs are written as qmaill" test "$(stat -c %U "$QH/log/qmail/current")" = qmaill

check "boot: everything stops (svc -dx)" stop_all
finish
done_testing
