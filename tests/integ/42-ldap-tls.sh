#!/bin/sh
# TLS to the directory: ldapstarttls and ldaps://, with the CA from
# control/ldaptlscacert (qmail-start clears the environment, so
# LDAPTLS_CACERT cannot reach qmail-lspawn). Checked against slapd's own
# log (-d stats) so nothing can pass over plaintext:
#  1. trusted CA + StartTLS: qmail-ldaplookup finds, qmail-lspawn delivers,
#     and slapd saw STARTTLS and a TLS connection for the searches
#  2. a CA that did not sign the server certificate: 111 and a deferral,
#     never a plaintext retry and never a bounce; delivered once fixed
#  3. slapd requiring TLS (olcSecurity tls=1) and ldapstarttls 0: refused,
#     a temporary failure (111, deferral); ldapstarttls 1 works
#  4. ldaps:// with the trusted CA: found; with the wrong CA: 111
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../slapd.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
D=testhost.example
SUFFIX=$SLAPD_SUFFIX
LD=$T/ldap
SENDER=snd@$D
LK=$QH/bin/qmail-ldaplookup
SLOG=$T/slapd.log
PKI=$T/pki

for p in qmail-start qmail-lspawn qmail-local qmail-ldaplookup; do
  [ -x "$QH/bin/$p" ] || { notok "$p is installed" "missing $QH/bin/$p"; done_testing; exit; }
done
for p in openssl /usr/sbin/slapd slapmodify ldapsearch; do
  command -v "$p" > /dev/null 2>&1 || { notok "$p is available" "missing $p"; done_testing; exit; }
done

freeport() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

SLAPD_BG=
slapd_tls_stop() {
  [ -n "$SLAPD_BG" ] || return 0
  kill "$SLAPD_BG" 2>/dev/null
  wait_until 10 sh -c '! kill -0 "$1" 2>/dev/null' x "$SLAPD_BG" || kill -9 "$SLAPD_BG" 2>/dev/null
  wait "$SLAPD_BG" 2>/dev/null
  SLAPD_BG=
  rm -f "$LD/slapd.pid"
}
cleanup() {
  qstop > /dev/null 2>&1
  slapd_tls_stop
}
trap 'cleanup' EXIT
trap 'cleanup; exit 1' INT TERM

# ------------------------------------------------------------ PKI
# good CA signs the server certificate (127.0.0.1 and localhost);
# the other CA is a stranger with the same subject name.
mkdir -p "$PKI"
mkca() {  # mkca NAME
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=qmail-ldap test CA" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$PKI/$1.key" -out "$PKI/$1.crt" > "$PKI/$1.out" 2>&1
}
mkpki() {
  mkca ca && mkca otherca &&
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=127.0.0.1" -keyout "$PKI/srv.key" -out "$PKI/srv.csr" > "$PKI/srv.out" 2>&1 &&
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$PKI/srv.ext" &&
  openssl x509 -req -in "$PKI/srv.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 2 -extfile "$PKI/srv.ext" -out "$PKI/srv.crt" >> "$PKI/srv.out" 2>&1 &&
  openssl verify -CAfile "$PKI/ca.crt" "$PKI/srv.crt" > /dev/null 2>&1 &&
  ! openssl verify -CAfile "$PKI/otherca.crt" "$PKI/srv.crt" > /dev/null 2>&1
}
if ! mkpki; then
  notok "throwaway CAs and server certificate" "$(cat "$PKI"/*.out | tail -n 5 | tr '\n' ' ')"; done_testing; exit
fi
ok "throwaway CAs and server certificate"
# qmail-lspawn reads the CA file as root; qmail-ldaplookup as root here too
chmod 644 "$PKI/ca.crt" "$PKI/otherca.crt"; chmod 600 "$PKI/srv.key"

# ------------------------------------------------------------ slapd with TLS
LPORT=$(freeport)
SPORT=$(freeport)
while [ "$SPORT" = "$LPORT" ]; do SPORT=$(freeport); done
rm -rf "$LD" "$LD.qmail.ldif"
# cn=config modify, offline (slapd stopped): slapmodify -n0
cfgmod() {  # cfgmod < ldif
  slapmodify -n0 -F "$LD/slapd.d" > "$T/slapmodify.out" 2>&1
}
slapd_ready() {  # over ldaps with the good CA: proves the TLS listener works
  LDAPTLS_CACERT=$PKI/ca.crt LDAPTLS_REQCERT=demand \
    ldapsearch -x -H "ldaps://127.0.0.1:$SPORT" -b "$SUFFIX" -s base > /dev/null 2>&1
}
slapd_tls_start() {
  : >> "$SLOG"
  /usr/sbin/slapd -F "$LD/slapd.d" -h "ldap://127.0.0.1:$LPORT/ ldaps://127.0.0.1:$SPORT/" \
    -d stats > /dev/null 2>> "$SLOG" &
  SLAPD_BG=$!
  wait_until 20 slapd_ready
}
if slapd_setup "$LD" "$top" && cfgmod <<EOF
dn: cn=config
changetype: modify
replace: olcTLSCACertificateFile
olcTLSCACertificateFile: $PKI/ca.crt
-
replace: olcTLSCertificateFile
olcTLSCertificateFile: $PKI/srv.crt
-
replace: olcTLSCertificateKeyFile
olcTLSCertificateKeyFile: $PKI/srv.key
EOF
then ok "slapd configured with the TLS files (slapmodify cn=config)"
else notok "slapd configured with the TLS files (slapmodify cn=config)" "$(cat "$T/slapmodify.out" 2>/dev/null | tail -n 3 | tr '\n' ' ')"; done_testing; exit
fi
if ! slapd_tls_start; then
  notok "slapd answers on ldap:// and ldaps://" "$(tail -n 5 "$SLOG" | tr '\n' ' ')"; done_testing; exit
fi
ok "slapd answers on ldap:// and ldaps://"
check "slapd's TLS listener is not trusted with the other CA" sh -c \
  '! LDAPTLS_CACERT=$1 LDAPTLS_REQCERT=demand ldapsearch -x -H "ldaps://127.0.0.1:$2" -b "$3" -s base > /dev/null 2>&1' \
  x "$PKI/otherca.crt" "$SPORT" "$SUFFIX"

for u in snd alice; do add_user "$u"; done
{
  printf 'dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n' "$SUFFIX"
  for u in snd alice; do
    printf 'dn: uid=%s,ou=people,%s\nobjectClass: top\nobjectClass: person\nobjectClass: qmailUser\ncn: %s\nsn: %s\nuid: %s\nmail: %s@%s\nmailMessageStore: %s\nqmailUID: %s\nqmailGID: %s\n\n' \
      "$u" "$SUFFIX" "$u" "$u" "$u" "$u" "$D" "$(home_of "$u")" "$(uid_of "$u")" "$(uid_of "$u")"
  done
} | ldap_add "$LPORT"
check "directory entries added" test $? = 0

ctl ldapserver "127.0.0.1:$LPORT"
ctl ldapbasedn "$SUFFIX"
ctl ldapobjectclass qmailUser
ctl ldaptimeout 5
ctl ldaplocaldelivery 0

md() { echo "$(home_of "$1")/Maildir"; }
logcount() { cat "$QLOG" 2>/dev/null | grep -c -E -e "$1"; }
deferrals() { logcount 'deferral:'; }
failures() { logcount 'delivery [0-9]+: failure:'; }
bounces() { logcount '^bounce msg '; }
queued() { find "$QH/queue/mess" -type f 2>/dev/null | wc -l | tr -d ' '; }
_gt() { [ "$("$1")" -gt "$2" ]; }
lk() {  # lk ARGS...: qmail-ldaplookup, output in $T/lk.out; prints the exit code
  "$LK" "$@" > "$T/lk.out" 2>&1
  echo $?
}

# The peer's view. mark: remember where slapd's log ends.
# tls_searches: slapd connections since the mark that searched for alice's
# mail address; ok if there is one at least and every one of them had TLS
# established before the search.
mark() { MARK=$(wc -l < "$SLOG"); }
since() { tail -n +"$((MARK + 1))" "$SLOG"; }
ALICE_SRCH='SRCH base=.*mail=alice@testhost\.example'
tls_searches() {
  _conns=$(since | grep -E "$ALICE_SRCH" | sed -n 's/.*conn=\([0-9]*\) .*/\1/p' | sort -u)
  [ -n "$_conns" ] || { echo "no search for alice in slapd's log" >&2; return 1; }
  for _c in $_conns; do
    since | grep -E "conn=$_c .*(TLS established|SRCH)" | head -n 1 | grep -q 'TLS established' ||
      { echo "conn=$_c searched without TLS" >&2; return 1; }
  done
}
starttls_seen() { since | grep -q -E 'conn=[0-9]+ op=[0-9]+ STARTTLS'; }
no_starttls() { ! starttls_seen; }
no_alice_search() { ! since | grep -q -E "$ALICE_SRCH"; }
# no bind and no search at all since the mark: nothing went out in plaintext
# after a failed handshake (with TLS 1.3 slapd logs "TLS established" before
# the client has checked the certificate, so that line proves nothing here)
no_ops() { ! since | grep -q -E 'conn=[0-9]+ op=[0-9]+ (BIND|SRCH)'; }

# ------------------------------------------------------------ 1. StartTLS, trusted CA
ctl ldapstarttls 1
mark
rc=$(lk -m alice@$D)
check "no ldaptlscacert: the throwaway CA is not trusted by default (111)" test "$rc" = 111
check "no ldaptlscacert: no bind or search" no_ops
rc=$(LDAPTLS_CACERT=$PKI/ca.crt lk -m alice@$D)
check "no ldaptlscacert, LDAPTLS_CACERT in the environment: found (0)" test "$rc" = 0

ctl ldaptlscacert "$PKI/ca.crt"
mark
rc=$(lk -m alice@$D)
if [ "$rc" = 0 ]; then ok "StartTLS + ldaptlscacert: qmail-ldaplookup -m finds alice"
else notok "StartTLS + ldaptlscacert: qmail-ldaplookup -m finds alice" "exit $rc: $(tail -n 2 "$T/lk.out" | tr '\n' ' ')"; fi
check "StartTLS: slapd saw STARTTLS" starttls_seen
check "StartTLS: slapd searched only over TLS" tls_searches
rc=$(lk -u alice)
check "StartTLS + ldaptlscacert: qmail-ldaplookup -u finds alice" test "$rc" = 0

mark
check "qmail-start" qstart
send_to alice@$D "tls one"
check "StartTLS: delivered through qmail-lspawn" wait_for_mail "$(md alice)" '^Subject: tls one$'
check "StartTLS: qmail-lspawn's search was over TLS" tls_searches
check "StartTLS: no deferral, no bounce" test "$(deferrals)" = 0 -a "$(bounces)" = 0
check "SIGTERM" qstop

# ------------------------------------------------------------ 2. StartTLS, wrong CA
ctl ldaptlscacert "$PKI/otherca.crt"
mark
"$LK" -m alice@$D > "$T/lk-bad.out" 2> "$T/lk-bad.err"
check "wrong CA: qmail-ldaplookup -m exits 111" test $? = 111
check "wrong CA: qmail-ldaplookup says it could not contact the server" grep -q -i "contact LDAP server.*127.0.0.1:$LPORT" "$T/lk-bad.err"
check "wrong CA: slapd saw STARTTLS" starttls_seen
check "wrong CA: no search reached slapd (no plaintext fallback)" no_alice_search
check "wrong CA: no bind or search at all (the client hung up after the handshake)" no_ops

f0=$(failures) b0=$(bounces) d0=$(deferrals)
check "qmail-start with the wrong CA" qstart
send_to alice@$D "tls wrong ca"
check "wrong CA: the delivery is deferred" wait_until 30 _gt deferrals "$d0"
check "wrong CA: the deferral says Unable to contact LDAP server (#4.4.3)" \
  grep -q -E 'deferral: Unable_to_contact_LDAP_server\..*\(#4\.4\.3\)' "$QLOG"
check "wrong CA: no failure, no bounce" test "$(failures)" = "$f0" -a "$(bounces)" = "$b0"
check "wrong CA: not delivered, still queued" test "$(maildir_grep "$(md alice)" '^Subject: tls wrong ca$')" = 0 -a "$(queued)" = 1
check "wrong CA: slapd saw qmail-lspawn's STARTTLS" starttls_seen
check "wrong CA: no bind or search reached slapd from qmail-lspawn" no_ops
check "SIGTERM" qstop
ctl ldaptlscacert "$PKI/ca.crt"
check "qmail-start with the right CA" qstart
qsignal ALRM
check "right CA again: the deferred message is delivered" wait_for_mail "$(md alice)" '^Subject: tls wrong ca$' 1 60
check "queue empty" wait_queue_empty 30
check "SIGTERM" qstop

# ------------------------------------------------------------ 3. slapd requires TLS
slapd_tls_stop
cfgmod <<EOF
dn: cn=config
changetype: modify
replace: olcSecurity
olcSecurity: tls=1
EOF
check "olcSecurity tls=1 set" test $? = 0
if slapd_tls_start; then ok "slapd restarted requiring TLS"
else notok "slapd restarted requiring TLS" "$(tail -n 5 "$SLOG" | tr '\n' ' ')"; fi
check "precondition: slapd refuses a plaintext search" sh -c \
  '! ldapsearch -x -H "ldap://127.0.0.1:$1" -b "$2" "(uid=alice)" > /dev/null 2>&1' x "$LPORT" "$SUFFIX"

ctl ldapstarttls 0
mark
"$LK" -m alice@$D > "$T/lk-plain.out" 2> "$T/lk-plain.err"
rc=$?
if [ "$rc" = 111 ]; then ok "TLS required, ldapstarttls 0: qmail-ldaplookup -m exits 111"
else notok "TLS required, ldapstarttls 0: qmail-ldaplookup -m exits 111" "exit $rc: $(cat "$T/lk-plain.err" | tr '\n' ' ')"; fi
check "TLS required, ldapstarttls 0: slapd refused (err=13, confidentiality required)" \
  sh -c 'tail -n +"$(($1 + 1))" "$2" | grep -q "RESULT .*err=13"' x "$MARK" "$SLOG"
check "TLS required, ldapstarttls 0: no entry went out (nentries=0 or refused)" \
  sh -c '! tail -n +"$(($1 + 1))" "$2" | grep -q "SEARCH RESULT .*nentries=[1-9]"' x "$MARK" "$SLOG"

f0=$(failures) b0=$(bounces) d0=$(deferrals)
check "qmail-start with ldapstarttls 0" qstart
send_to alice@$D "tls required"
check "TLS required, ldapstarttls 0: the delivery is deferred" wait_until 30 _gt deferrals "$d0"
check "TLS required, ldapstarttls 0: the deferral is temporary (#4.x.x)" \
  sh -c 'grep "deferral:" "$1" | tail -n 1 | grep -q "(#4\.[0-9]*\.[0-9]*)"' x "$QLOG"
check "TLS required, ldapstarttls 0: no failure, no bounce" test "$(failures)" = "$f0" -a "$(bounces)" = "$b0"
check "TLS required, ldapstarttls 0: not delivered, still queued" test "$(maildir_grep "$(md alice)" '^Subject: tls required$')" = 0 -a "$(queued)" = 1
check "SIGTERM" qstop

ctl ldapstarttls 1
mark
rc=$(lk -m alice@$D)
check "TLS required, ldapstarttls 1: qmail-ldaplookup -m finds alice" test "$rc" = 0
check "TLS required, ldapstarttls 1: searched over TLS" tls_searches
mark
check "qmail-start with ldapstarttls 1" qstart
qsignal ALRM
check "TLS required, ldapstarttls 1: the deferred message is delivered" wait_for_mail "$(md alice)" '^Subject: tls required$' 1 60
check "TLS required, ldapstarttls 1: qmail-lspawn searched over TLS" tls_searches
check "queue empty" wait_queue_empty 30
check "SIGTERM" qstop

# ------------------------------------------------------------ 4. ldaps://
ctl ldapserver "ldaps://127.0.0.1:$SPORT/"
ctl ldapstarttls 0
mark
rc=$(lk -m alice@$D)
if [ "$rc" = 0 ]; then ok "ldaps:// + ldaptlscacert: qmail-ldaplookup -m finds alice"
else notok "ldaps:// + ldaptlscacert: qmail-ldaplookup -m finds alice" "exit $rc: $(tail -n 2 "$T/lk.out" | tr '\n' ' ')"; fi
check "ldaps://: searched over TLS" tls_searches
ctl ldapstarttls 1
rc=$(lk -m alice@$D)
check "ldaps:// with ldapstarttls 1: found" test "$rc" = 0
check "ldaps://: no STARTTLS inside TLS" no_starttls
mark
check "qmail-start with ldaps://" qstart
send_to alice@$D "tls ldaps"
check "ldaps://: delivered through qmail-lspawn" wait_for_mail "$(md alice)" '^Subject: tls ldaps$'
check "ldaps://: qmail-lspawn searched over TLS" tls_searches
check "SIGTERM" qstop
ctl ldaptlscacert "$PKI/otherca.crt"
mark
rc=$(lk -m alice@$D)
check "ldaps:// with the wrong CA: qmail-ldaplookup -m exits 111" test "$rc" = 111
check "ldaps:// with the wrong CA: no bind or search" no_ops

check "no failure and no bounce in the whole run" test "$(failures)" = 0 -a "$(bounces)" = 0
check "no core dumps" test -z "$(find "$QH" "$T" -name 'core*' -type f 2>/dev/null)"
cleanup
done_testing
