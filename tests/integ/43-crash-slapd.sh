#!/bin/sh
# Crash safety of the directory path: kill -9 slapd twice during a burst of
# 2000 messages to a user who lives in slapd, restart it each time. The
# deliveries that meet the outage are deferred (never bounced); qmail-lspawn
# reconnects by itself; every message is delivered exactly once.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../slapd.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
D=testhost.example
LD=$T/ldap
N=2000

for p in qmail-start qmail-lspawn qmail-local qmail-inject; do
  [ -x "$QH/bin/$p" ] || { notok "$p is installed" "missing $QH/bin/$p"; done_testing; exit; }
done
freeport() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
slapd_pid() { cat "$LD/slapd.pid" 2>/dev/null; }
INJ=
cleanup() {
  for p in $INJ; do kill "$p" 2>/dev/null; done
  qstop > /dev/null 2>&1
  slapd_stop "$LD"
}
trap 'cleanup' EXIT
trap 'cleanup; exit 1' INT TERM

LPORT=$(freeport)
rm -rf "$LD" "$LD.qmail.ldif"
if ! slapd_setup "$LD" "$top" || ! slapd_start "$LD" "$LPORT"; then
  notok "slapd starts" "slapd_setup/slapd_start failed"; done_testing; exit
fi
ok "slapd starts"

# dirb has a home and uid of its own but no users/assign entry that could
# take over: with ldaplocaldelivery 0 only the directory delivers
add_user dirb
: > "$QI/assign.list"; echo . > "$QH/users/assign"; "$QH/bin/qmail-newu"
MD=$(home_of dirb)/Maildir
{
  printf 'dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n' "$SLAPD_SUFFIX"
  printf 'dn: uid=dirb,ou=people,%s\nobjectClass: top\nobjectClass: person\nobjectClass: qmailUser\n' "$SLAPD_SUFFIX"
  printf 'cn: dirb\nsn: dirb\nuid: dirb\nmail: dirb@%s\nmailMessageStore: %s\nqmailUID: %s\nqmailGID: %s\n\n' \
    "$D" "$(home_of dirb)" "$(uid_of dirb)" "$(uid_of dirb)"
} > "$T/users.ldif"
ldapadd -x -H "ldap://127.0.0.1:$LPORT" -D "$SLAPD_ROOTDN" -w "$SLAPD_ROOTPW" -f "$T/users.ldif" > "$T/ldapadd.out" 2>&1
check "directory entry added" test $? = 0
ctl ldapserver "127.0.0.1:$LPORT"
ctl ldapbasedn "$SLAPD_SUFFIX"
ctl ldapobjectclass qmailUser
ctl ldaptimeout 2
ctl ldaplocaldelivery 0
ctl concurrencylocal 20

logcount() { cat "$QLOG" 2>/dev/null | grep -c -E -e "$1"; }
UNAVAIL='Unable_to_contact_LDAP_server'
check "qmail-start comes up" qstart
LSPID=$(qpids qmail-lspawn | head -n 1)
send_to dirb@$D "first"
check "a delivery through the directory" wait_for_mail "$MD" '^Subject: first'
rm -f "$MD/new/"*

# eight injectors in parallel (fsync-bound: they share the disk's
# flushes), message i from injector i mod 8
rm -f "$T/injfail" "$T"/injdone.*
for k in 0 1 2 3 4 5 6 7; do
  (
    i=$((k + 1))
    while [ $i -le $N ]; do
      printf 'To: dirb@%s\nSubject: burst %s\nX-Seq: %s\n\n.\n' $D $i $i |
        "$QH/bin/qmail-inject" -f sender@$D dirb@$D || echo $i >> "$T/injfail"
      i=$((i + 8))
    done
    touch "$T/injdone.$k"
  ) &
  INJ="$INJ $!"
done

for at in 400 1200; do
  if ! wait_for_count "$MD" $at 120; then notok "$at delivered before killing slapd" "only $(maildir_count "$MD")"; continue; fi
  d0=$(logcount "$UNAVAIL")
  sp=$(slapd_pid)
  kill -9 "$sp"
  ok "kill -9 slapd with $(maildir_count "$MD") delivered"
  GE=$((d0 + 1))
  _more() { [ "$(logcount "$UNAVAIL")" -ge "$GE" ]; }
  check "slapd gone: deliveries deferred (Unable to contact LDAP server)" wait_until 30 _more
  wait_until 10 sh -c '! kill -0 "$1" 2>/dev/null' x "$sp"
  rm -f "$LD/slapd.pid"
  check "slapd restarted" slapd_start "$LD" "$LPORT"
  qsignal ALRM
done
for p in $INJ; do wait "$p"; done
INJ=
check "all $N messages injected" test ! -s "$T/injfail"
_retry_all() { qsignal ALRM; _all_seqs "$MD" $N; }
wait_until 120 _retry_all
got=$(_seqs "$MD" | sort -un | wc -l | tr -d ' ')
tot=$(maildir_count "$MD")
check "every message delivered ($got of $N)" test "$got" = $N
check "each exactly once ($tot files, $(seq_dups "$MD") duplicates)" test "$tot" = $N -a "$(seq_dups "$MD")" = 0
check "nothing bounced" test "$(logcount '^bounce msg ')" = 0
check "no failure lines" test "$(logcount 'delivery [0-9]+: failure:')" = 0
check "deferrals were counted during the outages ($(logcount "$UNAVAIL"))" test "$(logcount "$UNAVAIL")" -ge 2
check "qmail-lspawn reconnected by itself (same pid)" test "$(qpids qmail-lspawn | head -n 1)" = "$LSPID"
check "queue empty" wait_queue_empty 60
check "SIGTERM: every process exits" qstop
done_testing
