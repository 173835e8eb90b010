#!/bin/sh
# qmail-remote's MX handling end to end, with the system resolver
# (libresolv) asking a tiny DNS server: the script re-runs itself inside a
# private network and mount namespace where 127.0.0.1:53 is that server
# and /etc/resolv.conf (bind-mounted, in the namespace only) points at it.
#   MXPS (life-with-qmail-ldap 13.4): preference 12801..13055 with
#     pref % 16 == 1 means QMTP on port 209 (a real qmail-qmtpd under
#     tcpserver), SMTP on 25 when nothing answers there;
#   MX preferences: a dead best exchanger is skipped, so is one that
#     greets with 4xx; equal preferences; MX hosts without addresses;
#   IPv6: AAAA-only domains and MX hosts (an "AnyIP" route makes
#     2001:db8:25::/64 local without putting it on an interface, so it is
#     not "this host" as ::1 is);
#   "I'm the MX": an exchanger that is this host (127.0.0.1, ::1) at the
#     best preference is a permanent failure, as in qmail; exchangers
#     preferred over us are still used, never we ourselves;
#   NXDOMAIN / SERVFAIL / null MX / no addresses;
#   qmail-qmqpc with a host name argument (resolved, first address used);
# then the same through qmail-send -> qmail-rspawn -> qmail-remote.
# qmail-remote runs as qmailr, as qmail-rspawn runs it.
. "$(dirname "$0")/../lib.sh"
D=testhost.example
PY=$(command -v python3) || { notok "python3 available"; done_testing; exit; }

if [ -z "${MX_IN_NS:-}" ]; then
  if ! unshare -mn true 2>/dev/null; then
    ok "MX tests skipped: no network namespaces here # skip"
    done_testing; exit
  fi
  printf 'nameserver 127.0.0.1\noptions timeout:2 attempts:2\n' > "$T/resolv.conf"
  exec unshare -mn env MX_IN_NS=1 sh "$0"
fi

PIDS=
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT INT TERM
bg() { "$@" & PIDS="$PIDS $!"; LASTPID=$!; }

check "loopback up in the namespace" ip link set lo up
check "private /etc/resolv.conf" mount --bind "$T/resolv.conf" /etc/resolv.conf
V6=0
if ip -6 route add local 2001:db8:25::/64 dev lo 2>/dev/null; then V6=1; fi

for p in qmail-remote qmail-qmtpd; do
  [ -x "$QH/bin/$p" ] || { notok "$p is installed"; done_testing; exit; }
done
command -v tcpserver >/dev/null || { notok "tcpserver available"; done_testing; exit; }

# ------------------------------------------------------- DNS + SMTP sinks
cat > "$T/netd.py" <<'PY'
# netd.py DIR V6: a DNS server on 127.0.0.1:53 for the test zone and SMTP
# sinks; each sink logs its sessions to DIR/smtp-LABEL.log; queries are
# logged to DIR/dns.log; DIR/netd.ready when everything listens.
import os, socket, struct, sys, threading
D, V6 = sys.argv[1], sys.argv[2] == '1'
A, MX, AAAA = 1, 15, 28
def dname(n): return b''.join(bytes([len(p)]) + p.encode() for p in n.split('.') if p) + b'\0'
def mx(pref, host): return (MX, struct.pack('>H', pref) + dname(host))
def a(ip): return (A, socket.inet_pton(socket.AF_INET, ip))
def aaaa(ip): return (AAAA, socket.inet_pton(socket.AF_INET6, ip))
V6ADDR = '2001:db8:25::25'
ZONE = {
    # MXPS
    'mxps.example': [mx(12801, 'q1.example')],
    'q1.example': [a('127.0.0.2')],
    'smtppref.example': [mx(12816, 'q1.example')],           # 12816 % 16 == 0: SMTP
    'mxpshigh.example': [mx(13057, 'q1.example')],           # % 16 == 1 but above 13055: SMTP
    'mxpsfb.example': [mx(12801, 'q2.example')],
    'q2.example': [a('127.0.0.3')],                           # nothing on 209
    'bsws.example': [mx(12801, 'down.example'), mx(12816, 'down.example'),
                     mx(12817, 'q1.example'), mx(12832, 'q1.example')],
    # ordinary MX lists
    'down.example': [a('127.0.0.4')],                         # nothing listens
    'up.example': [a('127.0.0.5')],
    'busy.example': [a('127.0.0.6')],                         # greets with 421
    'two.example': [mx(20, 'up.example'), mx(10, 'down.example')],
    'greet4xx.example': [mx(10, 'busy.example'), mx(20, 'up.example')],
    'equal.example': [mx(10, 'down.example'), mx(10, 'up.example')],
    'aonly.example': [a('127.0.0.5')],
    'noaddr.example': [mx(10, 'nxhost.example')],
    'partial.example': [mx(10, 'nxhost.example'), mx(20, 'up.example')],
    'nullmx.example': [mx(0, '')],
    'softmx.example': [mx(10, 'servfail.example')],
    # IPv6
    'v6only.example': [aaaa(V6ADDR)],
    'v6host.example': [aaaa(V6ADDR)],
    'v6mx.example': [mx(10, 'v6host.example')],
    'dual.example': [mx(10, 'dualhost.example')],
    'dualhost.example': [aaaa(V6ADDR), a('127.0.0.5')],
    # this host
    'testhost.example': [a('127.0.0.1')],
    'self.example': [mx(10, 'testhost.example'), mx(20, 'up.example')],
    'selfa.example': [a('127.0.0.1')],
    'self6.example': [aaaa('::1')],
    'selfbackup.example': [mx(5, 'up.example'), mx(10, 'testhost.example')],
    'selfbackupdown.example': [mx(5, 'down.example'), mx(10, 'testhost.example')],
}
SERVFAIL = {'servfail.example'}
qlog = open(os.path.join(D, 'dns.log'), 'a', buffering=1)

def dns(sock):
    while True:
        data, peer = sock.recvfrom(4096)
        if len(data) < 12: continue
        qid = struct.unpack('>H', data[:2])[0]
        i, labels = 12, []
        while i < len(data) and data[i]:
            labels.append(data[i + 1:i + 1 + data[i]].decode('latin-1')); i += data[i] + 1
        if i + 5 > len(data): continue
        qtype = struct.unpack('>H', data[i + 1:i + 3])[0]
        name = '.'.join(labels).lower()
        qlog.write('%s %d\n' % (name, qtype))
        if name in SERVFAIL: rcode, ans = 2, []
        elif name in ZONE: rcode, ans = 0, [r for r in ZONE[name] if r[0] == qtype]
        else: rcode, ans = 3, []
        out = struct.pack('>HHHHHH', qid, 0x8580 | rcode, 1, len(ans), 0, 0) + data[12:i + 5]
        for t, rd in ans:
            out += struct.pack('>HHHIH', 0xc00c, t, 1, 60, len(rd)) + rd
        sock.sendto(out, peer)

def smtp(conn, peer, label, greeting):
    log = open(os.path.join(D, 'smtp-%s.log' % label), 'ab', buffering=0)
    log.write(b'CONNECT ' + peer[0].encode() + b'\n')
    f = conn.makefile('rb')
    conn.sendall(greeting.encode() + b'\r\n')
    try:
        while True:
            line = f.readline()
            if not line: break
            log.write(line)
            verb = line[:4].upper()
            if verb == b'EHLO': conn.sendall(b'250-' + label.encode() + b'\r\n250-PIPELINING\r\n250 8BITMIME\r\n')
            elif verb == b'DATA':
                conn.sendall(b'354 go\r\n')
                while True:
                    d = f.readline()
                    if not d: return
                    log.write(b'D:' + d)
                    if d == b'.\r\n': break
                conn.sendall(b'250 ok ' + label.encode() + b' got it\r\n')
            elif verb == b'QUIT': conn.sendall(b'221 bye\r\n'); break
            else: conn.sendall(b'250 ok\r\n')
    except OSError: pass
    finally: conn.close()

def listener(family, addr, port, label, greeting):
    s = socket.socket(family)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_IP, 15, 1)     # IP_FREEBIND: the AnyIP IPv6 address
    s.bind((addr, port)); s.listen(16)
    def loop():
        while True:
            c, p = s.accept()
            threading.Thread(target=smtp, args=(c, p, label, greeting), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()

u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(('127.0.0.1', 53))
threading.Thread(target=dns, args=(u,), daemon=True).start()
listener(socket.AF_INET, '127.0.0.1', 25, 'self', '220 testhost.example ESMTP')
listener(socket.AF_INET, '127.0.0.2', 25, 'q1', '220 q1.example ESMTP')
listener(socket.AF_INET, '127.0.0.3', 25, 'q2', '220 q2.example ESMTP')
listener(socket.AF_INET, '127.0.0.5', 25, 'up', '220 up.example ESMTP')
listener(socket.AF_INET, '127.0.0.6', 25, 'busy', '421 busy.example try later')
if V6:
    listener(socket.AF_INET6, '::1', 25, 'self6', '220 testhost.example ESMTP')
    listener(socket.AF_INET6, V6ADDR, 25, 'v6', '220 v6.example ESMTP')
open(os.path.join(D, 'netd.ready'), 'w').close()
threading.Event().wait()
PY
mkdir -p "$T/net" && chmod 755 "$T/net"
bg "$PY" "$T/netd.py" "$T/net" "$V6"
check "DNS server and SMTP sinks listening" wait_for_file "$T/net/netd.ready" 20

# qmail-qmtpd on 127.0.0.2:209 (q1.example) into a recording queue.
FQ=$T/fq
mkdir -m 777 "$FQ"
cat > "$T/fakeqq" <<EOF
#!/bin/sh
# records msg.N and env.N in $FQ
n=\$\$
cat > "$FQ/msg.\$n.tmp" && cat <&1 > "$FQ/env.\$n.tmp" || exit 54
[ -s "$FQ/env.\$n.tmp" ] || exit 54
mv "$FQ/env.\$n.tmp" "$FQ/env.\$n" && mv "$FQ/msg.\$n.tmp" "$FQ/msg.\$n"
EOF
chmod 755 "$T/fakeqq"
ctl rcpthosts "$D" localhost mxps.example bsws.example mxpsfb.example
bg env QMAILQUEUE="$T/fakeqq" tcpserver -R -H -l q1.example -u "$(id -u qmaild)" -g "$(id -g qmaild)" \
  127.0.0.2 209 "$QH/bin/qmail-qmtpd"
qmtp_up() { "$PY" -c 'import socket; socket.create_connection(("127.0.0.2", 209), 1).close()' 2>/dev/null; }
check "qmail-qmtpd listening on 127.0.0.2:209" wait_until 10 qmtp_up

# ------------------------------------------------------------- helpers
printf 'Subject: mx test\n\nhello\n.dot line\n' > "$T/m"
chmod 644 "$T/m"
QMAILR=$(id -u qmailr)
# remote DOMAIN RCPT...: qmail-remote as qmailr; its report, NULs as '#'
remote() {
  _h=$1; shift
  setpriv --reuid="$QMAILR" --regid="$(id -g qmailr)" --clear-groups -- \
    "$QH/bin/qmail-remote" "$_h" "s@$D" "$@" < "$T/m" | tr '\0' '#'
}
report() {  # report LABEL WANT-PREFIX OUTPUT
  case $3 in "$2"*) ok "$1" ;; *) notok "$1" "got: $(printf '%s' "$3" | tr '\n' '/' | cut -c1-240)" ;; esac
}
sessions() { grep -c '^CONNECT' "$T/net/smtp-$1.log" 2>/dev/null || echo 0; }
qmtp_msgs() { ls "$FQ" | grep -c '^env\.[0-9]*$'; }
lastenv() { ls -t "$FQ"/env.* 2>/dev/null | head -n 1; }
got() {  # got LABEL RCPT: the sink LABEL's last session delivered RCPT with the message
  sed -n '/^CONNECT/h; /^CONNECT/!H; ${x;p;}' "$T/net/smtp-$1.log" 2>/dev/null > "$T/last-$1"
  grep -q "^RCPT TO:<$2>" "$T/last-$1" && grep -q '^D:\.\.dot line' "$T/last-$1" && grep -q '^D:Subject: mx test' "$T/last-$1"
}

# ------------------------------------------------------------- MXPS
n0=$(qmtp_msgs); s0=$(sessions q1)
out=$(remote mxps.example u@mxps.example)
report "MXPS 12801: QMTP to port 209" "K#K127.0.0.2 accepted message.
Remote host said: ok " "$out"
check "MXPS: qmail-qmtpd queued it once" test "$(qmtp_msgs)" = $((n0 + 1))
check "MXPS: envelope over QMTP" sh -c 'printf "Fs@testhost.example\0Tu@mxps.example\0\0" | cmp -s - "$1"' x "$(lastenv)"
check "MXPS: message intact over QMTP" sh -c 'sed 1,4d "$1" | cmp -s - "$2"' x "$(echo "$(lastenv)" | sed 's/env\./msg./')" "$T/m"
check "MXPS: Received line says QMTP" grep -q 'by q1.example (qmail-ldap-1.03) with QMTP$' "$(echo "$(lastenv)" | sed 's/env\./msg./')"
check "MXPS: SMTP on the same host not used" test "$(sessions q1)" = "$s0"

n0=$(qmtp_msgs)
out=$(remote smtppref.example u@smtppref.example)
report "preference 12816 (pref % 16 = 0): SMTP, not QMTP" "K#K127.0.0.2 accepted message.
Remote host said: 250 ok q1 got it" "$out"
check "12816: nothing over QMTP" test "$(qmtp_msgs)" = "$n0"
check "12816: the SMTP sink got the message" got q1 u@smtppref.example

n0=$(qmtp_msgs)
out=$(remote mxpshigh.example u@mxpshigh.example)
report "preference 13057 (beyond 13055): SMTP" "K#K127.0.0.2 accepted message.
Remote host said: 250 ok q1 got it" "$out"
check "13057: nothing over QMTP" test "$(qmtp_msgs)" = "$n0"

out=$(remote mxpsfb.example u@mxpsfb.example)
report "MXPS 12801 without QMTP on 209: SMTP on 25" "K#K127.0.0.3 accepted message.
Remote host said: 250 ok q2 got it" "$out"
check "MXPS fallback: the SMTP sink got the message" got q2 u@mxpsfb.example

n0=$(qmtp_msgs)
out=$(remote bsws.example u@bsws.example)
report "life-with-qmail-ldap 13.4 list: dead 12801/12816, then QMTP at 12817" "K#K127.0.0.2 accepted message.
Remote host said: ok " "$out"
check "13.4 list: delivered over QMTP" test "$(qmtp_msgs)" = $((n0 + 1))

# ------------------------------------------------------------- MX preferences
s0=$(sessions up)
out=$(remote two.example u@two.example)
report "best MX down: the next preference is used" "K#K127.0.0.5 accepted message.
Remote host said: 250 ok up got it" "$out"
check "two MX: the second got the message" got up u@two.example
check "MX lookup went through the resolver (MX query logged)" grep -q '^two.example 15$' "$T/net/dns.log"
check "MX host addresses: AAAA and A asked" sh -c 'grep -q "^up.example 28$" "$1" && grep -q "^up.example 1$" "$1"' x "$T/net/dns.log"

b0=$(sessions busy)
out=$(remote greet4xx.example u@greet4xx.example)
report "best MX greets 421: the next one is used" "K#K127.0.0.5 accepted" "$out"
check "421 exchanger was contacted first" test "$(sessions busy)" = $((b0 + 1))

out=$(remote equal.example u@equal.example)
report "equal preferences, one down: delivered" "K#K127.0.0.5 accepted" "$out"
out=$(remote aonly.example u@aonly.example)
report "no MX: the domain's A record" "K#K127.0.0.5 accepted" "$out"
out=$(remote partial.example u@partial.example)
report "MX host without addresses skipped" "K#K127.0.0.5 accepted" "$out"
out=$(remote noaddr.example u@noaddr.example)
report "only MX has no address: permanent" "DSorry, I couldn't find a mail exchanger or IP address. (#5.4.4)" "$out"
out=$(remote nullmx.example u@nullmx.example)
report "null MX: permanent" "DSorry, I couldn't find a mail exchanger or IP address. (#5.4.4)" "$out"
out=$(remote nx.example u@nx.example)
report "NXDOMAIN: permanent" "DSorry, I couldn't find any host named nx.example. (#5.1.2)" "$out"
out=$(remote servfail.example u@servfail.example)
report "SERVFAIL: temporary" "ZSorry, I couldn't find any host by that name. (#4.1.2)" "$out"
out=$(remote softmx.example u@softmx.example)
report "the only MX host's address lookup fails (SERVFAIL): temporary" "ZSorry, I couldn't find any host by that name. (#4.1.2)" "$out"
out=$(remote '[127.0.0.5]' 'u@[127.0.0.5]')
report "[ip] literal: no DNS, straight there" "K#K127.0.0.5 accepted" "$out"

# ------------------------------------------------------------- IPv6
if [ "$V6" = 1 ]; then
  out=$(remote v6only.example u@v6only.example)
  report "AAAA only, no MX: delivered over IPv6" "K#K2001:db8:25::25 accepted message.
Remote host said: 250 ok v6 got it" "$out"
  check "IPv6: the sink got the message" got v6 u@v6only.example
  check "IPv6: the client came from ::1" sh -c 'grep "^CONNECT" "$1" | tail -n 1 | grep -q "^CONNECT ::1$"' x "$T/net/smtp-v6.log"
  out=$(remote v6mx.example u@v6mx.example)
  report "MX host with AAAA only: delivered over IPv6" "K#K2001:db8:25::25 accepted" "$out"
  out=$(remote dual.example u@dual.example)
  report "MX host with AAAA and A: IPv6 first" "K#K2001:db8:25::25 accepted" "$out"
  out=$(remote '[IPv6:2001:db8:25::25]' 'u@[IPv6:2001:db8:25::25]')
  report "[IPv6:...] literal" "K#K2001:db8:25::25 accepted" "$out"
  out=$(remote self6.example u@self6.example)
  report "AAAA ::1 is this host: I'm the MX" "DSorry. Although I'm listed as a best-preference MX or A for that host," "$out"
else
  ok "IPv6 MX checks skipped: no IPv6 in the namespace # skip"
fi

# ------------------------------------------------------------- this host
out=$(remote self.example u@self.example)
report "best MX is this host: permanent (I'm the MX)" "DSorry. Although I'm listed as a best-preference MX or A for that host,
it isn't in my control/locals file, so I don't treat it as local. (#5.4.6)" "$out"
out=$(remote selfa.example u@selfa.example)
report "A record is this host: permanent (I'm the MX)" "DSorry. Although I'm listed as a best-preference MX or A for that host," "$out"
out=$(remote selfbackup.example u@selfbackup.example)
report "we are a backup MX: the better one is used" "K#K127.0.0.5 accepted" "$out"
out=$(remote selfbackupdown.example u@selfbackupdown.example)
report "we are a backup MX, the better one down: deferral" "ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)" "$out"
check "this host's SMTP was never contacted" test "$(sessions self)" = 0
check "::1 SMTP was never contacted" test "$(sessions self6)" = 0

# --------------------------------------- qmail-qmqpc: a host name argument
bg env QMAILQUEUE="$T/fakeqq" tcpserver -R -H -l up.example -u "$(id -u qmaild)" -g "$(id -g qmaild)" \
  127.0.0.5 628 "$QH/bin/qmail-qmqpd" 2> "$T/qmqpd.err"
qmqp_up() { "$PY" -c 'import socket; socket.create_connection(("127.0.0.5", 628), 1).close()' 2>/dev/null; }
check "qmail-qmqpd listening on 127.0.0.5:628" wait_until 10 qmqp_up
qmqpc() {  # qmqpc HOST: exit code of qmail-qmqpc HOST for a small message
  printf 'Fs@x.example\0Tq@up.example\0\0' > "$T/qmqpc.env"
  "$QH/bin/qmail-qmqpc" "$1" < "$T/m" 1< "$T/qmqpc.env"
  echo $?
}
n0=$(qmtp_msgs)
check "qmail-qmqpc up.example: resolved through DNS, exit 0" test "$(qmqpc up.example)" = 0
check "qmail-qmqpc up.example: queued by qmail-qmqpd" sh -c 'test "$(ls "$1" | grep -c "^env\.[0-9]*$")" = "$2"' x "$FQ" $((n0 + 1))
check "qmail-qmqpc up.example: the envelope" sh -c 'printf "Fs@x.example\0Tq@up.example\0\0" | cmp -s - "$1"' x "$(lastenv)"
check "qmail-qmqpc dualhost.example:628: only the first address (AAAA, nobody there) is tried (73)" \
  test "$(qmqpc dualhost.example:628)" = 73
check "qmail-qmqpc nx.example: permanent (31)" test "$(qmqpc nx.example)" = 31
check "qmail-qmqpc servfail.example: temporary (71)" test "$(qmqpc servfail.example)" = 71

# ------------------------------------------- through qmail-send and qmail-rspawn
add_user local
if qstart; then
  ok "qmail-start comes up"
  n0=$(qmtp_msgs)
  printf 'To: far@mxps.example\nSubject: mxps via qmail-send\n\nx\n' | inject -f "local@$D" far@mxps.example
  check "qmail-send: MXPS delivery logged" wait_for_log 'delivery [0-9]+: success: 127.0.0.2_accepted_message./Remote_host_said:_ok_'
  check "qmail-send: the message went over QMTP" test "$(qmtp_msgs)" = $((n0 + 1))
  printf 'To: far@two.example\nSubject: two via qmail-send\n\nx\n' | inject -f "local@$D" far@two.example
  check "qmail-send: second MX delivery logged" wait_for_log 'delivery [0-9]+: success: 127.0.0.5_accepted_message./Remote_host_said:_250_ok_up'
  printf 'To: far@self.example\nSubject: loop\n\nx\n' | inject -f "local@$D" far@self.example
  check "qmail-send: I'm the MX is a failure" wait_for_log "delivery [0-9]+: failure: Sorry._Although_I'm_listed_as_a_best-preference_MX"
  check "qmail-send: the sender gets the bounce" wait_for_mail "$(home_of local)/Maildir" "it isn't in my control/locals file"
  check "queue empty" wait_queue_empty 30
  check "SIGTERM: every process exits" qstop
else
  notok "qmail-start comes up"
fi
done_testing
