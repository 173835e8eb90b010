#!/bin/sh
# Crash safety of local delivery: SIGKILL qmail-lspawn and qmail-clean
# during bursts (the instance goes down and is restarted), SIGKILL of
# qmail-local processes in the middle of deliveries (the instance stays
# up, the deliveries are deferred and retried); every message arrives,
# nothing bounces, the queue ends empty. A tmp/ leftover older than 36
# hours is removed by the next delivery, a younger one is kept.
. "$(dirname "$0")/../lib.sh"
bounces() { cat "$QLOG" 2>/dev/null | grep -c '^bounce msg '; }

CB_USER=spawnb crash_burst qmail-lspawn 200 40 120
CB_USER=cleanb crash_burst qmail-clean 200 40 120
check "no bounce after killing qmail-lspawn and qmail-clean" test "$(bounces)" = 0

# ---- qmail-local, SIGKILLed while it delivers
add_user localb
MD=$(home_of localb)/Maildir
# a pause before and after the Maildir line keeps each qmail-local alive
# long enough to be caught: killed before the write, the delivery is
# retried; after it, the retry may deliver a second copy (at least once)
printf '|sleep 0.1\n./Maildir/\n|sleep 0.1\n' | dotqmail localb
check "qmail-start comes up for the qmail-local kills" qstart
SEND=$(qsend_pid)
N=300
burst_inject localb $N
kills=0 end=$(( $(date +%s) + 60 ))
while [ $kills -lt 25 ] && [ "$(date +%s)" -lt "$end" ]; do
  [ -e "$T/injected" ] && [ $kills -ge 5 ] && break
  p=$(qpids qmail-local | head -n 1)
  [ -n "$p" ] && kill -KILL "$p" 2>/dev/null && kills=$((kills + 1))
done
wait "$BURST_PID"
check "qmail-local: all $N messages injected" test ! -s "$T/injfail"
check "qmail-local: SIGKILLed $kills times during the burst" test "$kills" -ge 5
crashed=$(grep -c 'qmail-local_crashed' "$QLOG")
check "qmail-local: the killed deliveries were deferred as crashes ($crashed)" test "$crashed" -ge 1
check "qmail-local kills: qmail-send kept running" test "$(qsend_pid)" = "$SEND"
# deferred deliveries wait for their retry time; SIGALRM makes it now
_retry_all() { qsignal ALRM; _all_seqs "$MD" $N; }
wait_until 120 _retry_all
got=$(_seqs "$MD" | sort -un | wc -l | tr -d ' ')
check "qmail-local kills: every message delivered ($got unique, $(maildir_count "$MD") files, $(seq_dups "$MD") twice)" test "$got" = $N
check "qmail-local kills: queue empty" wait_queue_empty 60
check "qmail-local kills: nothing bounced" test "$(bounces)" = 0

# ---- Maildir/tmp leftovers (Maildir: remove what is untouched for 36 h)
touch -d '37 hours ago' "$MD/tmp/1000000000.M1P1Q1.leftover"
touch -d '35 hours ago' "$MD/tmp/1000000001.M1P1Q1.recent"
chown "$(uid_of localb):$(uid_of localb)" "$MD/tmp/"*
send_to localb@testhost.example "sweep"
check "a delivery after the leftovers" wait_for_mail "$MD" '^Subject: sweep'
check "tmp/ file untouched for 37 h removed by the delivery" test ! -e "$MD/tmp/1000000000.M1P1Q1.leftover"
check "tmp/ file untouched for 35 h kept" test -e "$MD/tmp/1000000001.M1P1Q1.recent"
check "qmail-local kills: SIGTERM, every process exits" qstop
done_testing
