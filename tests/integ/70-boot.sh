#!/bin/sh
# The boot/ scripts under daemontools: svscan on a private service
# directory runs qmail, qmail-smtpd, qmail-qmqpd, qmail-smtpsd (smtps),
# qmail-submission, qmail-pop3d, qmail-pop3sd, qmail-imapd, qmail-imapsd
# and the embedded directory (qmail-slapd) of the instance on loopback
# ports. Mail comes in over SMTP and is delivered through the directory;
# smtps speaks TLS before anything else and wants AUTH, submission wants
# STARTTLS and then AUTH (and, with auth_smtp installed, a submission as
# elvis relays and is delivered); elvis reads his mail over POP3 (STLS),
# POP3S, IMAP (STARTTLS) and IMAPS, logging in through the directory;
# svc -t of each service recovers; every service logs under log/.
. "$(dirname "$0")/../lib.sh"

SV=$T/service
SUFFIX=dc=example,dc=com
ROOTDN=cn=admin,$SUFFIX
ROOTPW=secret
SVCS="qmail-slapd qmail qmail-smtpd qmail-qmqpd qmail-smtpsd qmail-submission qmail-pop3d qmail-pop3sd qmail-imapd qmail-imapsd"
ELVISPW=love-me-tender

for p in qmail-start qmail-send qmail-lspawn qmail-local qmail-smtpd qmail-qmqpd qmail-mkslapd qmail-popup qmail-pop3d \
         auth_pop qmail-imaplogin auth_imap; do
  if [ ! -x "$QH/bin/$p" ]; then
    notok "boot: $p is installed" "missing $QH/bin/$p"
    done_testing; exit
  fi
done
for p in doveconf /usr/lib/dovecot/imap; do
  command -v "$p" > /dev/null 2>&1 || { notok "boot: $p is installed (the IMAP engine)" "missing $p"; done_testing; exit; }
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
# the mail access services: accesschk.py (below) PORT up-pop3|up-pop3s|up-imap|up-imaps
pop3_up() { python3 "$T/accesschk.py" "$P3PORT" up-pop3 > /dev/null 2>&1; }
pop3s_up() { python3 "$T/accesschk.py" "$P3SPORT" up-pop3s > /dev/null 2>&1; }
imap_up() { python3 "$T/accesschk.py" "$I4PORT" up-imap > /dev/null 2>&1; }
imaps_up() { python3 "$T/accesschk.py" "$I4SPORT" up-imaps > /dev/null 2>&1; }
# accesschk PORT SCENARIO [ARG...]: like smtpchk, with accesschk.py
accesschk() {
  python3 "$T/accesschk.py" "$@" > "$T/accesschk.out" 2>&1
  _rc=$?
  while IFS= read -r _l; do
    case $_l in
      "ok "*) ok "boot: ${_l#ok }" ;;
      "fail "*) notok "boot: ${_l#fail }" ;;
      *) echo "# $_l" ;;
    esac
  done < "$T/accesschk.out"
  grep -q '^ok \|^fail ' "$T/accesschk.out" || notok "boot: accesschk $*" "no result (exit $_rc)"
}
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
    qmail-pop3d) pop3_up ;;
    qmail-pop3sd) pop3s_up ;;
    qmail-imapd) imap_up ;;
    qmail-imapsd) imaps_up ;;
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
# nine different free loopback ports (a port is free when asked, so the
# kernel may hand out one twice)
PORTS=
for _i in 1 2 3 4 5 6 7 8 9; do
  _p=$(freeport)
  while case " $PORTS " in *" $_p "*) true ;; *) false ;; esac; do _p=$(freeport); done
  PORTS="$PORTS $_p"
done
set -- $PORTS
LPORT=$1 SPORT=$2 QPORT=$3 TPORT=$4 MPORT=$5 P3PORT=$6 P3SPORT=$7 I4PORT=$8 I4SPORT=$9
set --
for s in qmail-slapd:$LPORT qmail-smtpd:$SPORT qmail-qmqpd:$QPORT qmail-smtpsd:$TPORT qmail-submission:$MPORT \
         qmail-pop3d:$P3PORT qmail-pop3sd:$P3SPORT qmail-imapd:$I4PORT qmail-imapsd:$I4SPORT; do
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
for c in qmail-smtpd qmail-qmqpd qmail-smtpsd qmail-submission qmail-pop3d qmail-imapd; do
  check "boot: $c.cdb exists" test -s "$QH/control/$c.cdb"
done
check "boot: the implicit TLS services' env/ is installed (POP3S, IMAPS)" \
  test "$(cat "$QH/boot/qmail-pop3sd/env/POP3S" "$QH/boot/qmail-imapsd/env/IMAPS" | tr '\n' ' ')" = "1 1 "
check "boot: control/dovecot-imap.conf is installed" test -s "$QH/control/dovecot-imap.conf"
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

# accesschk.py PORT SCENARIO [USER PASSWORD]: the POP3 and IMAP services,
# prints "ok NAME" or "fail NAME REASON" per step (up-*: exit 0 when the
# service answers). TLS is verified against control/cert.pem (its name
# once on a raw socket, as smtpchk.py does).
cat > "$T/accesschk.py" <<'PY'
import imaplib, os, poplib, re, socket, ssl, sys
port, scen, args = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
CA = os.environ["QH"] + "/control/cert.pem"
ctx = ssl.create_default_context(cafile=CA)
ctx.check_hostname = False
def res(name, good, why=""):
    print("ok " + name if good else "fail %s # %s" % (name, why))
    sys.stdout.flush()
def named():
    """a handshake verified for testhost.example, the first line after it"""
    v = ssl.create_default_context(cafile=CA)
    t = v.wrap_socket(socket.create_connection(("127.0.0.1", port), 10), server_hostname="testhost.example")
    t.settimeout(10)
    return t.makefile("rb").readline()
if scen in ("up-pop3", "up-imap"):
    s = socket.create_connection(("127.0.0.1", port), 3)
    s.settimeout(5)
    f = s.makefile("rwb")
    g = f.readline()
    if scen == "up-imap":
        sys.exit(0 if g.startswith(b"* OK ") and b"STARTTLS" in g else 1)
    f.write(b"CAPA\r\n"); f.flush()
    capa = []
    while True:
        l = f.readline()
        if not l or l == b".\r\n": break
        capa.append(l.strip())
    sys.exit(0 if g.startswith(b"+OK <") and b"STLS" in capa else 1)
elif scen in ("up-pop3s", "up-imaps"):
    t = ssl._create_unverified_context().wrap_socket(socket.create_connection(("127.0.0.1", port), 3))
    t.settimeout(5)
    g = t.makefile("rb").readline()
    sys.exit(0 if g.startswith(b"+OK <" if scen == "up-pop3s" else b"* OK ") else 1)
elif scen == "pop3":
    user, pw = args
    p = poplib.POP3("127.0.0.1", port, timeout=30)
    p.stls(context=ctx)
    p.user(user)
    try:
        p.pass_("wrong-" + pw); r = b"accepted"
    except poplib.error_proto as e:
        r = e.args[0]
    res("pop3 (110): STLS, a wrong password: -ERR [AUTH] authorization failed", r == b"-ERR [AUTH] authorization failed", r)
    p = poplib.POP3("127.0.0.1", port, timeout=30)
    p.stls(context=ctx)
    p.user(user)
    r = p.pass_(pw)
    n = p.stat()[0]
    res("pop3 (110): STLS, USER/PASS as %s through the directory: +OK, %d messages" % (user, n), r.startswith(b"+OK") and n >= 2, r)
    subj = [l for i in range(1, n + 1) for l in p.top(i, 0)[1] if l.startswith(b"Subject: ")]
    res("pop3: the messages delivered over SMTP are there (boot one, boot two)",
        b"Subject: boot one" in subj and b"Subject: boot two" in subj, subj)
    p.quit()
elif scen == "pop3s":
    user, pw = args
    g = named()
    res("pop3s (995): TLS from the first byte, certificate verified for testhost.example, then +OK",
        g.startswith(b"+OK <") and b"@testhost.example>" in g, g)
    p = poplib.POP3_SSL("127.0.0.1", port, context=ctx, timeout=30)
    p.user(user)
    r = p.pass_(pw)
    resp, lines, octets = p.retr(1)
    res("pop3s: USER/PASS as %s, RETR 1" % user, r.startswith(b"+OK") and any(l.startswith(b"Subject: boot ") for l in lines), (r, lines[:6]))
    p.quit()
elif scen == "imap":
    user, pw = args
    m = imaplib.IMAP4("127.0.0.1", port, timeout=30)
    m.starttls(ssl_context=ctx)
    try:
        m.login(user, "wrong-" + pw); r = "accepted"
    except imaplib.IMAP4.error as e:
        r = str(e)
    res("imap (143): STARTTLS, a wrong password: NO [AUTHENTICATIONFAILED]", "AUTHENTICATIONFAILED" in r, r)
    typ, d = m.login(user, pw)
    res("imap: LOGIN as %s through the directory: OK Logged in" % user, typ == "OK" and b"Logged in" in d[0], (typ, d))
    typ, d = m.select("INBOX")
    typ2, found = m.search(None, "HEADER", "Subject", '"boot one"')
    n = found[0].split()[0] if typ2 == "OK" and found[0] else b"0"
    typ3, f = m.fetch(n, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    subj = f[0][1].strip() if typ3 == "OK" and isinstance(f[0], tuple) else b""
    res("imap: SELECT INBOX (%s messages), FETCH the subject of \"boot one\"" % (d[0].decode() if typ == "OK" else "?"),
        typ == "OK" and int(d[0]) >= 2 and subj == b"Subject: boot one", (typ, d, typ2, found, subj))
    m.logout()
elif scen == "imaps":
    user, pw = args
    g = named()
    res("imaps (993): TLS from the first byte, certificate verified for testhost.example, then * OK",
        g.startswith(b"* OK "), g)
    m = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=ctx, timeout=30)
    typ, d = m.login(user, pw)
    typ2, d2 = m.select("INBOX", readonly=True)
    res("imaps: LOGIN as %s, EXAMINE INBOX" % user, typ == "OK" and typ2 == "OK" and int(d2[0]) >= 2, (typ, d, typ2, d2))
    m.logout()
else:
    print("unknown scenario " + scen)
    sys.exit(2)
PY

# --- svscan with the services
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

# --- POP3 and IMAP: elvis reads his mail, logging in through the directory
# (ldaprebind 1: an anonymous search, then a bind as his entry)
accesschk "$P3PORT" pop3 elvis "$ELVISPW"
accesschk "$P3SPORT" pop3s elvis "$ELVISPW"
accesschk "$I4PORT" imap elvis "$ELVISPW"
accesschk "$I4SPORT" imaps elvis "$ELVISPW"
check "boot: nothing in elvis's Maildir belongs to another user after the POP3 and IMAP sessions" \
  test "$(find "$MS" ! -user "$_n" | wc -l)" = 0

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
check_log qmail-pop3d 'auth_pop: elvis: login ok from 127\.0\.0\.1' "auth_pop's login line"
check_log qmail-pop3d 'qmail-popup: 127\.0\.0\.1: elvis: \[AUTH\] authorization failed \(exit 3\)' "the failed login, with the address"
check_log qmail-pop3sd 'qmail-popup: 127\.0\.0\.1: TLS established' "the TLS session"
check_log qmail-imapd 'auth_imap: elvis: wrong password from 127\.0\.0\.1' "auth_imap's reason, with the address"
check_log qmail-imapsd 'auth_imap: elvis: login ok from 127\.0\.0\.1' "auth_imap's login line"
check_log qmail-slapd 'qmail-slapd: starting' "the start line"
check "boot: log lines carry tai64n stamps" grep -q -E '^@4[0-9a-f]{23} ' "$QH/log/qmail/current"
check "boot: logs are written as qmaill" test "$(stat -c %U "$QH/log/qmail/current")" = qmaill

check "boot: everything stops (svc -dx)" stop_all
finish
done_testing
