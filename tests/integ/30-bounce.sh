#!/bin/sh
# Bounce options: bouncefrom, bouncehost, bouncemaxbytes, custombouncetext,
# double bounces to doublebounceto@doublebouncehost, triple bounce discarded,
# queuelifetime (a message that keeps being deferred bounces when too old).
. "$(dirname "$0")/../lib.sh"
D=testhost.example
for u in snd pm later; do add_user $u; done
printf '|echo not now, later; exit 111\n' | dotqmail later
SENDER=snd@$D
sndmd=$(home_of snd)/Maildir
ctl bouncefrom bouncer
ctl bouncehost bounces.example
ctl bouncemaxbytes 300
ctl custombouncetext "Please contact help@example.org about this."
ctl doublebounceto pm
ctl doublebouncehost testhost.example

check "qmail-start comes up" qstart

# A large message to an unknown user: the bounce keeps about 300 bytes.
{
  printf 'To: nosuchuser42@%s\nSubject: big bounce\n\nFIRST LINE OF THE BODY\n' $D
  i=0; while [ $i -lt 400 ]; do echo "filler line $i of the message body"; i=$((i + 1)); done
  echo "LAST LINE OF THE BODY"
} | inject -f "snd@$D" "nosuchuser42@$D"
check "bounce delivered" wait_for_mail "$sndmd" '^Subject: failure notice'
b=$(find "$sndmd/new" "$sndmd/cur" -type f | head -n 1)
check "bouncefrom/bouncehost in From:" grep -q '^From: bouncer@bounces.example' "$b"
check "custombouncetext included" grep -q 'Please contact help@example.org about this.' "$b"
check "bouncemaxbytes keeps the beginning" grep -q 'FIRST LINE OF THE BODY' "$b"
check "bouncemaxbytes cuts the rest" sh -c '! grep -q "LAST LINE OF THE BODY" "$1"' x "$b"
check "bounce is small" test "$(wc -c < "$b")" -lt 3000

# Null sender to an unknown user: the bounce cannot be delivered, so a
# double bounce goes to doublebounceto@doublebouncehost.
msgf=$T/db.msg
printf 'To: nosuchuser43@%s\nSubject: double bounce test\n\nbody\n' $D > "$msgf"
printf 'F\0Tnosuchuser43@%s\0\0' $D > "$T/db.env"
"$QH/bin/qmail-queue" < "$msgf" 1< "$T/db.env"
check "qmail-queue accepted the null-sender message" test $? = 0
check "double bounce delivered to doublebounceto" wait_for_mail "$(home_of pm)/Maildir" 'double bounce test'
check "double bounce names the failure" test "$(maildir_grep "$(home_of pm)/Maildir" 'Sorry, no mailbox here by that name')" -ge 1

# A failing double bounce (sender #@[]) is discarded: no loop, queue empties.
printf 'F#@[]\0Tnosuchuser44@%s\0\0' $D > "$T/tb.env"
"$QH/bin/qmail-queue" < "$msgf" 1< "$T/tb.env"
check "triple bounce discarded, queue empty" wait_queue_empty 30
check "nothing more for doublebounceto" test "$(maildir_count "$(home_of pm)/Maildir")" = 1

# queuelifetime: deferred and deferred again, then too old: the next
# temporary failure bounces, with qmail's text
ctl queuelifetime 4
qsignal HUP
nb=$(maildir_grep "$sndmd" '^Subject: failure notice')
send_to later@$D "lifetime test"
check "queuelifetime: first attempt deferred" wait_for_log 'deferral: not_now,_later'
check "queuelifetime: no bounce while the message is young" test "$(maildir_grep "$sndmd" '^Subject: failure notice')" = "$nb"
t0=$(date +%s)
wait_until 10 sh -c '[ "$(date +%s)" -ge $(( $1 + 5 )) ]' x "$t0"
qsignal ALRM
check "queuelifetime: bounced once too old" wait_until 30 sh -c '[ "$(cat "$1"/new/* 2>/dev/null | grep -c "^Subject: lifetime test")" -ge 1 ]' x "$sndmd"
check "queuelifetime: the bounce says it was in the queue too long" test "$(maildir_grep "$sndmd" 'in the queue too long')" -ge 1
check "queuelifetime: the bounce quotes the last deferral" test "$(maildir_grep "$sndmd" 'not now, later')" -ge 1
check "queuelifetime: queue empty" wait_queue_empty 30
check "SIGTERM: every process exits" qstop
done_testing
