#!/bin/sh
# Directory trouble and hostile input (facts §2a, §4.1, §4.5, §4.14):
# slapd down, a server that accepts but never answers, one that never
# completes the TCP handshake, a hung (SIGSTOPped) slapd, failover,
# bad bind credentials -- all deferrals, never bounces, and delivered once
# the directory is back. qmail-lspawn keeps ONE connection across
# deliveries and reconnects by itself. Hostile local parts never match a
# directory entry and never crash anything. qmail-ldaplookup's output and
# exit codes (0 found, 1 not found, 100 permanent, 111 temporary).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../slapd.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
D=testhost.example
SUFFIX=$SLAPD_SUFFIX
LD=$T/ldap
TMO=2
SENDER=snd@$D
LK=$QH/bin/qmail-ldaplookup

for p in qmail-start qmail-lspawn qmail-local qmail-ldaplookup qmail-queue; do
  [ -x "$QH/bin/$p" ] || { notok "$p is installed" "missing $QH/bin/$p"; done_testing; exit; }
done

freeport() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Fake LDAP servers, each a python3 process of ours (killed by pid at exit):
#  mute: accepts every connection and never says a word
#  deaf: never completes a TCP handshake (full backlog: SYNs go unanswered)
#  rude: answers the bind with success, then drops the connection
#  huge: answers with a message header claiming 2 GB
#  junk: answers with an HTTP error page and closes
cat > "$T/fake.py" <<'PY'
import socket, sys, threading, time
kind = sys.argv[1]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
held = []
if kind == "deaf":
    s.listen(0)
    for i in range(4):
        c = socket.socket(); c.setblocking(False)
        try: c.connect(("127.0.0.1", port))
        except BlockingIOError: pass
        held.append(c)
    time.sleep(0.5)
    print(port, flush=True)
    while True: time.sleep(60)
def bindok(req):
    # LDAPMessage { messageID copied from the request, BindResponse success }
    if len(req) < 5 or req[0] != 0x30: return b""
    i = 2 if req[1] < 0x80 else 2 + (req[1] & 0x7f)
    body = req[i:i + 2 + req[i + 1]] + b"\x61\x07\x0a\x01\x00\x04\x00\x04\x00"
    return b"\x30" + bytes([len(body)]) + body
def serve(c):
    held.append(c)
    if kind == "mute": return
    try:
        req = c.recv(4096)
        if kind == "rude":
            c.sendall(bindok(req)); time.sleep(0.2); c.close()
        elif kind == "huge":
            c.sendall(b"\x30\x84\x7f\xff\xff\xff\x02\x01\x01")
        else:
            c.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n" * 10); c.close()
    except OSError:
        pass
s.listen(64)
print(port, flush=True)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
FAKES=
fake_start() {  # fake_start KIND: sets FAKEPORT
  python3 "$T/fake.py" "$1" > "$T/fake.$1" 2>&1 &
  FAKES="$FAKES $!"
  wait_until 10 test -s "$T/fake.$1" || return 1
  FAKEPORT=$(head -n 1 "$T/fake.$1")
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

slapd_pid() { cat "$LD/slapd.pid" 2>/dev/null; }
cleanup() {
  _sp=$(slapd_pid); [ -n "$_sp" ] && kill -CONT "$_sp" 2>/dev/null
  qstop > /dev/null 2>&1
  slapd_stop "$LD"
  for _f in $FAKES; do kill "$_f" 2>/dev/null; wait "$_f" 2>/dev/null; done
  FAKES=
}
trap 'cleanup' EXIT
trap 'cleanup; exit 1' INT TERM

# ------------------------------------------------------------ setup
LPORT=$(freeport)
DEAD=$(freeport)
while [ "$DEAD" = "$LPORT" ]; do DEAD=$(freeport); done
rm -rf "$LD" "$LD.qmail.ldif"
if ! slapd_setup "$LD" "$top" || ! slapd_start "$LD" "$LPORT"; then
  notok "slapd starts" "slapd_setup/slapd_start failed"; done_testing; exit
fi
ok "slapd starts"

# lonly is a users/assign user with no directory entry
for u in snd alice bob carol lonly; do add_user "$u"; done
# bob: relative mailMessageStore under ldapmessagestore, uid/gid from ldapuid/ldapgid
ctl ldapserver "127.0.0.1:$LPORT"
ctl ldapbasedn "$SUFFIX"
ctl ldapobjectclass qmailUser
ctl ldaptimeout $TMO
ctl ldapmessagestore "$T/home"
ctl ldapuid "$(uid_of bob)"
ctl ldapgid "$(uid_of bob)"
ctl ldaplocaldelivery 1
# carol reads her own .qmail: a program that lists its open files, then the Maildir
printf '|ls -l /proc/self/fd/ > fds.txt 2>&1\n./Maildir/\n' | dotqmail carol
PWHASH=$(slappasswd -h '{SSHA}' -s right-pw)

entry() {  # entry UID MAIL [extra ldif lines...]
  _u=$1 _m=$2; shift 2
  printf 'dn: uid=%s,ou=people,%s\nobjectClass: top\nobjectClass: person\nobjectClass: qmailUser\ncn: %s\nsn: %s\nuid: %s\nmail: %s\n' \
    "$_u" "$SUFFIX" "$_u" "$_u" "$_u" "$_m"
  for _l in "$@"; do printf '%s\n' "$_l"; done
  echo
}
{
  printf 'dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n' "$SUFFIX"
  entry snd "snd@$D" "mailMessageStore: $(home_of snd)" "qmailUID: $(uid_of snd)" "qmailGID: $(uid_of snd)"
  entry alice "alice@$D" "mailAlternateAddress: a.liddell@$D" "mailMessageStore: $(home_of alice)" \
    "qmailUID: $(uid_of alice)" "qmailGID: $(uid_of alice)" "userPassword: $PWHASH" "mailQuotaSize: 1000000"
  entry bob "bob@$D" "mailMessageStore: bob"
  entry carol "carol@$D" "mailMessageStore: $(home_of carol)" "qmailUID: $(uid_of carol)" \
    "qmailGID: $(uid_of carol)" "qmailDotMode: dotonly"
  # two entries claim the same address (and two the same uid)
  entry dup1 "dup@$D" "mailMessageStore: $(home_of alice)" "qmailUID: $(uid_of alice)" "qmailGID: $(uid_of alice)"
  entry dup2 "dup@$D" "mailMessageStore: $(home_of bob)" "qmailUID: $(uid_of bob)" "qmailGID: $(uid_of bob)"
  entry twin1 "twin1@$D" "mailMessageStore: $(home_of alice)"
  printf 'dn: cn=twin2,ou=people,%s\nobjectClass: top\nobjectClass: person\nobjectClass: qmailUser\ncn: twin2\nsn: twin2\nuid: twin1\nmail: twin2@%s\n\n' "$SUFFIX" "$D"
} > "$T/users.ldif"
ldapadd -x -H "ldap://127.0.0.1:$LPORT" -D "$SLAPD_ROOTDN" -w "$SLAPD_ROOTPW" -f "$T/users.ldif" > "$T/ldapadd.out" 2>&1
check "directory entries added" test $? = 0

md() { echo "$(home_of "$1")/Maildir"; }
# counts of qmail-send log lines (always a number, even before the log exists)
logcount() { cat "$QLOG" 2>/dev/null | grep -c -E -e "$1"; }
deferrals() { logcount "deferral: $1"; }
failures() { logcount 'delivery [0-9]+: failure:'; }
bounces() { logcount '^bounce msg '; }
_ge() { [ "$("$@")" -ge "$GE" ]; }
lspawn_pid() { qpids qmail-lspawn | head -n 1; }
queued() { find "$QH/queue/mess" -type f 2>/dev/null | wc -l | tr -d ' '; }
# lspawn_conns: local ports of qmail-lspawn's established connections to slapd
lspawn_conns() {
  ss -tnpH state established "( dport = :$LPORT )" 2>/dev/null |
    grep "pid=$(lspawn_pid)," | awk '{ print $3 }' | sed 's/.*://' | sort
}
# sendmany PREFIX RCPT...: one message per recipient, subject PREFIX-N
sendmany() {
  _p=$1; shift; _i=0
  for _r in "$@"; do _i=$((_i + 1)); send_to "$_r" "$_p-$_i"; done
}
UNAVAIL='Unable_to_contact_LDAP_server\._(\[[^ ]*\]_)?\(#4\.4\.3\)'
TIMEOUT='Timeout_while_performing_search_on_LDAP_server\._(\[[^ ]*\]_)?\(#4\.4\.3\)'

check "qmail-start comes up" qstart
send_to alice@$D "first"
check "delivery through the directory" wait_for_mail "$(md alice)" '^Subject: first'
send_to bob@$D "bob first"
check "relative mailMessageStore + ldapuid/ldapgid" wait_for_mail "$(md bob)" '^Subject: bob first'
check "bob's message belongs to ldapuid" test "$(find "$(md bob)/new" -type f -user "$(uid_of bob)" | wc -l)" -ge 1
send_to carol@$D "carol first"
check "dotonly entry delivers per its .qmail" wait_for_mail "$(md carol)" '^Subject: carol first'
if [ -f "$(home_of carol)/fds.txt" ]; then
  check "delivery programs do not inherit the LDAP connection" sh -c '! grep -q "socket:" "$1"' x "$(home_of carol)/fds.txt"
else
  notok "delivery programs do not inherit the LDAP connection" "no fds.txt from carol's program"
fi
LSPID=$(lspawn_pid)

# ------------------------------------------------------------ 1. slapd stopped
slapd_stop "$LD"
f0=$(failures) b0=$(bounces)
# with ldaplocaldelivery 1 the local fallback is for "not in the
# directory", never for "directory down": lonly must wait as well
sendmany down alice@$D bob@$D carol@$D alice@$D a.liddell@$D lonly@$D
GE=6
if wait_until 60 _ge deferrals "$UNAVAIL"; then ok "slapd down: every delivery deferred (Unable to contact LDAP server. #4.4.3)"
else notok "slapd down: every delivery deferred (Unable to contact LDAP server. #4.4.3)" "$(grep 'deferral' "$QLOG" | tail -n 2 | tr '\n' ' ')"; fi
check "slapd down: no failure lines" test "$(failures)" = "$f0"
check "slapd down: no bounce" test "$(bounces)" = "$b0"
check "slapd down: nothing in the sender's Maildir" test "$(maildir_count "$(md snd)")" = 0
check "slapd down: the queue holds all 6 messages" test "$(queued)" = 6
check "slapd down: no local fallback delivery (ldaplocaldelivery 1)" test "$(maildir_count "$(md lonly)")" = 0
check "slapd down: qmail-lspawn still running (same pid)" test "$(lspawn_pid)" = "$LSPID"
check "slapd down: qmail-ldaplookup -m exits 111" sh -c '"$1" -m alice@testhost.example > /dev/null 2>&1; test $? = 111' x "$LK"
"$LK" -u alice > "$T/lk-down.out" 2> "$T/lk-down.err"
check "slapd down: qmail-ldaplookup -u exits 111" test $? = 111
check "slapd down: qmail-ldaplookup says why" grep -q -i 'contact LDAP server' "$T/lk-down.err"
check "slapd down: qmail-ldaplookup -f exits 111" sh -c '"$1" -f "(uid=alice)" > /dev/null 2>&1; test $? = 111' x "$LK"

slapd_start "$LD" "$LPORT"
check "slapd back" test -n "$(slapd_pid)"
qsignal ALRM
all_down() {
  [ "$(maildir_grep "$(md alice)" '^Subject: down-[14]$')" = 2 ] &&
    [ "$(maildir_grep "$(md alice)" '^Subject: down-5$')" = 1 ] &&
    [ "$(maildir_grep "$(md bob)" '^Subject: down-2$')" = 1 ] &&
    [ "$(maildir_grep "$(md carol)" '^Subject: down-3$')" = 1 ] &&
    [ "$(maildir_grep "$(md lonly)" '^Subject: down-6$')" = 1 ]
}
check "slapd back + SIGALRM: every deferred message delivered (lonly via users/assign)" wait_until 60 all_down
check "slapd back: queue empty" wait_queue_empty 30
check "slapd back: still no failure and no bounce" test "$(failures)" = "$f0" -a "$(bounces)" = "$b0" -a "$(maildir_count "$(md snd)")" = 0

# restart slapd while qmail keeps running: the next delivery just works
d0=$(logcount 'deferral:')
slapd_stop "$LD"
slapd_start "$LD" "$LPORT"
send_to alice@$D "after restart"
check "slapd restarted: delivery works without restarting qmail" wait_for_mail "$(md alice)" '^Subject: after restart'
check "slapd restarted: qmail-lspawn reconnected by itself (no deferral)" test "$(logcount 'deferral:')" = "$d0"
check "slapd restarted: same qmail-lspawn" test "$(lspawn_pid)" = "$LSPID"

# ------------------------------------------------------------ 8. one connection, kept
c0=$(lspawn_conns)
check "qmail-lspawn holds one connection to slapd" test "$(echo "$c0" | grep -c .)" = 1
i=0 rcpts=
while [ $i -lt 20 ]; do
  case $((i % 3)) in 0) rcpts="$rcpts alice@$D" ;; 1) rcpts="$rcpts bob@$D" ;; 2) rcpts="$rcpts carol@$D" ;; esac
  i=$((i + 1))
done
# shellcheck disable=SC2086
sendmany keep $rcpts
kept() { [ "$(( $(maildir_grep "$(md alice)" '^Subject: keep-') + $(maildir_grep "$(md bob)" '^Subject: keep-') + $(maildir_grep "$(md carol)" '^Subject: keep-') ))" -ge 20 ]; }
check "20 deliveries" wait_until 60 kept
c1=$(lspawn_conns)
if [ -n "$c0" ] && [ "$c0" = "$c1" ]; then ok "the same single connection after 20 deliveries"
else notok "the same single connection after 20 deliveries" "before '$c0' after '$(echo $c1)'"; fi
check "queue empty after 20 deliveries" wait_queue_empty 30
check "SIGTERM: every process exits" qstop

# ------------------------------------------------------------ 2. servers that misbehave
MUTE=
if fake_start mute; then
  MUTE=$FAKEPORT
  ctl ldapserver "127.0.0.1:$MUTE"
  check "qmail-start with a mute ldapserver" qstart
  t0=$(date +%s)
  sendmany mute alice@$D bob@$D
  # no bind answer within ldaptimeout: the server could not be contacted
  GE=$(( $(deferrals "$UNAVAIL") + 1 ))
  if wait_until $((TMO + 30)) _ge deferrals "$UNAVAIL"; then
    el=$(( $(date +%s) - t0 ))
    ok "mute server: deferred (Unable to contact LDAP server), not a hang"
    check "mute server: the deferral within ldaptimeout+10 s" test "$el" -le $((TMO + 10))
  else
    notok "mute server: deferred (Unable to contact LDAP server), not a hang" "$(grep 'deferral' "$QLOG" | tail -n 2 | tr '\n' ' ')"
  fi
  GE=$((GE + 1))
  check "mute server: the second message deferred as well" wait_until $((TMO + 30)) _ge deferrals "$UNAVAIL"
  check "mute server: no failure, no bounce" test "$(failures)" = "$f0" -a "$(bounces)" = "$b0"
  check "mute server: the queue holds both" test "$(queued)" = 2
  t0=$(date +%s)
  "$LK" -m alice@$D > "$T/lk-mute.out" 2> "$T/lk-mute.err"
  rc=$? el=$(( $(date +%s) - t0 ))
  check "mute server: qmail-ldaplookup -m exits 111" test "$rc" = 111
  check "mute server: qmail-ldaplookup gives up after ~ldaptimeout" test "$el" -le $((TMO + 5))
  check "mute server: qmail-ldaplookup says timeout and names the server" grep -q -i "timeout.*127.0.0.1:$MUTE" "$T/lk-mute.err"
  check "SIGTERM with a mute server" qstop
else
  notok "mute fake server starts" "$(cat "$T/fake.mute")"
fi

# lookup against one fake server: lkfake KIND NAME MAXMS
lkfake() {
  if ! fake_start "$1"; then notok "$1 fake server starts" "$(cat "$T/fake.$1")"; return; fi
  ctl ldapserver "127.0.0.1:$FAKEPORT"
  _t0=$(now_ms)
  "$LK" -m alice@$D > "$T/lk-$1.out" 2> "$T/lk-$1.err"
  _rc=$? _el=$(( $(now_ms) - _t0 ))
  check "$2: qmail-ldaplookup exits 111" test "$_rc" = 111
  check "$2: gives up within $3 ms" test "$_el" -le "$3"
  check "$2: says why" grep -q -i -E 'contact LDAP server|timeout' "$T/lk-$1.err"
}
lkfake deaf "deaf server (no TCP handshake)" $(( (TMO + 5) * 1000 ))
lkfake rude "server drops the connection after the bind" 5000
lkfake huge "server claims a 2 GB message" 1500
lkfake junk "server answers junk" 5000

# qmail-lspawn against the rude server: a deferral, qmail-lspawn survives
rude=$(head -n 1 "$T/fake.rude" 2>/dev/null)
ctl ldapserver "127.0.0.1:$rude"
check "qmail-start with a rude ldapserver" qstart
GE=$(( $(deferrals "$UNAVAIL") + 1 ))
send_to alice@$D "rude"
check "rude server: deferred (Unable to contact LDAP server)" wait_until 30 _ge deferrals "$UNAVAIL"
check "rude server: qmail-lspawn still running" test -n "$(lspawn_pid)"
check "rude server: no failure, no bounce" test "$(failures)" = "$f0" -a "$(bounces)" = "$b0"
check "SIGTERM with a rude server" qstop

# ------------------------------------------------------------ 3. failover
# a dead port, the mute server, then the real slapd: the queued mail goes out
ctl ldapserver "127.0.0.1:$DEAD" ${MUTE:+"127.0.0.1:$MUTE"} "ldap://127.0.0.1:$LPORT/"
check "qmail-start with the failover list" qstart
qsignal ALRM
send_to alice@$D "failover"
check "failover: delivered via the last server" wait_for_mail "$(md alice)" '^Subject: failover$' 1 60
check "failover: the messages deferred before are delivered too" wait_until 60 sh -c \
  '[ "$(cat "$1"/new/* "$2"/new/* 2>/dev/null | grep -c -E "^Subject: (mute-[12]|rude)$")" = 3 ]' x "$(md alice)" "$(md bob)"
check "failover: queue empty" wait_queue_empty 30
check "failover: qmail-ldaplookup finds alice" sh -c '"$1" -m alice@testhost.example > /dev/null 2>&1' x "$LK"
check "SIGTERM" qstop

# hung slapd (SIGSTOP) under a kept connection: the search times out
ctl ldapserver "127.0.0.1:$LPORT"
check "qmail-start" qstart
send_to alice@$D "before hang"
check "delivered before the hang" wait_for_mail "$(md alice)" '^Subject: before hang$'
# (a search timeout, unlike the mute server's bind timeout above)
kill -STOP "$(slapd_pid)"
GE=$(( $(deferrals "$TIMEOUT") + 1 ))
t0=$(date +%s)
send_to alice@$D "hung"
if wait_until $((TMO + 20)) _ge deferrals "$TIMEOUT"; then
  el=$(( $(date +%s) - t0 ))
  ok "hung slapd: deferred with a timeout text"
  check "hung slapd: within ldaptimeout+10 s" test "$el" -le $((TMO + 10))
else
  notok "hung slapd: deferred with a timeout text" "$(grep 'deferral' "$QLOG" | tail -n 2 | tr '\n' ' ')"
fi
kill -CONT "$(slapd_pid)"
qsignal ALRM
check "hung slapd continued: delivered" wait_for_mail "$(md alice)" '^Subject: hung$' 1 60
check "hung slapd: no failure, no bounce" test "$(failures)" = "$f0" -a "$(bounces)" = "$b0"
check "SIGTERM" qstop

# ------------------------------------------------------------ 4. bad bind credentials
ctl ldaplogin "$SLAPD_ROOTDN"
ctl ldappassword wrong-secret
check "qmail-start with a wrong ldappassword" qstart
BADBIND='Unable_to_login[^ ]*credentials[^ ]*\(#4\.4\.3\)'
GE=1
send_to alice@$D "badbind"
check "bad credentials: deferred (#4.4.3)" wait_until 30 _ge deferrals "$BADBIND"
check "bad credentials: no failure, no bounce" test "$(failures)" = "$f0" -a "$(bounces)" = "$b0"
check "bad credentials: message still queued" test "$(queued)" = 1
"$LK" -m alice@$D > /dev/null 2> "$T/lk-bind.err"
check "bad credentials: qmail-ldaplookup exits 111" test $? = 111
check "bad credentials: qmail-ldaplookup says so" grep -q -i 'bind.*credentials' "$T/lk-bind.err"
check "-D/-w override the bind: exits 0" sh -c '"$1" -D "$2" -w secret -m alice@testhost.example > /dev/null 2>&1' x "$LK" "$SLAPD_ROOTDN"
check "SIGTERM" qstop
ctl ldappassword "$SLAPD_ROOTPW"
check "qmail-start with the right ldappassword" qstart
qsignal ALRM
check "right credentials: delivered" wait_for_mail "$(md alice)" '^Subject: badbind$' 1 60
check "queue empty" wait_queue_empty 30
check "SIGTERM" qstop
ctl ldaplogin
ctl ldappassword

# ------------------------------------------------------------ 5. hostile addresses
HIGH=$(printf 'h\351\377\200i')
LONG=$(head -c 980 /dev/zero | tr '\0' x)
LONGER=$(head -c 1000 /dev/zero | tr '\0' y)
# queue RCPT SEQ: through qmail-queue itself (no RFC 822 parsing of the address)
queue() {
  printf 'To: hostile\nSubject: hostile %s\nX-Seq: %s\n\nhostile\n' "$2" "$2" > "$T/h.msg"
  printf 'F%s\000T%s\000\000' "$SENDER" "$1" > "$T/h.env"
  "$QH/bin/qmail-queue" < "$T/h.msg" 1< "$T/h.env"
}
# hostile PREFIX: queue every hostile recipient (X-Seq PREFIXn); NH = how many
hostile() {
  _n=0 qfail=
  for _l in '*' 'a*' '(' ')' '\' 'a)(mail=*' '*)(|(mail=*' "$HIGH" "$LONG" '*)(uid=*))(|(uid=*' \
            'alice)(mail=*' '%2a' 'ALICE\00' 'alice*' '*alice' 'al*ce'; do
    _n=$((_n + 1))
    queue "$_l@$D" "$1$_n" || qfail="$qfail $1$_n"
  done
  # two through qmail-inject as well
  _n=$((_n + 1)); printf 'Subject: hostile %s%s\nX-Seq: %s%s\n\nhostile\n' "$1" $_n "$1" $_n | inject -f "$SENDER" "*@$D"
  _n=$((_n + 1)); printf 'Subject: hostile %s%s\nX-Seq: %s%s\n\nhostile\n' "$1" $_n "$1" $_n | inject -f "$SENDER" "a*@$D"
  NH=$_n
}
# each PREFIX MAILDIR: names of the X-Seq PREFIXn not found exactly once in MAILDIR
each() {
  _i=1 _miss=
  while [ $_i -le "$NH" ]; do
    [ "$(maildir_grep "$2" "^X-Seq: $1$_i\$")" = 1 ] || _miss="$_miss $1$_i"
    _i=$((_i + 1))
  done
  echo "$_miss"
}
_count_seq() { [ "$(maildir_grep "$1" "^X-Seq: $2[0-9]+\$")" -ge "$NH" ]; }
# only bounces (or nothing) of the hostile mail in a user's Maildir
nohostile() {
  for _u in "$@"; do
    [ "$(maildir_grep "$(md "$_u")" '^X-Seq: [hc]')" = "$(maildir_grep "$(md "$_u")" '^Subject: failure notice')" ] || return 1
    [ "$(maildir_grep "$(md "$_u")" '^Delivered-To: .*(\*|\(|\)|hostile)')" = 0 ] || return 1
  done
}

# 5a. no entry matches, ldaplocaldelivery 0: the alias user's .qmail files
# decide (facts §4.2); it has no .qmail-default, so each one bounces
ctl ldaplocaldelivery 0
AH=$QH/alias
check "precondition: the alias user has no .qmail-default" test ! -e "$AH/.qmail-default"
check "qmail-start" qstart
LSPID=$(lspawn_pid)
hostile h
check "qmail-queue takes the hostile recipients" test -z "$qfail"
queue "$LONGER@$D" h-long > "$T/long.out" 2>&1
check "a 1000-byte local part is refused by qmail-queue (address too long)" test $? != 0
# an empty local part: accepted and delivered nowhere, as in qmail 1.03
queue "@$D" h-empty
check "hostile: every one bounces to the sender" wait_until 60 _count_seq "$(md snd)" h
missing=$(each h "$(md snd)")
check "hostile: exactly one bounce each" test -z "$missing"
check "hostile: the bounces say no mailbox (#5.1.1)" test "$(maildir_grep "$(md snd)" 'no mailbox here by that name\. \(#5\.1\.1\)')" -ge "$NH"
check "hostile: queue empty" wait_queue_empty 30
check "empty local part: delivered nowhere" test "$(cat "$(md snd)"/new/* "$(md alice)"/new/* 2>/dev/null | grep -c '^X-Seq: h-empty')" = 0
check "hostile: nothing delivered to a directory or local user" nohostile snd alice bob carol lonly
check "hostile: qmail-lspawn still running (same pid)" test "$(lspawn_pid)" = "$LSPID"
send_to alice@$D "after hostile"
check "hostile: the next good delivery works" wait_for_mail "$(md alice)" '^Subject: after hostile$'

# 5b. with a catch-all entry (catchall@domain) they all go there instead
add_user catchall
entry catchall "catchall@$D" "mailMessageStore: $(home_of catchall)" "qmailUID: $(uid_of catchall)" \
  "qmailGID: $(uid_of catchall)" | ldap_add "$LPORT"
check "catch-all entry added" test $? = 0
b1=$(bounces)
hostile c
check "catch-all: every hostile address reaches the catch-all" wait_until 60 _count_seq "$(md catchall)" c
missing=$(each c "$(md catchall)")
check "catch-all: exactly once each" test -z "$missing"
check "catch-all: no bounce" test "$(bounces)" = "$b1"
check "catch-all: nothing delivered to a directory or local user" nohostile snd alice bob carol lonly
check "catch-all: queue empty" wait_queue_empty 30
check "catch-all: qmail-lspawn still running (same pid)" test "$(lspawn_pid)" = "$LSPID"
send_to alice@$D "after catchall"
check "catch-all: the next good delivery works" wait_for_mail "$(md alice)" '^Subject: after catchall$'
check "SIGTERM" qstop
ldapdelete -x -H "ldap://127.0.0.1:$LPORT" -D "$SLAPD_ROOTDN" -w "$SLAPD_ROOTPW" "uid=catchall,ou=people,$SUFFIX" > /dev/null 2>&1

bad=
for l in '*' 'a*' '(' ')' '\' 'a)(mail=*' '*)(|(mail=*' "$HIGH" "$LONG" "$LONGER" '*)(uid=*))(|(uid=*' '' 'alice*' '*alice'; do
  "$LK" -m "$l@$D" > "$T/lk-h.out" 2>&1
  rc=$?
  [ $rc = 1 ] && grep -q '^No entries found\.$' "$T/lk-h.out" || bad="$bad [$(printf %s "$l" | cut -c1-20)]=$rc"
  "$LK" -u "$l" > "$T/lk-h.out" 2>&1
  rc=$?
  [ $rc = 1 ] || bad="$bad uid[$(printf %s "$l" | cut -c1-20)]=$rc"
done
check "hostile: qmail-ldaplookup -m/-u find nothing (exit 1)" test -z "$bad"
"$LK" -m "a)(mail=*@$D" > "$T/lk-esc.out" 2>&1
check "hostile: the filter escapes ( ) * (RFC 4515)" grep -q -F '(mail=a\29\28mail=\2a@testhost.example)' "$T/lk-esc.out"

# ------------------------------------------------------------ 6. duplicate entries
"$LK" -m dup@$D > "$T/lk-dup.out" 2>&1
check "duplicate mail: qmail-ldaplookup -m exits 100" test $? = 100
check "duplicate mail: says not unique" grep -q 'Uh-oh: multiple entries found but should be unique!' "$T/lk-dup.out"
check "duplicate mail: Found 2 entries:" grep -q '^Found 2 entries:$' "$T/lk-dup.out"
check "duplicate mail: names both entries" sh -c 'grep -q "^dn: uid=dup1," "$1" && grep -q "^dn: uid=dup2," "$1"' x "$T/lk-dup.out"
check "duplicate mail: no catch-all tried after it" test "$(grep -c '^Searching ldap for:' "$T/lk-dup.out")" = 1
"$LK" -u twin1 > "$T/lk-twin.out" 2>&1
check "duplicate uid: qmail-ldaplookup -u exits 100" test $? = 100
check "duplicate uid: Uh-oh line" grep -q '^Uh-oh: multiple entries found but should be unique!$' "$T/lk-twin.out"
check "qmail-start" qstart
send_to dup@$D "dup"
check "duplicate mail: permanent bounce (#5.3.5)" wait_for_mail "$(md snd)" 'unique.*\(#5\.3\.5\)'
check "duplicate mail: no copy delivered" test "$(maildir_grep "$(md alice)" '^Subject: dup$')" = 0 -a "$(maildir_grep "$(md bob)" '^Subject: dup$')" = 0
check "SIGTERM" qstop

# ------------------------------------------------------------ 7. qmail-ldaplookup output (facts §4.14)
lk() {  # lk NAME WANTRC ARGS...: run, keep output in $T/lk.out, check the exit code
  _n=$1 _w=$2; shift 2
  "$LK" "$@" > "$T/lk.out" 2>&1
  _rc=$?
  if [ "$_rc" = "$_w" ]; then ok "$_n: exit $_w"; else notok "$_n: exit $_w" "got $_rc: $(head -c 300 "$T/lk.out" | tr '\n' '|')"; fi
}
has() { check "$1" grep -q -E -e "$2" "$T/lk.out"; }
lk "-u alice" 0 -u alice
has "-u: Searching line" '^Searching ldap for: \(&\(objectClass=qmailUser\)\(uid=alice\)\)$'
has "-u: under dn" "^under dn: $SUFFIX\$"
has "-u: Found 1 entry:" '^Found 1 entry:$'
has "-u: dn line" "^dn: uid=alice,ou=people,$SUFFIX\$"
has "-u: separator" '^-{20,}$'
has "-u: objectClass values" '^objectClass: qmailUser$'
has "-u: mail" "^mail: alice@$D\$"
has "-u: mailAlternateAddress" "^mailAlternateAddress: a.liddell@$D\$"
has "-u: uid" '^uid: alice$'
has "-u: accountStatus undefined" '^accountStatus: undefined -> active$'
has "-u: mailHost undefined" '^mailHost: undefined$'
has "-u: qmailUID" "^qmailUID: $(uid_of alice)\$"
has "-u: mailQuotaSize" '^mailQuotaSize: 1000000$'
has "-u: mailQuotaCount unlimited" '^mailQuotaCount: 0 \(unlimited\)'
has "-u: mailReplyText undefined" '^mailReplyText: undefined$'
lk "-u nosuch" 1 -u nosuchuser
has "-u nosuch: No entries found." '^No entries found\.$'
lk "-m alternate address" 0 -m a.liddell@$D
has "-m: Found 1 entry:" '^Found 1 entry:$'
has "-m: the mail filter" "^Searching ldap for: \(&\(objectClass=qmailUser\)\(\|\(mail=a\.liddell@$D\)\(mailAlternateAddress=a\.liddell@$D\)\)\)\$"
has "-m: dn" "^dn: uid=alice,ou=people,$SUFFIX\$"
lk "-m bob (defaults)" 0 -m bob@$D
has "-m bob: qmailUID from ldapuid" "qmailUID: .*$(uid_of bob)"
lk "-m unknown" 1 -m nobody@$D
has "-m unknown: tries catchall" "mail=catchall@$D"
has "-m unknown: No entries found." '^No entries found\.$'
lk "-u -p right password (root bind)" 0 -D "$SLAPD_ROOTDN" -w "$SLAPD_ROOTPW" -u alice -p right-pw
has "-p right: PASSWORD COMPARE was successful." '^PASSWORD COMPARE was successful\.$'
lk "-u -p wrong password" 1 -D "$SLAPD_ROOTDN" -w "$SLAPD_ROOTPW" -u alice -p wrong-pw
has "-p wrong: PASSWORD COMPARE was NOT successful." '^PASSWORD COMPARE was NOT successful\.$'
lk "-u -p anonymous (userPassword unreadable)" 1 -u alice -p right-pw
has "-p anonymous: NOT successful" '^PASSWORD COMPARE was NOT successful\.$'
has "-p anonymous: error was: says why" '^	error was: .*userPassword'
ctl ldaprebind 1
lk "-u -p right password (ldaprebind)" 0 -u alice -p right-pw
has "-p rebind right: successful" '^PASSWORD COMPARE was successful\.$'
lk "-u -p wrong password (ldaprebind)" 1 -u alice -p wrong-pw
has "-p rebind wrong: NOT successful" '^PASSWORD COMPARE was NOT successful\.$'
ctl ldaprebind
lk "-f one entry" 0 -f "(mail=alice@$D)"
has "-f: Searching line" "^Searching ldap for: \(mail=alice@$D\)\$"
has "-f: Found 1 entry:" '^Found 1 entry:$'
lk "-f two entries" 0 -f "(|(uid=alice)(uid=bob))"
has "-f: Found 2 entries:" '^Found 2 entries:$'
check "-f: the count comes before the entries" sh -c '[ "$(grep -n "^Found 2 entries:" "$1" | cut -d: -f1)" -lt "$(grep -n "^dn: " "$1" | head -n 1 | cut -d: -f1)" ]' x "$T/lk.out"
lk "-f nothing" 1 -f "(uid=nosuchuser)"
has "-f nothing: No entries found." '^No entries found\.$'
lk "-f bad filter" 100 -f "((("
has "-f bad filter: says so" '[Ff]ilter'
lk "usage" 100 -x
lk "-p without -u" 100 -m alice@$D -p x

# the asan instance checks every report; nothing may have crashed
check "no core dumps" test -z "$(find "$QH" "$T" -name 'core*' -type f 2>/dev/null)"
cleanup
done_testing
