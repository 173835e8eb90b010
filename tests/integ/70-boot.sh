#!/bin/sh
# The boot/ scripts under daemontools: svscan on a private service
# directory runs qmail, qmail-smtpd, qmail-qmqpd, qmail-smtpsd (smtps),
# qmail-submission and the embedded directory (qmail-slapd) of the
# instance on loopback ports. Mail comes in over SMTP and is delivered
# through the directory; smtps speaks TLS before anything else and wants
# AUTH, submission wants STARTTLS and then AUTH (and, with auth_smtp
# installed, a submission as elvis relays and is delivered); svc -t of
# each service recovers; every service logs under log/.
. "$(dirname "$0")/../lib.sh"

SV=$T/service
SUFFIX=dc=example,dc=com
ROOTDN=cn=admin,$SUFFIX
ROOTPW=secret
SVCS="qmail-slapd qmail qmail-smtpd qmail-qmqpd qmail-smtpsd qmail-submission"
ELVISPW=love-me-tender

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
# smtpchk PORT SCENARIO [ARG...]: an SMTP dialogue (see smtpchk.py below);
# each of its "ok NAME" / "fail NAME REASON" lines becomes a check.
smtpchk() {
  python3 "$T/smtpchk.py" "$@" > "$T/smtpchk.out" 2>&1
  _rc=$?
  while IFS= read -r _l; do
    case $_l in
      "ok "*) ok "boot: ${_l#ok }" ;;
      "fail "*) notok "boot: ${_l#fail }" ;;
      *) echo "# $_l" ;;
    esac
  done < "$T/smtpchk.out"
  grep -q '^ok \|^fail ' "$T/smtpchk.out" || notok "boot: smtpchk $*" "no result (exit $_rc)"
}
smtps_up() { python3 "$T/smtpchk.py" "$TPORT" up-smtps > /dev/null 2>&1; }
subm_up() { python3 "$T/smtpchk.py" "$MPORT" up-submission > /dev/null 2>&1; }
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
    qmail-smtpsd) smtps_up ;;
    qmail-submission) subm_up ;;
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
# five different free loopback ports (a port is free when asked, so the
# kernel may hand out one twice)
PORTS=
for _i in 1 2 3 4 5; do
  _p=$(freeport)
  while case " $PORTS " in *" $_p "*) true ;; *) false ;; esac; do _p=$(freeport); done
  PORTS="$PORTS $_p"
done
set -- $PORTS
LPORT=$1 SPORT=$2 QPORT=$3 TPORT=$4 MPORT=$5
set --
for s in qmail-slapd:$LPORT qmail-smtpd:$SPORT qmail-qmqpd:$QPORT qmail-smtpsd:$TPORT qmail-submission:$MPORT; do
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
# auth_smtp searches anonymously and binds as the user (userPassword is
# hidden from anonymous searches)
ctl ldaprebind 1
check "boot: control/Makefile builds the rules cdbs" make -s -C "$QH/control"
for c in qmail-smtpd qmail-qmqpd qmail-smtpsd qmail-submission; do
  check "boot: $c.cdb exists" test -s "$QH/control/$c.cdb"
done
check "boot: the submission services' env/ is installed (SMTPS, TLSREQUIRED, AUTHREQUIRED, SMTPAUTH)" \
  test "$(cat "$QH/boot/qmail-smtpsd/env/SMTPS" "$QH/boot/qmail-submission/env/TLSREQUIRED" \
              "$QH/boot/qmail-smtpsd/env/AUTHREQUIRED" "$QH/boot/qmail-submission/env/AUTHREQUIRED" \
              "$QH/boot/qmail-submission/env/SMTPAUTH" | tr '\n' ' ')" = "1 1 1 1 TLSREQUIRED "

# the TLS certificate of testhost.example (control/me), as host-setup.sh
# makes one: the key is qmaild's, mode 0600 (qmail-smtpd reads it as qmaild)
if openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
     -subj /CN=testhost.example -addext subjectAltName=DNS:testhost.example \
     -keyout "$QH/control/key.pem" -out "$QH/control/cert.pem" > "$T/openssl.out" 2>&1 &&
   chown qmaild "$QH/control/key.pem" && chmod 600 "$QH/control/key.pem" && chmod 644 "$QH/control/cert.pem"; then
  ok "boot: a certificate for testhost.example"
else
  notok "boot: a certificate for testhost.example" "$(tail -n 2 "$T/openssl.out" | tr '\n' ' ')"
fi
ctl smtpcert "$QH/control/cert.pem"
ctl smtpkey "$QH/control/key.pem"

# smtpchk.py PORT SCENARIO [USER PASSWORD]: prints "ok NAME" or
# "fail NAME REASON" per step. The certificate is verified against
# control/cert.pem for testhost.example, so the checks see our server.
cat > "$T/smtpchk.py" <<'PY'
import base64, os, smtplib, socket, ssl, sys
port, scen, args = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
# our certificate is the only trust anchor: a handshake that verifies is
# with this instance's server. The name is checked once, on a raw socket
# (smtplib would check 127.0.0.1).
ctx = ssl.create_default_context(cafile=os.environ["QH"] + "/control/cert.pem")
ctx.check_hostname = False
def res(name, good, why=""):
    print("ok " + name if good else "fail %s # %s" % (name, why))
    sys.stdout.flush()
def code(conn, cmd):
    c, m = conn.docmd(cmd)
    return c, m.decode("latin-1", "replace").replace("\n", " ")
def feats(conn):
    conn.ehlo("client.example")
    return {k.lower(): v for k, v in conn.esmtp_features.items()}
def plain(user, pw):
    return "AUTH PLAIN " + base64.b64encode(b"\0" + user.encode() + b"\0" + pw.encode()).decode()
if scen == "up-smtps":
    c = smtplib.SMTP_SSL("127.0.0.1", port, timeout=10, context=ssl._create_unverified_context())
    c.quit()
elif scen == "up-submission":
    c = smtplib.SMTP("127.0.0.1", port, timeout=10)
    sys.exit(0 if "starttls" in feats(c) else 1)
elif scen == "plain-to-smtps":
    # a cleartext client: smtps waits for the TLS ClientHello, no greeting comes
    s = socket.create_connection(("127.0.0.1", port), 5)
    s.settimeout(3)
    try:
        got = s.recv(100)
    except socket.timeout:
        got = b""
    res("smtps: no cleartext greeting (TLS comes first)", not got, repr(got[:40]))
elif scen == "smtps":
    try:
        v = ssl.create_default_context(cafile=os.environ["QH"] + "/control/cert.pem")
        t = v.wrap_socket(socket.create_connection(("127.0.0.1", port), 10), server_hostname="testhost.example")
        t.settimeout(10)
        line = t.makefile("rb").readline()
        res("smtps: TLS from the first byte, certificate verified for testhost.example, then 220",
            line.startswith(b"220 testhost.example"), repr(line))
        t.close()
    except Exception as e:
        res("smtps: TLS from the first byte, certificate verified for testhost.example, then 220", False, repr(e))
        sys.exit(0)
    c = smtplib.SMTP_SSL("127.0.0.1", port, timeout=20, context=ctx, local_hostname="client.example")
    f = feats(c)
    res("smtps: EHLO offers AUTH LOGIN PLAIN, not STARTTLS",
        f.get("auth", "").upper().split() == ["LOGIN", "PLAIN"] and "starttls" not in f, repr(f))
    cc, m = code(c, "MAIL FROM:<u@client.example>")
    res("smtps: MAIL before AUTH gets 530", cc == 530, "%d %s" % (cc, m))
    c.quit()
elif scen == "submission":
    c = smtplib.SMTP("127.0.0.1", port, timeout=20)
    f = feats(c)
    res("submission: EHLO offers STARTTLS and no AUTH in cleartext", "starttls" in f and "auth" not in f, repr(f))
    cc, m = code(c, "MAIL FROM:<u@client.example>")
    res("submission: MAIL before STARTTLS gets 530", cc == 530 and "STARTTLS" in m, "%d %s" % (cc, m))
    cc, m = code(c, plain("elvis", "x"))
    res("submission: AUTH before STARTTLS gets 538", cc == 538, "%d %s" % (cc, m))
    try:
        c.starttls(context=ctx)
        res("submission: STARTTLS with our certificate", True)
    except Exception as e:
        res("submission: STARTTLS with our certificate", False, repr(e))
        sys.exit(0)
    f = feats(c)
    res("submission: EHLO inside TLS offers AUTH LOGIN PLAIN",
        f.get("auth", "").upper().split() == ["LOGIN", "PLAIN"], repr(f))
    cc, m = code(c, "MAIL FROM:<u@client.example>")
    res("submission: MAIL inside TLS but before AUTH gets 530", cc == 530 and "STARTTLS" not in m, "%d %s" % (cc, m))
    c.quit()
elif scen in ("auth-smtps", "auth-submission"):
    user, pw, tag = args[0], args[1], scen[5:]
    if scen == "auth-smtps":
        c = smtplib.SMTP_SSL("127.0.0.1", port, timeout=30, context=ctx, local_hostname="client.example")
    else:
        c = smtplib.SMTP("127.0.0.1", port, timeout=30, local_hostname="client.example")
        c.starttls(context=ctx)
    c.ehlo()
    cc, m = code(c, plain(user, "wrong-" + pw))
    res(tag + ": AUTH PLAIN with a wrong password gets 535", cc == 535, "%d %s" % (cc, m))
    cc, m = code(c, plain(user, pw))
    res(tag + ": AUTH PLAIN as " + user + " gets 235", cc == 235, "%d %s" % (cc, m))
    if cc == 235:
        code(c, "MAIL FROM:<%s@testhost.example>" % user)
        cc, m = code(c, "RCPT TO:<someone@elsewhere.example>")
        res(tag + ": after AUTH the client may relay", cc == 250, "%d %s" % (cc, m))
        code(c, "RSET")
        try:
            c.sendmail("%s@testhost.example" % user, ["elvis@testhost.example"],
                       "From: %s@testhost.example\r\nTo: elvis@testhost.example\r\nSubject: boot %s\r\n\r\n"
                       "submitted\r\n" % (user, tag))
            res(tag + ": the message is accepted", True)
        except Exception as e:
            res(tag + ": the message is accepted", False, repr(e))
    c.quit()
else:
    print("unknown scenario " + scen)
    sys.exit(2)
PY

# --- svscan with the six services
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
userPassword: $(slappasswd -h '{SSHA}' -s "$ELVISPW")
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

# --- smtps (465): TLS before anything, then AUTH before mail
smtpchk "$TPORT" plain-to-smtps
smtpchk "$TPORT" smtps
# --- submission (587): STARTTLS, then AUTH, before mail
smtpchk "$MPORT" submission
# --- AUTH through auth_smtp (bin/auth_smtp; its own tests are 53-auth-smtp)
if [ -x "$QH/bin/auth_smtp" ]; then
  smtpchk "$TPORT" auth-smtps elvis "$ELVISPW"
  smtpchk "$MPORT" auth-submission elvis "$ELVISPW"
  for t in smtps submission; do
    if wait_for_mail "$MS/Maildir" "^Subject: boot $t\$" 1 60; then
      ok "boot: the message submitted over $t is delivered"
    else
      notok "boot: the message submitted over $t is delivered" "$(lastlog qmail)"
    fi
  done
  check "boot: both Received fields name the login (elvis@[127.0.0.1])" \
    test "$(maildir_grep "$MS/Maildir" '^Received: from .*\(elvis@\[127\.0\.0\.1\]\)$')" -ge 2
  check "boot: both Received fields say ESMTPSA (TLS and AUTH)" \
    test "$(maildir_grep "$MS/Maildir" ' with ESMTPSA \(TLSv1\.[23] ')" -ge 2
else
  ok "boot: AUTH over smtps and submission skipped: $QH/bin/auth_smtp is not installed # SKIP"
fi

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
check_log qmail-smtpsd 'tcpserver: ok' "tcpserver's connection lines"
check_log qmail-submission 'tcpserver: ok' "tcpserver's connection lines"
check_log qmail-qmqpd 'tcpserver: status' "tcpserver's status line"
check_log qmail-slapd 'qmail-slapd: starting' "the start line"
check "boot: log lines carry tai64n stamps" grep -q -E '^@4[0-9a-f]{23} ' "$QH/log/qmail/current"
check "boot: logs are written as qmaill" test "$(stat -c %U "$QH/log/qmail/current")" = qmaill

check "boot: everything stops (svc -dx)" stop_all
finish
done_testing
