#!/bin/sh
# qmail-qstat and qmail-qread on a queue with preprocessed and new
# messages; SIGHUP makes qmail-send (and qmail-todo) reread locals.
. "$(dirname "$0")/../lib.sh"
D=testhost.example
for u in snd slow hup; do add_user $u; done
SENDER=snd@$D
printf '|./gate\n./Maildir/\n' | dotqmail slow
printf '#!/bin/sh\necho held\nexit 111\n' > "$(home_of slow)/gate"
chown "$(uid_of slow)" "$(home_of slow)/gate"; chmod 755 "$(home_of slow)/gate"

check "qmail-start comes up" qstart
send_to slow@$D "held message"
check "held message deferred" wait_for_log 'deferral: held'
check "qmail-stop" qstop

# One preprocessed message in info/, two new ones in todo/.
send_to hup@$D "new one"
send_to hup@$D "new two"
qs=$("$QH/bin/qmail-qstat" 2>&1)
check "qmail-qstat counts all messages" sh -c 'echo "$1" | grep -q "^messages in queue: 3$"' x "$qs"
check "qmail-qstat counts unpreprocessed ones" sh -c 'echo "$1" | grep -q "^messages in queue but not yet preprocessed: 2$"' x "$qs"
qr=$("$QH/bin/qmail-qread" 2>&1)
check "qmail-qread shows the sender" sh -c 'echo "$1" | grep -q "<snd@testhost.example>"' x "$qr"
check "qmail-qread shows the local recipient" sh -c 'echo "$1" | grep -E -q "local[[:space:]]+slow@testhost.example"' x "$qr"
check "qmail-qread shows the message id" sh -c 'echo "$1" | grep -E -q "#[0-9]+"' x "$qr"

check "qmail-start comes up again" qstart
check "new messages delivered after restart" wait_for_count "$(home_of hup)/Maildir" 2 30

# SIGHUP: a domain added to locals is local from then on.
ctl locals testhost.example localhost hupdomain.example
qsignal HUP
# Probe: a delivery after the HUP makes sure both daemons have read it.
send_to hup@$D "probe"
wait_for_mail "$(home_of hup)/Maildir" '^Subject: probe' 1 30
send_to hup@hupdomain.example "after hup"
check "SIGHUP rereads locals" wait_for_mail "$(home_of hup)/Maildir" '^Subject: after hup' 1 30

printf '#!/bin/sh\nexit 0\n' > "$(home_of slow)/gate"
qsignal ALRM
check "held message delivered after SIGALRM" wait_for_count "$(home_of slow)/Maildir" 1 30
qs=$("$QH/bin/qmail-qstat" 2>&1)
check "queue empty" wait_queue_empty 30
qs=$("$QH/bin/qmail-qstat" 2>&1)
check "qmail-qstat says 0" sh -c 'echo "$1" | grep -q "^messages in queue: 0$"' x "$qs"
check "SIGTERM: every process exits" qstop
done_testing
