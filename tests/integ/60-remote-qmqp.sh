#!/bin/sh
# qmail-remote against Postfix's smtp-sink and a scripted SMTP server
# (routes, EHLO/HELO, helohost, outgoingip, SIZE, 8BITMIME, AUTH,
# dot-stuffing, reply codes, cluster cookie, timeoutconnect, timeoutremote,
# tcpto), through qmail-send (4xx retried, 5xx bounced with the remote
# text intact, unreachable deferred); QMTP (qmtproutes -> qmail-qmtpd, a
# QMTP client); qmail-qmqpc -> qmail-qmqpd, plain and compressed, qmqpcip,
# tcpserver rules, into a recording queue and into the instance.
# MX lookups and MXPS are in 61-mx.sh.
. "$(dirname "$0")/../lib.sh"
D=testhost.example
R=$QH/bin/qmail-remote
PIDS=
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT INT TERM

for p in qmail-remote qmail-tcpto qmail-tcpok qmail-qmqpd qmail-qmqpc qmail-qmtpd; do
  [ -x "$QH/bin/$p" ] || { notok "$p is installed" "missing $QH/bin/$p"; done_testing; exit; }
done
have_sink=1
command -v smtp-sink >/dev/null 2>&1 || { have_sink=0; notok "smtp-sink (Debian package postfix) is installed" "apt-get install postfix"; }

freeport() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
listening() {
  python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2).close()' "$1" 2>/dev/null
}
# bg CMD...: start in the background, remember the pid
bg() { "$@" & PIDS="$PIDS $!"; LASTPID=$!; }
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# remote HOST SENDER RCPT... < message: qmail-remote's report, NULs as '#'
remote() { "$R" "$@" | tr '\0' '#'; }
has() { case $1 in *"$2"*) return 0 ;; esac; return 1; }
# report LABEL WANT-PREFIX OUTPUT
report() {
  case $3 in "$2"*) ok "$1" ;; *) notok "$1" "got: $(echo "$3" | tr '\n' '/' | cut -c1-200)" ;; esac
}

CR=$(printf '\r')
printf 'Subject: remote test\n\nhello\n.leading dot\n..two dots\n.\nend\n' > "$T/m.plain"
printf 'Subject: eight bit\n\ncaf\303\251\n' > "$T/m.8bit"
printf 'Subject: partial\n\nno newline at the end' > "$T/m.partial"

# ---------------------------------------------------------------- smtp-sink
SINK=$(freeport)
SINKDIR=$T/sink
mkdir -m 777 "$SINKDIR"
sink() {  # sink [smtp-sink options]: (re)start the sink on $SINK
  [ -n "${SINKPID:-}" ] && stop "$SINKPID"
  bg smtp-sink -u nobody -d "$SINKDIR/%H%M%S." "$@" 127.0.0.1:"$SINK" 20 > "$T/sink.log" 2>&1
  SINKPID=$LASTPID
  wait_until 10 listening "$SINK"
}
lastdump() { ls -t "$SINKDIR" | head -n 1 | sed "s|^|$SINKDIR/|"; }

if [ $have_sink = 1 ]; then
  ctl smtproutes "sink.example:127.0.0.1:$SINK" "auth.example:[127.0.0.1]:$SINK joe sec ret" ".sub.example:127.0.0.1:$SINK" \
    "exempt.sub.example:" ":127.0.0.1:1"
  sink
  out=$(remote sink.example sender@$D rcpt@sink.example < "$T/m.plain")
  report "smtp-sink accepts: recipient K, then overall K" "K#K127.0.0.1 accepted message.
Remote host said: 250" "$out"
  f=$(lastdump)
  check "sink got the envelope sender" grep -q '^X-Mail-Args: <sender@testhost.example>' "$f"
  check "sink got the recipient" grep -q '^X-Rcpt-Args: <rcpt@sink.example>' "$f"
  check "EHLO with helohost (control/me)" grep -q '^X-Helo-Args: testhost.example' "$f"
  check "dot-stuffing undone by the server: lines intact" \
    sh -c 'sed -n "/^Subject: remote test/,\$p" "$1" | head -n 7 | cmp -s - "$2"' x "$f" "$T/m.plain"
  out=$(remote x.sub.example '' a@x.sub.example b@x.sub.example < "$T/m.8bit")
  report ".dom route, two recipients, null sender" "K#K#K127.0.0.1 accepted" "$out"
  check "BODY=8BITMIME for an 8-bit message" grep -q '^X-Mail-Args: <> BODY=8BITMIME' "$(lastdump)"
  # smtp-sink has no STARTTLS: a password goes in cleartext only with
  # policy none (62-remote-tls.sh has the TLS side)
  ctl tlsdestinations auth.example:none
  out=$(remote auth.example s@$D r@auth.example < "$T/m.plain")
  report "route with user and password: AUTH" "K#K127.0.0.1" "$out"
  check "AUTH=<sender> on MAIL after authenticating" grep -q '^X-Mail-Args: <s@testhost.example> AUTH=s@testhost.example' "$(lastdump)"
  out=$(remote auth.example '' r@auth.example < "$T/m.plain")
  check "AUTH=<> on MAIL for the null sender" grep -q '^X-Mail-Args: <> AUTH=<>' "$(lastdump)"
  ctl tlsdestinations
  out=$(remote exempt.sub.example s@$D r@exempt.sub.example < "$T/m.plain")
  report "empty relay: MX lookup instead (no such domain here)" "D" "$out"
  out=$(remote other.example s@$D r@other.example < "$T/m.plain")
  report "default route to a closed port: deferral" "ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)" "$out"
  out=$(remote sink.example s@$D r@sink.example < "$T/m.partial")
  report "partial final line: permanent failure" "DSMTP cannot transfer messages with partial final lines. (#5.6.2)" "$out"

  sink -f RCPT
  out=$(remote sink.example s@$D r@sink.example < "$T/m.plain")
  report "5xx RCPT: D for the recipient, giving up" "D127.0.0.1 does not like recipient.
Remote host said: 500" "$out"
  has "$out" "#DGiving up on 127.0.0.1." && ok "5xx RCPT: overall D" || notok "5xx RCPT: overall D" "$out"
  sink -r RCPT
  report "4xx RCPT: Z for the recipient" "Z127.0.0.1 does not like recipient." "$(remote sink.example s@$D r@sink.example < "$T/m.plain")"
  sink -f MAIL
  report "5xx MAIL: D sender rejected" "DConnected to 127.0.0.1 but sender was rejected." "$(remote sink.example s@$D r@sink.example < "$T/m.plain")"
  sink -r MAIL
  report "4xx MAIL: Z sender rejected" "ZConnected to 127.0.0.1 but sender was rejected." "$(remote sink.example s@$D r@sink.example < "$T/m.plain")"
  sink -f DATA
  report "5xx DATA: D" "K#D127.0.0.1 failed on DATA command." "$(remote sink.example s@$D r@sink.example < "$T/m.plain")"
  sink -r .
  report "4xx after the message: Z" "K#Z127.0.0.1 failed after I sent the message." "$(remote sink.example s@$D r@sink.example < "$T/m.plain")"
  sink -f .
  report "5xx after the message: D" "K#D127.0.0.1 failed after I sent the message." "$(remote sink.example s@$D r@sink.example < "$T/m.plain")"
  sink -q .
  report "connection lost after the message: possible duplicate" \
    "K#ZConnected to 127.0.0.1 but connection died. Possible duplicate! (#4.4.2)" "$(remote sink.example s@$D r@sink.example < "$T/m.plain")"
  sink -f CONNECT
  report "5xx greeting: D" "DConnected to 127.0.0.1 but greeting failed." "$(remote sink.example s@$D r@sink.example < "$T/m.plain")"
  sink -r CONNECT
  report "4xx greeting: next exchanger, then Z" "ZConnected to 127.0.0.1 but greeting failed." "$(remote sink.example s@$D r@sink.example < "$T/m.plain")"
  sink
fi

# ------------------------------------------------------ scripted SMTP server
cat > "$T/fakesmtp.py" <<'PY'
# fakesmtp.py PORTFILE LOG GREETING EHLO [CMD=REPLY ...]: one connection at a
# time; GREETING and replies use "|" between lines; EHLO "-" answers 502.
import socket, sys
portfile, log, greeting, ehlo = sys.argv[1:5]
over = dict(a.split("=", 1) for a in sys.argv[5:])
def lines(text): return "".join(l + "\r\n" for l in text.split("|")).encode()
import os
six = os.environ.get("FAKE6") == "1"
l = socket.socket(socket.AF_INET6 if six else socket.AF_INET)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("::1" if six else "127.0.0.1", 0)); l.listen(5)
open(portfile, "w").write(str(l.getsockname()[1]))
while True:
    c, peer = l.accept()
    f = c.makefile("rb")
    out = open(log, "ab")
    out.write(b"PEER " + peer[0].encode() + b"\n"); out.flush()
    c.sendall(lines(greeting))
    while True:
        line = f.readline()
        if not line: break
        out.write(line); out.flush()
        cmd = line.split(b" ")[0].strip().upper().decode("latin-1")
        if cmd == "EHLO":
            c.sendall(b"502 no EHLO here\r\n" if ehlo == "-" else lines(ehlo)); continue
        if cmd in over: c.sendall(lines(over[cmd])); continue
        if cmd == "DATA":
            c.sendall(b"354 go ahead\r\n")
            while True:
                d = f.readline()
                if not d: break
                out.write(b"D:" + d); out.flush()
                if d == b".\r\n": break
            c.sendall(lines(over.get(".", "250 ok queued")))
            continue
        if cmd == "QUIT":
            c.sendall(b"221 bye\r\n"); break
        c.sendall(b"250 ok\r\n")
    out.close(); c.close()
PY
FAKELOG=$T/fake.log
fake() {  # fake GREETING EHLO [CMD=REPLY...]: (re)start the scripted server, port in $FPORT
  [ -n "${FAKEPID:-}" ] && stop "$FAKEPID"
  rm -f "$T/fake.port" "$FAKELOG"
  bg python3 "$T/fakesmtp.py" "$T/fake.port" "$FAKELOG" "$@"
  FAKEPID=$LASTPID
  wait_for_file "$T/fake.port" 10
  sleep 0.1
  FPORT=$(cat "$T/fake.port")
  ctl smtproutes "fake.example:127.0.0.1:$FPORT"
}

fake "220 fake.example ESMTP" "250-fake.example hello|250-PIPELINING|250-SIZE 10240000|250 8BITMIME"
out=$(remote fake.example s@$D r@fake.example < "$T/m.plain")
report "scripted server: multiline EHLO, accepted" "K#K127.0.0.1 accepted message.
Remote host said: 250 ok queued" "$out"
size=$(($(wc -c < "$T/m.plain") + $(wc -l < "$T/m.plain")))
check "SIZE= is the message size with CRLF line ends ($size)" grep -q "^MAIL FROM:<s@testhost.example> SIZE=$size$CR\$" "$FAKELOG"
check "dot-stuffed on the wire" grep -q '^D:\.\.leading dot' "$FAKELOG"
check "two dots become three" grep -q '^D:\.\.\.two dots' "$FAKELOG"
check "a lone dot line is stuffed" grep -q "^D:\\.\\.$CR\$" "$FAKELOG"
check "CRLF line ends on the wire" grep -q "^D:hello$CR\$" "$FAKELOG"
printf 'D:end\r\nD:.\r\n' > "$T/end"
check "ends with CRLF.CRLF" sh -c 'grep "^D:" "$1" | tail -n 2 | cmp -s - "$2"' x "$FAKELOG" "$T/end"

fake "220 fake.example ESMTP" "-" "RCPT=250-accepted|250-really|250 ok"
out=$(remote fake.example s@$D r@fake.example < "$T/m.plain")
report "EHLO refused: HELO fallback, multiline RCPT reply" "K#K127.0.0.1 accepted" "$out"
check "HELO was sent after EHLO" grep -q '^HELO testhost.example' "$FAKELOG"
check "no SIZE without EHLO" sh -c '! grep -q "SIZE=" "$1"' x "$FAKELOG"

ctl smtpclustercookie abc123
fake "220 fake.example ESMTP hello abc123" "250 fake.example"
report "greeting ends with our cluster cookie: looping" "DSorry. Message is looping within cluster, giving up. (#5.4.6)" \
  "$(remote fake.example s@$D r@fake.example < "$T/m.plain")"
check "looping: nothing was sent" sh -c '! grep -q "^MAIL" "$1"' x "$FAKELOG"
fake "220 fake.example ESMTP hello abc1234" "250 fake.example"
report "another cookie is no loop" "K#K" "$(remote fake.example s@$D r@fake.example < "$T/m.plain")"
ctl smtpclustercookie

fake "220-fake.example first line|220 second line" "250 fake.example" "RCPT=550-no such|550 user here"
out=$(remote fake.example s@$D r@fake.example < "$T/m.plain")
report "multiline 550 kept in the report" "D127.0.0.1 does not like recipient.
Remote host said: 550-no such
550 user here" "$out"
fake "220 fake.example" "250 fake.example" "MAIL=451 try later"
report "451 MAIL: deferral" "ZConnected to 127.0.0.1 but sender was rejected.
Remote host said: 451 try later" "$(remote fake.example s@$D r@fake.example < "$T/m.plain")"
out=$(printf 'x\n' | remote fake.example 's@x' "$(printf 'bad\rrcpt@fake.example')")
report "CR in an address: permanent failure, nothing sent" "DSorry, an envelope address contains CR or LF." "$out"

# SMTPUTF8 (RFC 6531): a UTF-8 envelope goes only to a server that says so
U8=$(printf 'j\303\274rgen@fake.example')
fake "220 fake.example ESMTP" "250-fake.example|250-SMTPUTF8|250 8BITMIME"
report "UTF-8 recipient, server with SMTPUTF8: accepted" "K#K127.0.0.1 accepted message." \
  "$(remote fake.example "s@$D" "$U8" < "$T/m.plain")"
check "MAIL carries SMTPUTF8" grep -q "^MAIL FROM:<s@testhost.example> SMTPUTF8$CR\$" "$FAKELOG"
check "the UTF-8 recipient went out byte for byte" grep -q "^RCPT TO:<$U8>$CR\$" "$FAKELOG"
remote fake.example "s@$D" r@fake.example < "$T/m.plain" > /dev/null
check "an ASCII envelope does not ask for SMTPUTF8" sh -c 'tail -n 20 "$1" | grep "^MAIL" | tail -n 1 | grep -vq SMTPUTF8' x "$FAKELOG"
fake "220 fake.example ESMTP" "250-fake.example|250 8BITMIME"
report "UTF-8 recipient, server without SMTPUTF8: permanent failure (#5.6.7)" \
  "DConnected to 127.0.0.1 but it does not support SMTPUTF8, which this UTF-8 address needs (#5.6.7)" \
  "$(remote fake.example "s@$D" "$U8" < "$T/m.plain")"
check "without SMTPUTF8 nothing was sent" sh -c '! grep -q "^MAIL" "$1"' x "$FAKELOG"
report "UTF-8 sender, server without SMTPUTF8: permanent failure" "DConnected to 127.0.0.1 but it does not support SMTPUTF8" \
  "$(remote fake.example "$(printf 'pr\303\251sident@x.example')" r@fake.example < "$T/m.plain")"
fake "220 fake.example ESMTP" "-"
report "UTF-8 recipient, HELO-only server: permanent failure" "DConnected to 127.0.0.1 but it does not support SMTPUTF8" \
  "$(remote fake.example "s@$D" "$U8" < "$T/m.plain")"
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
  FAKE6=1 fake "220 six.example ESMTP" "250 six.example"
  ctl smtproutes "six.example:[::1]:$FPORT"
  report "IPv6 relay [::1]" "K#K::1 accepted message." "$(remote six.example s@$D r@six.example < "$T/m.plain")"
else
  ok "IPv6 relay [::1] # skip: no IPv6 loopback"
fi

# helohost, outgoingip
fake "220 fake.example ESMTP" "250 fake.example"
ctl helohost helo.example
ctl outgoingip 127.0.0.9
report "helohost and outgoingip set: accepted" "K#K127.0.0.1 accepted" "$(remote fake.example s@$D r@fake.example < "$T/m.plain")"
check "EHLO sends control/helohost" grep -q "^EHLO helo.example$CR\$" "$FAKELOG"
check "the connection comes from control/outgoingip" grep -q '^PEER 127.0.0.9$' "$FAKELOG"
ctl helohost
ctl outgoingip
rm -f "$FAKELOG"
report "without them: EHLO me, from any address" "K#K127.0.0.1 accepted" "$(remote fake.example s@$D r@fake.example < "$T/m.plain")"
check "EHLO sends control/me by default" grep -q "^EHLO $D$CR\$" "$FAKELOG"
check "the default source address is the kernel's" grep -q '^PEER 127.0.0.1$' "$FAKELOG"
ctl outgoingip not-an-address
report "a bad outgoingip: deferral" "Zinvalid ipaddr in control/outgoingip (#4.3.0)" "$(remote fake.example s@$D r@fake.example < "$T/m.plain")"
ctl outgoingip
stop "$FAKEPID"; FAKEPID=

# timeoutremote: a server whose kernel accepts the connection but which
# never says anything.
cat > "$T/silent.py" <<'PY'
import socket, sys, time
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(5)
open(sys.argv[1], "w").write(str(l.getsockname()[1]))
time.sleep(600)
PY
bg python3 "$T/silent.py" "$T/silent.port"
SILENTPID=$LASTPID
wait_for_file "$T/silent.port" 10
sleep 0.1
ctl smtproutes "silent.example:127.0.0.1:$(cat "$T/silent.port")"
ctl timeoutremote 1
t0=$(date +%s)
out=$(remote silent.example s@$D r@silent.example < "$T/m.plain")
t1=$(date +%s)
report "timeoutremote 1: a silent server is a deferral" "ZConnected to 127.0.0.1 but connection died. (#4.4.2)" "$out"
check "timeoutremote 1: given up within a few seconds" test $((t1 - t0)) -le 5
ctl timeoutremote
stop "$SILENTPID"

# ---------------------------------------------------------------- tcpto
# A listener whose accept queue is full: connections time out.
cat > "$T/blackhole.py" <<'PY'
import socket, sys, time
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(0)
port = l.getsockname()[1]
cs = []
for i in range(3):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(("127.0.0.1", port))
    except BlockingIOError: pass
    cs.append(c)
time.sleep(0.3)
open(sys.argv[1], "w").write(str(port))
time.sleep(600)
PY
bg python3 "$T/blackhole.py" "$T/bh.port"
BHPID=$LASTPID
wait_for_file "$T/bh.port" 10
sleep 0.1
ctl timeoutconnect 1
ctl smtproutes "slow.example:127.0.0.1:$(cat "$T/bh.port")" "sink.example:127.0.0.1:$SINK"
"$QH/bin/qmail-tcpok"
check "qmail-tcpto: nothing after qmail-tcpok" test -z "$("$QH/bin/qmail-tcpto")"
out=$(remote slow.example s@$D r@slow.example < "$T/m.plain")
report "connect timeout (timeoutconnect 1): deferral" "ZSorry, I wasn't able to establish an SMTP connection." "$out"
check "qmail-tcpto lists the timed-out host" sh -c '"$1" | grep -q "^127.0.0.1 timed out [0-9]* seconds ago; # recent timeouts: 1$"' x "$QH/bin/qmail-tcpto"
stop "$BHPID"
# Two timeouts long enough apart mark a host as down: write such a record.
python3 - "$QH/queue/lock/tcpto" <<'PY'
import struct, sys, time
rec = bytes([4, 2]) + bytes(6) + struct.pack("<Q", int(time.time()) - 10) + bytes([127, 0, 0, 1]) + bytes(12)
with open(sys.argv[1], "r+b") as f: f.write(rec)
PY
if [ $have_sink = 1 ]; then
  n=$(ls "$SINKDIR" | wc -l)
  out=$(remote sink.example s@$D r@sink.example < "$T/m.plain")
  report "a host marked down by tcpto is not tried" "ZSorry, I wasn't able to establish an SMTP connection." "$out"
  check "the sink saw nothing" test "$(ls "$SINKDIR" | wc -l)" = "$n"
  "$QH/bin/qmail-tcpok"
  report "after qmail-tcpok it is tried again" "K#K127.0.0.1 accepted" "$(remote sink.example s@$D r@sink.example < "$T/m.plain")"
fi
ctl timeoutconnect

# -------------------------------------------------------- through qmail-send
add_user local
if [ $have_sink = 1 ] && qstart; then
  ok "qmail-start comes up"
  ctl smtproutes "sink.example:127.0.0.1:$SINK" "down.example:127.0.0.1:1"
  sink
  printf 'To: far@sink.example\nSubject: via qmail-send\n\nremote body\n' | inject -f local@$D far@sink.example
  check "qmail-send -> qmail-rspawn -> qmail-remote: success logged" wait_for_log 'delivery [0-9]+: success: 127.0.0.1_accepted_message'
  check "the sink has the message" wait_until 10 sh -c 'grep -l "^Subject: via qmail-send" "$1"/* >/dev/null 2>&1' x "$SINKDIR"
  check "queue empty after success" wait_queue_empty 20
  sink -f RCPT
  printf 'To: nobody@sink.example\nSubject: will bounce\n\nx\n' | inject -f local@$D nobody@sink.example
  check "5xx: failure logged" wait_for_log 'delivery [0-9]+: failure: 127.0.0.1_does_not_like_recipient'
  check "5xx: the sender gets a bounce" wait_for_mail "$(home_of local)/Maildir" 'Remote host said: 500'
  sink -r RCPT
  printf 'To: later@sink.example\nSubject: will wait\n\nx\n' | inject -f local@$D later@sink.example
  check "4xx: deferral logged" wait_for_log 'delivery [0-9]+: deferral: 127.0.0.1_does_not_like_recipient'
  check "4xx: the message stays queued" sh -c '[ "$(ls "$1"/queue/remote/*/ | wc -l)" -ge 1 ]' x "$QH"
  printf 'To: x@down.example\nSubject: unreachable\n\nx\n' | inject -f local@$D x@down.example
  check "unreachable: deferral logged" wait_for_log "deferral: Sorry,_I_wasn't_able_to_establish_an_SMTP_connection"
  fake "220 fake.example ESMTP" "250 fake.example" "RCPT=550-5.1.1 no such user, see|550 5.1.1 https://example.org/help/nouser"
  ctl smtproutes "sink.example:127.0.0.1:$SINK" "down.example:127.0.0.1:1" "url.example:127.0.0.1:$FPORT"
  printf 'To: x@url.example\nSubject: url bounce\n\nx\n' | inject -f local@$D x@url.example
  check "5xx with a URL: failure logged" wait_for_log 'delivery [0-9]+: failure: 127.0.0.1_does_not_like_recipient./Remote_host_said:_550-5.1.1'
  check "5xx with a URL: the bounce has the reply lines intact" \
    wait_for_mail "$(home_of local)/Maildir" '^550 5\.1\.1 https://example\.org/help/nouser$'
  check "5xx with a URL: multiline reply kept" test "$(maildir_grep "$(home_of local)/Maildir" '^Remote host said: 550-5\.1\.1 no such user, see$')" -ge 1
  stop "$FAKEPID"; FAKEPID=
  sink
  qsignal ALRM
  check "4xx retried after SIGALRM: delivered" wait_until 30 sh -c 'grep -l "^Subject: will wait" "$1"/* >/dev/null 2>&1' x "$SINKDIR"
  check "SIGTERM: every process exits" qstop
fi

# ------------------------------------------------------------------ QMTP
FQ=$T/fq
mkdir -m 777 "$FQ"
cat > "$T/fakeqq" <<EOF
#!/bin/sh
# a qmail-queue that records: msg.N, env.N in $FQ; exit \${FAKEQQ_EXIT:-0}
n=\$(ls "$FQ" | grep -c '^msg\\.[0-9]*\$')
cat > "$FQ/msg.\$n.tmp"
cat <&1 > "$FQ/env.\$n.tmp"
# like qmail-queue: nothing is queued without a complete envelope
[ "\$(tail -c 2 "$FQ/env.\$n.tmp" | od -An -tx1 | tr -d ' ')" = 0000 ] || exit 54
mv "$FQ/env.\$n.tmp" "$FQ/env.\$n"
mv "$FQ/msg.\$n.tmp" "$FQ/msg.\$n"
exit \${FAKEQQ_EXIT:-0}
EOF
chmod 755 "$T/fakeqq"
QMTP=$(freeport)
qmtpd() {  # qmtpd [VAR=value...]: (re)start qmail-qmtpd under tcpserver on $QMTP
  [ -n "${QMTPPID:-}" ] && stop "$QMTPPID"
  bg env QMAILQUEUE="$T/fakeqq" "$@" tcpserver -R -H -l qmtp.local 127.0.0.1 "$QMTP" "$QH/bin/qmail-qmtpd"
  QMTPPID=$LASTPID
  wait_until 10 listening "$QMTP"
}
cat > "$T/qmtp.py" <<'PY'
# qmtp.py PORT [MESSAGE SENDER RCPT,RCPT ...]...: send each message, print
# the replies one per line ("|" between recipients); RAW:<bytes> sends raw.
import socket, sys
def ns(b): return str(len(b)).encode() + b":" + b + b","
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
f = s.makefile("rb")
def reply():
    n = b""
    while True:
        c = f.read(1)
        if not c: return None
        if c == b":": break
        n += c
    d = f.read(int(n)); f.read(1)
    return d.decode("latin-1")
args = sys.argv[2:]
while args:
    if args[0].startswith("RAW:"):
        s.sendall(args[0][4:].encode().decode("unicode_escape").encode("latin-1"))
        s.shutdown(socket.SHUT_WR)
        print("closed" if not f.read(1) else "answered"); break
    msg, sender, rcpts = args[0], args[1], args[2].split(",")
    args = args[3:]
    m = msg.encode().decode("unicode_escape").encode("latin-1")
    s.sendall(ns(m) + ns(sender.encode()) + ns(b"".join(ns(r.encode()) for r in rcpts)))
    print("|".join(reply() or "EOF" for r in rcpts))
PY
ctl locals "$D" localhost only.local
qmtpd
out=$(python3 "$T/qmtp.py" "$QMTP" '\nSubject: q1\n\nbody one\n' s@x.example "a@$D,b@elsewhere.example,c@only.local")
case $out in
  "Kok "*"|Dsorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)|Kok "*) ok "qmail-qmtpd: rcpthosts and locals decide per recipient" ;;
  *) notok "qmail-qmtpd: rcpthosts and locals decide per recipient" "$out" ;;
esac
check "QMTP: envelope as expected" sh -c 'printf "Fs@x.example\0Ta@testhost.example\0Tc@only.local\0\0" | cmp -s - "$1"' x "$FQ/env.0"
check "QMTP: Received line" grep -q '^          by qmtp.local (qmail-ldap-1.03) with QMTP$' "$FQ/msg.0"
check "QMTP: body (LF mode)" sh -c 'sed 1,4d "$1" | cmp -s - "$2"' x "$FQ/msg.0" "$(printf 'Subject: q1\n\nbody one\n' > "$T/q1"; echo "$T/q1")"
out=$(python3 "$T/qmtp.py" "$QMTP" '\rSubject: crlf\r\n\r\nline\r\nlast\r\n' s@x "a@$D" '\nSubject: second\n\n' '' "b@$D")
case $out in "Kok "*"
Kok "*) ok "QMTP: two messages in one session" ;; *) notok "QMTP: two messages in one session" "$out" ;; esac
printf 'Subject: crlf\n\nline\nlast\n' > "$T/q2"
# (a bare CR is refused: 58-hardening.sh)
check "QMTP: CRLF mode becomes LF" sh -c 'sed 1,4d "$1" | cmp -s - "$2"' x "$FQ/msg.1" "$T/q2"
check "QMTP: null sender" sh -c 'printf "F\0Tb@testhost.example\0\0" | cmp -s - "$1"' x "$FQ/env.2"
ctl databytes 20
qmtpd
out=$(python3 "$T/qmtp.py" "$QMTP" '\n012345678901234567890123456789\n' s@x "a@$D")
report "QMTP: over databytes is refused" "Dsorry, that message size exceeds my databytes limit (#5.3.4)" "$out"
ctl databytes
qmtpd NOLOCAL=1
out=$(python3 "$T/qmtp.py" "$QMTP" '\nx\n' s@x "c@only.local")
report "QMTP: NOLOCAL: locals are not rcpthosts" "Dsorry, that domain isn't in my list of allowed rcpthosts" "$out"
qmtpd RELAYCLIENT=
out=$(python3 "$T/qmtp.py" "$QMTP" '\nx\n' s@x "r@anywhere.example")
report "QMTP: RELAYCLIENT relays" "Kok " "$out"
check "QMTP: no garbage answered" test "$(python3 "$T/qmtp.py" "$QMTP" 'RAW:12x:hello')" = closed
n=$(ls "$FQ" | grep -c '^msg\.[0-9]*$')
check "QMTP: a truncated message is not answered" test "$(python3 "$T/qmtp.py" "$QMTP" 'RAW:100:\nshort')" = closed
check "QMTP: a truncated message is not queued" test "$(ls "$FQ" | grep -c '^msg\.[0-9]*$')" = "$n"
n=$(ls "$FQ" | grep -c '^msg\.[0-9]*$')
long=$(head -c 1000 /dev/zero | tr '\0' a)
out=$(python3 "$T/qmtp.py" "$QMTP" '\nx\n' s@x "$long@$D,ok@$D")
case $out in "Dsorry, I can't handle that recipient (#5.1.3)|Kok "*) ok "QMTP: a 1000-byte recipient is refused, the next one taken" ;;
  *) notok "QMTP: a 1000-byte recipient is refused, the next one taken" "$out" ;; esac
# qmail-remote via qmtproutes to qmail-qmtpd
qmtpd
ctl qmtproutes "qmtp.example:127.0.0.1:$QMTP"
out=$(remote qmtp.example s@$D "u@$D" "v@nowhere.example" < "$T/m.plain")
report "qmail-remote over QMTP: per-recipient answers" "K#D127.0.0.1 does not like recipient.
Remote host said: sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)
#K127.0.0.1 accepted message.
Remote host said: ok " "$out"
last=$(ls "$FQ" | grep '^msg\.[0-9]*$' | sort -t. -k2 -n | tail -n 1)
check "QMTP from qmail-remote: the message intact" sh -c 'sed 1,4d "$1" | cmp -s - "$2"' x "$FQ/$last" "$T/m.plain"
ctl qmtproutes "qmtp.example:127.0.0.1:1"
report "QMTP route unreachable: deferral" "ZSorry, I wasn't able to establish a QMTP connection." "$(remote qmtp.example s@$D "u@$D" < "$T/m.plain")"
ctl qmtproutes
stop "$QMTPPID"

# ------------------------------------------------------------------ QMQP
QMQP=$(freeport)
qmqpd() {  # qmqpd [VAR=value...]: qmail-qmqpd under tcpserver on $QMQP
  [ -n "${QMQPPID:-}" ] && stop "$QMQPPID"
  bg env "$@" tcpserver -R -H -l qmqp.local 127.0.0.1 "$QMQP" "$QH/bin/qmail-qmqpd" 2> "$T/qmqpd.err"
  QMQPPID=$LASTPID
  wait_until 10 listening "$QMQP"
}
qmqpc() {  # qmqpc ENVELOPE-PRINTF [ARGS] < message: qmail-qmqpc's exit code
  printf "$1" > "$T/qmqpc.env"; shift
  "$QH/bin/qmail-qmqpc" "$@" 1< "$T/qmqpc.env"
  echo $?
}
qmqpd QMAILQUEUE="$T/fakeqq"
ctl qmqpservers "127.0.0.1:1" "127.0.0.1:$QMQP"
n=$(ls "$FQ" | grep -c '^msg\.[0-9]*$')
check "qmail-qmqpc -> qmail-qmqpd (second server): exit 0" test "$(qmqpc 'Fs@x.example\0Ta@b.example\0Tc@d.example\0\0' < "$T/m.plain")" = 0
check "QMQP: envelope" sh -c 'printf "Fs@x.example\0Ta@b.example\0Tc@d.example\0\0" | cmp -s - "$1"' x "$FQ/env.$n"
check "QMQP: Received says QMQP" grep -q '^          by qmqp.local (qmail-ldap-1.03) with QMQP$' "$FQ/msg.$n"
check "QMQP: message intact" sh -c 'sed 1,4d "$1" | cmp -s - "$2"' x "$FQ/msg.$n" "$T/m.plain"
n=$((n + 1))
check "QMQP_COMPRESS: exit 0" test "$(QMQP_COMPRESS=1 qmqpc 'F\0Ta@b.example\0\0' < "$T/m.8bit")" = 0
check "compressed QMQP: Received says so" grep -q 'with compressed QMQP$' "$FQ/msg.$n"
check "compressed QMQP: message intact" sh -c 'sed 1,4d "$1" | cmp -s - "$2"' x "$FQ/msg.$n" "$T/m.8bit"
n=$((n + 1))
check "cluster H record: exit 0" test "$(qmqpc 'Fs@x\0Ta@b.example\0\0Hnode2.example\0' 127.0.0.1:$QMQP < "$T/m.plain")" = 0
check "cluster H record: Delivered-To: CLUSTERHOST" sh -c 'sed -n 5p "$1" | grep -q "^Delivered-To: CLUSTERHOST node2.example a@b.example\$"' x "$FQ/msg.$n"
check "QMQP: bad envelope is 91" test "$(qmqpc 'Xs@x\0\0' < "$T/m.plain")" = 91
check "QMQP: envelope without end is 91" test "$(qmqpc 'Fs@x\0Ta@b' < "$T/m.plain")" = 91
check "QMQP: no server reachable is 73" test "$(qmqpc 'Fs@x\0Ta@b\0\0' 127.0.0.1:1 < "$T/m.plain")" = 73
n=$(ls "$FQ" | grep -c '^msg\.[0-9]*$')
ctl qmqpcip 127.0.0.8
check "qmqpcip: exit 0" test "$(qmqpc 'Fs@x\0Ta@b.example\0\0' 127.0.0.1:$QMQP < "$T/m.plain")" = 0
check "qmqpcip: the server saw the connection from it" grep -q '^Received: from unknown (\[127.0.0.8\])$' "$FQ/msg.$n"
ctl qmqpcip
ctl qmqpservers
check "QMQP: no qmqpservers is 55" test "$(qmqpc 'Fs@x\0Ta@b\0\0' < "$T/m.plain")" = 55
qmqpd QMAILQUEUE="$T/fakeqq" FAKEQQ_EXIT=31
check "QMQP: a permanent refusal is 31" test "$(qmqpc 'Fs@x\0Ta@b\0\0' 127.0.0.1:$QMQP < "$T/m.plain")" = 31
check "qmail-qmqpd logs the result" grep -q 'permanently rejected' "$T/qmqpd.err"
qmqpd QMAILQUEUE="$T/fakeqq" FAKEQQ_EXIT=71
check "QMQP: a temporary refusal is 71" test "$(qmqpc 'Fs@x\0Ta@b\0\0' 127.0.0.1:$QMQP < "$T/m.plain")" = 71
qmqpd QMAILQUEUE="$T/fakeqq" NOCOMPRESS=1
check "NOCOMPRESS: a compressed request is not understood (74)" \
  test "$(QMQP_COMPRESS=1 qmqpc 'Fs@x\0Ta@b\0\0' 127.0.0.1:$QMQP < "$T/m.plain")" = 74
check "NOCOMPRESS: plain still works" test "$(qmqpc 'Fs@x\0Ta@b\0\0' 127.0.0.1:$QMQP < "$T/m.plain")" = 0
# tcpserver's rules decide who may use qmail-qmqpd (and may set its environment)
if command -v tcprules >/dev/null; then
  [ -n "${QMQPPID:-}" ] && stop "$QMQPPID"
  printf '127.0.0.1:deny\n:allow,QMAILQUEUE="%s"\n' "$T/fakeqq" | tcprules "$T/qmqp.cdb" "$T/qmqp.tmp"
  bg tcpserver -x "$T/qmqp.cdb" -R -H -l qmqp.local 0.0.0.0 "$QMQP" "$QH/bin/qmail-qmqpd" 2> "$T/qmqpd.err"
  QMQPPID=$LASTPID
  wait_until 10 listening "$QMQP"
  n=$(ls "$FQ" | grep -c '^msg\.[0-9]*$')
  rc=$(qmqpc 'Fs@x\0Ta@b\0\0' 127.0.0.1:$QMQP < "$T/m.plain")
  check "rules deny 127.0.0.1: qmail-qmqpc fails temporarily ($rc)" test "$rc" = 74
  check "rules deny 127.0.0.1: nothing queued" test "$(ls "$FQ" | grep -c '^msg\.[0-9]*$')" = "$n"
  ctl qmqpcip 127.0.0.8
  check "rules allow 127.0.0.8 (qmqpcip; QMAILQUEUE from the rules): exit 0" \
    test "$(qmqpc 'Fs@x\0Ta@b\0\0' 127.0.0.1:$QMQP < "$T/m.plain")" = 0
  check "rules allow 127.0.0.8: queued" test "$(ls "$FQ" | grep -c '^msg\.[0-9]*$')" = $((n + 1))
  ctl qmqpcip
else
  notok "tcprules (Debian package ucspi-tcp) is installed"
fi
long=$(head -c 1001 /dev/zero | tr '\0' a)
qmqpd QMAILQUEUE="$T/fakeqq"
check "QMQP: a 1001-byte address is refused by qmail-qmqpc (11)" test "$(qmqpc "Fs@x\\0T$long\\0\\0" 127.0.0.1:$QMQP < "$T/m.plain")" = 11
out=$(python3 - "$QMQP" <<'PY'
import socket, sys
def ns(b): return str(len(b)).encode() + b":" + b + b","
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
s.sendall(ns(ns(b"Subject: x\n\n") + ns(b"s@x") + ns(b"a" * 1000 + b"@b")))
print(s.recv(200).decode())
PY
)
report "qmail-qmqpd: a 1002-byte address is refused" "51:Dsorry, I can't accept addresses like that (#5.1.3)," "$out"

# into the real instance: qmail-qmqpc -> qmail-qmqpd -> qmail-queue -> local delivery
if qstart; then
  qmqpd
  printf 'To: local@%s\nSubject: via qmqp\n\nqmqp body\n' "$D" > "$T/m.qmqp"
  check "QMQP into the instance: exit 0" test "$(qmqpc "Fs@x.example\\0Tlocal@$D\\0\\0" 127.0.0.1:$QMQP < "$T/m.qmqp")" = 0
  check "QMQP into the instance: delivered" wait_for_mail "$(home_of local)/Maildir" '^Subject: via qmqp'
  check "QMQP into the instance (compressed): exit 0" \
    test "$(QMQP_COMPRESS=1 qmqpc "Fs@x.example\\0Tlocal@$D\\0\\0" 127.0.0.1:$QMQP < "$T/m.qmqp")" = 0
  check "compressed QMQP into the instance: delivered" wait_for_mail "$(home_of local)/Maildir" 'with compressed QMQP'
  qmtpd QMAILQUEUE=
  ctl qmtproutes "$D:127.0.0.1:$QMTP"
  out=$(remote $D s@x.example "local@$D" < "$T/m.plain")
  report "qmail-remote -> qmail-qmtpd -> the instance" "K#K127.0.0.1 accepted message." "$out"
  check "QMTP into the instance: delivered" wait_for_mail "$(home_of local)/Maildir" 'with QMTP$'
  check "SIGTERM: every process exits" qstop
else
  notok "qmail-start comes up for QMQP"
fi
done_testing
