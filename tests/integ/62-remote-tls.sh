#!/bin/sh
# qmail-remote's outgoing STARTTLS and SMTP AUTH, against a private
# Postfix (smtpd with smtpd_tls_security_level=encrypt, Cyrus SASL from a
# sasldb, permit_sasl_authenticated,reject; mail delivered by a pipe into
# files), Postfix's smtp-sink (plaintext only) and a small scripted SMTP
# server (offers STARTTLS; logs every command), with control/
# tlsdestinations policies none, may, encrypt, verify: names checked are
# the smarthost's (smtproutes) and the MX host's, so the script re-runs
# itself in private network and mount namespaces where a tiny DNS server
# on 127.0.0.1:53 (in /etc/resolv.conf, bind-mounted there only) knows
# the test names. Postfix runs with its own config_directory and
# queue_directory under $T (postfix -c); /etc/postfix is not touched.
# Certificates come from openssl req (a throwaway CA).
. "$(dirname "$0")/../lib.sh"
D=testhost.example
PY=$(command -v python3) || { notok "python3 available"; done_testing; exit; }

if [ -z "${TLS_IN_NS:-}" ]; then
  if ! unshare -mn true 2>/dev/null; then
    ok "remote TLS tests skipped: no network namespaces here # skip"
    done_testing; exit
  fi
  printf 'nameserver 127.0.0.1\noptions timeout:2 attempts:2\n' > "$T/resolv.conf"
  exec unshare -mn env TLS_IN_NS=1 sh "$0"
fi

PF=$T/pf
PIDS=
cleanup() {
  [ -f "$PF/etc/main.cf" ] && postfix -c "$PF/etc" stop > /dev/null 2>&1
  for p in $PIDS; do kill "$p" 2>/dev/null; done
  qstop > /dev/null 2>&1
  wait 2>/dev/null
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM
bg() { "$@" & PIDS="$PIDS $!"; LASTPID=$!; }

check "loopback up in the namespace" ip link set lo up
check "private /etc/resolv.conf" mount --bind "$T/resolv.conf" /etc/resolv.conf
for p in postfix smtp-sink saslpasswd2 openssl setpriv; do
  command -v "$p" > /dev/null 2>&1 || { notok "$p is installed" "tests/deps"; done_testing; exit; }
done
[ -x "$QH/bin/qmail-remote" ] || { notok "qmail-remote is installed"; done_testing; exit; }

# ------------------------------------------------------------ PKI
# ca signs the server (mail.tls.example, mx.tls.example) and the client;
# otherca is a stranger.
PKI=$T/pki
mkdir -p "$PKI" && chmod 755 "$PKI"
mkca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=$1 test CA" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -keyout "$PKI/$1.key" -out "$PKI/$1.crt" > "$PKI/$1.out" 2>&1
}
mkleaf() {  # mkleaf NAME CN EKU SAN
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$2" \
    -keyout "$PKI/$1.key" -out "$PKI/$1.csr" > "$PKI/$1.out" 2>&1 &&
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n%s\n' "$3" "$4" > "$PKI/$1.ext" &&
  openssl x509 -req -in "$PKI/$1.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial -days 2 \
    -extfile "$PKI/$1.ext" -out "$PKI/$1.crt" >> "$PKI/$1.out" 2>&1
}
if mkca ca && mkca otherca &&
   mkleaf srv mail.tls.example serverAuth 'subjectAltName=DNS:mail.tls.example,DNS:mx.tls.example' &&
   mkleaf client client.tls.example clientAuth ''; then
  ok "throwaway CAs, server and client certificates"
else
  notok "throwaway CAs, server and client certificates" "$(cat "$PKI"/*.out | tail -n 3 | tr '\n' ' ')"; done_testing; exit
fi
cat "$PKI/client.crt" "$PKI/client.key" > "$PKI/client.pem"
# qmail-remote runs as qmailr: it reads the CA files and its own cert+key
chown qmailr "$PKI/client.pem"; chmod 600 "$PKI/client.pem"
chmod 644 "$PKI/ca.crt" "$PKI/otherca.crt" "$PKI/srv.crt" "$PKI/srv.key"

# ------------------------------------------------------------ DNS and the scripted server
mkdir -p "$T/net" && chmod 755 "$T/net"
cat > "$T/netd.py" <<'PY'
# netd.py DIR CERT KEY: DNS on 127.0.0.1:53 (the zone below, NXDOMAIN for
# the rest) and scripted SMTP servers on 127.0.0.1 (offering STARTTLS):
#   2526 tls     STARTTLS with CERT, AUTH PLAIN LOGIN, accepts everything
#   2527 refuse  STARTTLS answered 454
#   2528 garbage STARTTLS answered 220, then (later) bytes that are not TLS;
#                what the client sends after that is logged as "RAW <hex
#                of the first byte> <length>" (16: TLS handshake, 15: alert)
#   2529 inject  STARTTLS answered 220 and, in the same packet, a reply
# Each logs its commands to DIR/smtp-MODE.log ("TLS" when the handshake
# is done); DIR/netd.ready when everything listens.
import os, socket, ssl, struct, sys, threading, time
D, CERT, KEY = sys.argv[1:4]
A, MX = 1, 15
def dname(n): return b''.join(bytes([len(p)]) + p.encode() for p in n.split('.') if p) + b'\0'
def a(ip): return (A, socket.inet_aton(ip))
def mx(pref, host): return (MX, struct.pack('>H', pref) + dname(host))
ZONE = {
    'mail.tls.example': [a('127.0.0.1')],      # the smarthost (Postfix on 127.0.0.1:587)
    'other.tls.example': [a('127.0.0.1')],     # the same server, a name its certificate lacks
    'mx.tls.example': [a('127.0.0.2')],        # Postfix on 127.0.0.2:25
    'bad.tls.example': [a('127.0.0.2')],
    'mxdom.example': [mx(10, 'mx.tls.example')],
    'badmx.example': [mx(10, 'bad.tls.example')],
}
def dns(sock):
    while True:
        data, peer = sock.recvfrom(4096)
        if len(data) < 12: continue
        i, labels = 12, []
        while i < len(data) and data[i]:
            labels.append(data[i + 1:i + 1 + data[i]].decode('latin-1')); i += data[i] + 1
        if i + 5 > len(data): continue
        qtype = struct.unpack('>H', data[i + 1:i + 3])[0]
        name = '.'.join(labels).lower()
        ans = [r for r in ZONE.get(name, []) if r[0] == qtype]
        rcode = 0 if name in ZONE else 3
        out = struct.pack('>HHHHHH', struct.unpack('>H', data[:2])[0], 0x8580 | rcode, 1, len(ans), 0, 0) + data[12:i + 5]
        for t, rd in ans: out += struct.pack('>HHHIH', 0xc00c, t, 1, 60, len(rd)) + rd
        sock.sendto(out, peer)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
def smtp(conn, mode):
    log = open(os.path.join(D, 'smtp-%s.log' % mode), 'ab', buffering=0)
    log.write(b'CONNECT\n')
    f = conn.makefile('rb')
    conn.sendall(b'220 stub.example ESMTP\r\n')
    tls = False
    try:
        while True:
            line = f.readline()
            if not line: break
            log.write(line)
            verb = line[:8].upper().split(b' ')[0].strip()
            if verb == b'EHLO':
                caps = [b'stub.example', b'PIPELINING', b'SIZE 10000000', b'AUTH PLAIN LOGIN'] + ([] if tls else [b'STARTTLS'])
                conn.sendall(b''.join(b'250' + (b' ' if k == len(caps) - 1 else b'-') + c + b'\r\n' for k, c in enumerate(caps)))
            elif verb == b'STARTTLS' and mode == 'refuse': conn.sendall(b'454 4.7.0 TLS not available\r\n')
            elif verb == b'STARTTLS' and mode == 'garbage':
                # separately: the client must be in its handshake when it comes
                conn.sendall(b'220 go ahead\r\n'); time.sleep(0.3); conn.sendall(b'this is not TLS at all\r\n')
                while True:       # what comes now: "RAW <first byte> <length>" per read
                    d = f.read1(4096)
                    if not d: break
                    log.write(b'RAW %02x %d\n' % (d[0], len(d)))
                break
            elif verb == b'STARTTLS' and mode == 'inject': conn.sendall(b'220 go ahead\r\n250 injected\r\n')
            elif verb == b'STARTTLS':
                conn.sendall(b'220 go ahead\r\n')
                conn = ctx.wrap_socket(conn, server_side=True)
                f = conn.makefile('rb'); tls = True
                log.write(b'TLS ' + conn.version().encode() + b'\n')
            elif verb == b'AUTH': conn.sendall(b'235 ok\r\n')
            elif verb == b'DATA':
                conn.sendall(b'354 go\r\n')
                while True:
                    d = f.readline()
                    if not d or d == b'.\r\n': break
                    log.write(b'D:' + d)
                conn.sendall(b'250 ok queued\r\n')
            elif verb == b'QUIT': conn.sendall(b'221 bye\r\n'); break
            else: conn.sendall(b'250 ok\r\n')
    except (OSError, ssl.SSLError) as e: log.write(b'ERROR ' + str(e).encode() + b'\n')
    finally: conn.close()
def listener(port, mode):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', port)); s.listen(8)
    def loop():
        while True:
            c, p = s.accept()
            threading.Thread(target=smtp, args=(c, mode), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', 53))
threading.Thread(target=dns, args=(u,), daemon=True).start()
listener(2526, 'tls'); listener(2527, 'refuse'); listener(2528, 'garbage'); listener(2529, 'inject')
open(os.path.join(D, 'netd.ready'), 'w').close()
threading.Event().wait()
PY
bg "$PY" "$T/netd.py" "$T/net" "$PKI/srv.crt" "$PKI/srv.key"
check "DNS server and scripted SMTP servers listening" wait_for_file "$T/net/netd.ready" 20

# ------------------------------------------------------------ smtp-sink (plaintext)
SINKDIR=$T/sink
mkdir -m 777 "$SINKDIR"
bg smtp-sink -u nobody -d "$SINKDIR/%H%M%S." 127.0.0.1:2525 20 > "$T/sink.log" 2>&1
listening() { "$PY" -c 'import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 2).close()' "$1" "$2" 2>/dev/null; }
check "smtp-sink listening" wait_until 10 listening 127.0.0.1 2525
sinkfiles() { ls "$SINKDIR" | wc -l | tr -d ' '; }

# ------------------------------------------------------------ Postfix
# 127.0.0.1:587: the smarthost: TLS required (so AUTH is offered only
#   inside it), SASL required for relaying; 127.0.0.2:25: an MX for
#   mxdom.example and badmx.example, TLS required, no AUTH.
mkdir -p "$PF/etc/sasl" "$PF/spool" "$PF/data" "$PF/got"
chown postfix "$PF/data"; chmod 777 "$PF/got"
cat > "$PF/etc/sasl/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: PLAIN LOGIN
sasldb_path: $PF/sasldb2
EOF
printf '%s' 'pass word' | saslpasswd2 -p -c -f "$PF/sasldb2" -u tls.example joe
chown postfix "$PF/sasldb2"; chmod 600 "$PF/sasldb2"
printf '#!/bin/sh\n# deliver DIR ID: the message into DIR/ID\ncat > "$1/$2.tmp" && mv "$1/$2.tmp" "$1/$2"\n' > "$PF/deliver"
chmod 755 "$PF/deliver"
cat > "$PF/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF/spool
data_directory = $PF/data
myhostname = mail.tls.example
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks =
alias_maps =
alias_database =
maillog_file_prefixes = $PF
maillog_file = $PF/maillog
default_transport = fileit
relay_transport = fileit
relay_domains = mxdom.example badmx.example
smtpd_peername_lookup = no
smtpd_tls_cert_file = $PKI/srv.crt
smtpd_tls_key_file = $PKI/srv.key
smtpd_tls_CAfile = $PKI/ca.crt
smtpd_tls_security_level = encrypt
smtpd_tls_ask_ccert = yes
smtpd_tls_loglevel = 1
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $PF/etc/sasl
smtpd_sasl_local_domain = tls.example
smtpd_relay_restrictions =
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
EOF
cat > "$PF/etc/master.cf" <<EOF
127.0.0.1:587 inet n - n - - smtpd
127.0.0.2:25 inet n - n - - smtpd -o syslog_name=postfix/mx -o smtpd_sasl_auth_enable=no -o smtpd_recipient_restrictions=permit_auth_destination,reject
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
tlsmgr    unix - - n 1000? 1 tlsmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
fileit    unix - n n - - pipe flags=F user=nobody argv=$PF/deliver $PF/got \${queue_id}
EOF
# the queue directories, then a start without postfix-script's slow
# integrity scan (quick-start: the instance is new)
postfix -c "$PF/etc" post-install create-missing > "$PF/start.out" 2>&1 && touch "$PF/spool/quick-start" &&
postfix -c "$PF/etc" start >> "$PF/start.out" 2>&1
if wait_until 20 listening 127.0.0.1 587 && wait_until 10 listening 127.0.0.2 25; then
  ok "private Postfix (postfix -c $PF/etc) listening on 127.0.0.1:587 and 127.0.0.2:25"
else
  notok "private Postfix listening" "$(tail -n 3 "$PF/start.out" "$PF/maillog" 2>/dev/null | tr '\n' ' ')"; done_testing; exit
fi
gotfiles() { ls "$PF/got" | grep -vc '\.tmp$'; }
lastgot() { ls -t "$PF/got" | grep -v '\.tmp$' | head -n 1 | sed "s|^|$PF/got/|"; }
# pflog REGEX: Postfix logged it (its log is written asynchronously)
pflog() { wait_for_log "$1" 10 "$PF/maillog"; }

# ------------------------------------------------------------ helpers
printf 'Subject: tls test\n\nhello over TLS\n.dot line\n' > "$T/m"
chmod 644 "$T/m"
# remote DOMAIN SENDER RCPT...: qmail-remote as qmailr (as qmail-rspawn runs
# it); its report, NULs as '#'
remote() {
  setpriv --reuid="$(id -u qmailr)" --regid="$(id -g qmailr)" --clear-groups -- \
    "$QH/bin/qmail-remote" "$@" < "$T/m" | tr '\0' '#'
}
report() {  # report LABEL WANT-PREFIX OUTPUT
  case $3 in "$2"*) ok "$1" ;; *) notok "$1" "got: $(printf '%s' "$3" | tr '\n' '/' | cut -c1-300)" ;; esac
}
has() { case $1 in *"$2"*) return 0 ;; esac; return 1; }
hasnt() { ! has "$@"; }
stublog() { cat "$T/net/smtp-$1.log" 2>/dev/null; }
# the last session of scripted server MODE
lastsession() { sed -n '/^CONNECT/h; /^CONNECT/!H; ${x;p;}' "$T/net/smtp-$1.log" 2>/dev/null; }

ctl smtproutes \
  "example.net:mail.tls.example:587 joe pass word" \
  "badpw.example:mail.tls.example:587 joe wrong" \
  "noauth.example:mail.tls.example:587" \
  "wrongname.example:other.tls.example:587 joe pass word" \
  "sink.example:127.0.0.1:2525" "sinkenc.example:127.0.0.1:2525" \
  "sinkauth.example:127.0.0.1:2525 joe sec ret" "sinknone.example:127.0.0.1:2525 joe sec ret" \
  "stub.example:127.0.0.1:2526" "stubnone.example:127.0.0.1:2526" "stubauth.example:127.0.0.1:2526 joe x" \
  "refuse.example:127.0.0.1:2527" "refusemay.example:127.0.0.1:2527" "refuseauth.example:127.0.0.1:2527 joe x" \
  "garbage.example:127.0.0.1:2528" "inject.example:127.0.0.1:2529"
ctl tlsdestinations \
  "example.net:verify" "wrongname.example:verify" "sinkenc.example:encrypt" "sinknone.example:none" \
  "stubnone.example:none" "refuse.example:encrypt" "mxdom.example:verify" "badmx.example:verify" \
  "typo.example:verfy" "noauth.example:encrypt"
ctl remotecacert "$PKI/ca.crt"
ctl timeoutremote 10

# ------------------------------------------------------------ the smarthost: verify + AUTH
n=$(gotfiles)
out=$(remote example.net s@$D r@example.net)
report "verify + AUTH at the smarthost: accepted, the report names TLS and the verified name" \
  "K#K127.0.0.1 accepted message. TLS TLSv1.3 " "$out"
has "$out" ", verified mail.tls.example." && ok "report: verified mail.tls.example" || notok "report: verified mail.tls.example" "$out"
check "the message reached Postfix (delivered by its pipe)" wait_until 10 sh -c '[ "$(ls "$1" | grep -vc "\.tmp$")" -gt "$2" ]' x "$PF/got" "$n"
check "Postfix got it intact (dot line unstuffed, Received says ESMTPSA)" \
  sh -c 'grep -q "^\.dot line$" "$1" && grep -q "with ESMTPSA" "$1" && grep -q "^Subject: tls test" "$1"' x "$(lastgot)"
check "Postfix log: TLS connection established (TLSv1.3)" pflog 'TLS connection established from .*: TLSv1\.3 with cipher'
check "Postfix log: sasl_username=joe" pflog 'client=.*sasl_method=PLAIN, sasl_username=joe@tls\.example'
check "Postfix log: AUTH=<sender> on MAIL (sasl_sender)" pflog 'sasl_username=joe@tls\.example, sasl_sender=s@testhost\.example$'
check "Postfix log: without remotecert the client is anonymous" pflog 'Anonymous TLS connection established from'

out=$(remote example.net 'a+b=c@testhost.example' r@example.net)
report "a sender with + and =: accepted" "K#K127.0.0.1 accepted message. TLS" "$out"
check "AUTH= is xtext: a+2Bb+3Dc@testhost.example" pflog 'sasl_sender=a\+2Bb\+3Dc@testhost\.example$'
out=$(remote example.net '' r@example.net)
report "null sender: AUTH=<> (accepted)" "K#K127.0.0.1 accepted message. TLS" "$out"

ctl remotecert "$PKI/client.pem"
out=$(remote example.net s@$D r@example.net)
report "remotecert: accepted" "K#K127.0.0.1 accepted message. TLS" "$out"
check "Postfix log: the client certificate was presented and trusted" pflog 'Trusted TLS connection established from'
ctl remotecert

# ------------------------------------------------------------ failures at the smarthost
out=$(remote badpw.example s@$D r@badpw.example)
report "wrong password: permanent (535 from Postfix)" "DConnected to 127.0.0.1 but authentication was rejected (AUTH PLAIN)." "$out"
has "$out" "535" && ok "wrong password: Postfix's 535 in the report" || notok "wrong password: Postfix's 535 in the report" "$out"
n=$(gotfiles)
out=$(remote wrongname.example s@$D r@wrongname.example)
report "verify against a name the certificate lacks: deferral naming the host and the error" \
  "ZConnected to 127.0.0.1 (other.tls.example) but the TLS handshake failed: certificate verification failed: hostname mismatch (control/tlsdestinations: verify)." "$out"
ctl remotecacert "$PKI/otherca.crt"
out=$(remote example.net s@$D r@example.net)
report "verify with the wrong CA: deferral" \
  "ZConnected to 127.0.0.1 (mail.tls.example) but the TLS handshake failed: certificate verification failed: " "$out"
ctl remotecacert "$PKI/nonexistent.crt"
out=$(remote example.net s@$D r@example.net)
report "verify with a missing remotecacert: deferral" "ZConnected to 127.0.0.1 (mail.tls.example) but the TLS handshake failed: cannot load CA certificates" "$out"
ctl remotecacert "$PKI/ca.crt"
check "nothing reached Postfix after a failed verify" test "$(gotfiles)" = "$n"
out=$(remote noauth.example s@$D r@noauth.example)
report "encrypt without credentials: TLS, then Postfix refuses to relay (permanent)" "D127.0.0.1 does not like recipient." "$out"
out=$(remote typo.example s@$D r@typo.example)
report "a policy that is not one: deferral, nothing sent" "ZUnable to parse the policy for that host in control/tlsdestinations. (#4.3.5)" "$out"

# ------------------------------------------------------------ MX host names
n=$(gotfiles)
out=$(remote mxdom.example s@$D r@mxdom.example)
report "verify by the MX host name: accepted" "K#K127.0.0.2 accepted message. TLS TLSv1.3 " "$out"
has "$out" ", verified mx.tls.example." && ok "report: verified mx.tls.example" || notok "report: verified mx.tls.example" "$out"
check "the MX delivery reached Postfix" wait_until 10 sh -c '[ "$(ls "$1" | grep -vc "\.tmp$")" -gt "$2" ]' x "$PF/got" "$n"
out=$(remote badmx.example s@$D r@badmx.example)
report "verify: an MX host the certificate does not name: deferral" \
  "ZConnected to 127.0.0.2 (bad.tls.example) but the TLS handshake failed: certificate verification failed: hostname mismatch" "$out"

# ------------------------------------------------------------ plaintext peers
n=$(sinkfiles)
out=$(remote sinkenc.example s@$D r@sinkenc.example)
report "encrypt against plaintext smtp-sink: deferral naming the host" \
  "ZConnected to 127.0.0.1 but it does not offer STARTTLS (control/tlsdestinations: encrypt)." "$out"
check "encrypt: nothing sent to smtp-sink" test "$(sinkfiles)" = "$n"
out=$(remote sink.example s@$D r@sink.example)
report "may (the default) against plaintext smtp-sink: delivered in plaintext" "K#K127.0.0.1 accepted message.
Remote host said: 250" "$out"
check "may: smtp-sink has it" test "$(sinkfiles)" -gt "$n"
n=$(sinkfiles)
out=$(remote sinkauth.example s@$D r@sinkauth.example)
report "AUTH route without TLS (may): deferral, the password is not sent" \
  "ZConnected to 127.0.0.1 but it does not offer STARTTLS: without TLS I would send the password in cleartext (control/tlsdestinations: may)." "$out"
check "AUTH route without TLS: nothing sent" test "$(sinkfiles)" = "$n"
out=$(remote sinknone.example s@$D r@sinknone.example)
report "AUTH route with policy none: AUTH in plaintext, and the report says so" \
  "K#K127.0.0.1 accepted message. AUTH without TLS (control/tlsdestinations: none)." "$out"

# ------------------------------------------------------------ the scripted server (offers STARTTLS)
out=$(remote stubnone.example s@$D r@stubnone.example)
report "none against a server offering STARTTLS: accepted" "K#K127.0.0.1 accepted message.
Remote host said: 250 ok queued" "$out"
lastsession tls > "$T/sess"
check "none: no STARTTLS sent" sh -c '! grep -q "^STARTTLS" "$1" && grep -q "^MAIL FROM:<s@testhost.example>" "$1"' x "$T/sess"
check "none: SIZE= from the EHLO reply" grep -q '^MAIL FROM:<s@testhost.example> SIZE=[0-9]' "$T/sess"
out=$(remote stub.example s@$D r@stub.example)
report "may against the same server: TLS" "K#K127.0.0.1 accepted message. TLS TLSv1.3 " "$out"
lastsession tls > "$T/sess"
check "may: STARTTLS, then EHLO again inside TLS, then MAIL with SIZE= from that EHLO" \
  sh -c 'grep -A1 "^STARTTLS" "$1" | grep -q "^TLS TLSv1.3" && sed -n "/^TLS/,\$p" "$1" | head -n 2 | grep -q "^EHLO testhost.example" && sed -n "/^TLS/,\$p" "$1" | grep -q "^MAIL FROM:<s@testhost.example> SIZE=[0-9]"' x "$T/sess"
out=$(remote stubauth.example s@$D r@stubauth.example)
report "AUTH over TLS at the scripted server: accepted" "K#K127.0.0.1 accepted message. TLS" "$out"
lastsession tls > "$T/sess"
check "AUTH only inside TLS, then MAIL with AUTH=<sender>" \
  sh -c '! sed -n "1,/^TLS/p" "$1" | grep -q "^AUTH" && sed -n "/^TLS/,\$p" "$1" | grep -q "^AUTH PLAIN " && grep -q "^MAIL FROM:<s@testhost.example> SIZE=[0-9]* AUTH=s@testhost.example" "$1"' x "$T/sess"

out=$(remote refuse.example s@$D r@refuse.example)
report "encrypt, STARTTLS refused (454): deferral" "ZConnected to 127.0.0.1 but STARTTLS was refused (control/tlsdestinations: encrypt).
Remote host said: 454 4.7.0 TLS not available" "$out"
out=$(remote refusemay.example s@$D r@refusemay.example)
report "may, STARTTLS refused: goes on in plaintext" "K#K127.0.0.1 accepted message.
Remote host said: 250" "$out"
out=$(remote refuseauth.example s@$D r@refuseauth.example)
report "AUTH route, STARTTLS refused: deferral, no password sent" \
  "ZConnected to 127.0.0.1 but STARTTLS was refused: without TLS I would send the password in cleartext" "$out"
check "STARTTLS refused: no AUTH sent" sh -c '! grep -q "^AUTH" "$1"' x "$T/net/smtp-refuse.log"

out=$(remote garbage.example s@$D r@garbage.example)
report "a handshake that fails: deferral" "ZConnected to 127.0.0.1 but the TLS handshake failed: " "$out"
lastsession garbage > "$T/sess"
check "a failed handshake never falls back to plaintext on that connection" \
  sh -c 'sed -n "/^STARTTLS/,\$p" "$1" | sed 1d > "$1.after" && head -n 1 "$1.after" | grep -q "^RAW 16 " &&
         ! grep -v "^RAW 1[56] \|^ERROR " "$1.after" | grep -q .' x "$T/sess"
out=$(remote inject.example s@$D r@inject.example)
report "plaintext right after the 220 to STARTTLS (injection): deferral" \
  "ZConnected to 127.0.0.1 but the TLS handshake failed: plaintext after the 220 to STARTTLS (control/tlsdestinations: may)." "$out"
lastsession inject > "$T/sess"
check "injection: nothing sent after STARTTLS" sh -c 'tail -n 1 "$1" | grep -q "^STARTTLS"' x "$T/sess"

# ------------------------------------------------------------ through qmail-send
add_user local
if qstart; then
  n=$(gotfiles)
  printf 'To: far@example.net\nSubject: via qmail-send\n\nover tls\n' | inject -f "local@$D" far@example.net
  check "qmail-send's log: success with TLS and the verified smarthost" \
    wait_for_log 'delivery [0-9]+: success: 127.0.0.1_accepted_message._TLS_TLSv1.3_[A-Z0-9_]+,_verified_mail.tls.example./Remote_host_said:_250'
  check "Postfix got it" wait_until 10 sh -c '[ "$(ls "$1" | grep -vc "\.tmp$")" -gt "$2" ]' x "$PF/got" "$n"
  printf 'To: far@sinkenc.example\nSubject: no tls there\n\nx\n' | inject -f "local@$D" far@sinkenc.example
  check "qmail-send's log: encrypt policy deferral" \
    wait_for_log 'delivery [0-9]+: deferral: Connected_to_127.0.0.1_but_it_does_not_offer_STARTTLS_\(control/tlsdestinations:_encrypt\)'
  check "SIGTERM: every process exits" qstop
else
  notok "qmail-start comes up"
fi
done_testing
