#!/bin/sh
# Local deliveries as a user sees them: Maildir, mbox, program, forward,
# .qmail-ext and .qmail-default, sendmail -t, unknown user, exit codes
# 100/111, loop detection; qmail-showctl; SIGTERM.
. "$(dirname "$0")/../lib.sh"
D=testhost.example

for u in snd md mb pr fw fwto dd e100 e111 la lb st st2; do add_user $u; done
SENDER=snd@$D
echo ./Mailbox | dotqmail mb
printf '|env > prog.env; cat > prog.out\n' | dotqmail pr
echo "&fwto@$D" | dotqmail fw
printf './Maildir/\n|echo "$DEFAULT" >> default.log\n' | dotqmail dd default
echo ./foo.mbox | dotqmail dd foo
printf '|echo permanent trouble here; exit 100\n' | dotqmail e100
printf '|./gate\n./Maildir/\n' | dotqmail e111
printf '#!/bin/sh\necho not yet, try later\nexit 111\n' > "$(home_of e111)/gate"
chown "$(uid_of e111)" "$(home_of e111)/gate"; chmod 755 "$(home_of e111)/gate"
echo "&lb@$D" | dotqmail la
echo "&la@$D" | dotqmail lb

out=$("$QH/bin/qmail-showctl" 2>&1)
check "qmail-showctl names me" sh -c 'echo "$1" | grep -q "testhost.example"' x "$out"
check "qmail-showctl lists concurrencylocal" sh -c 'echo "$1" | grep -q "concurrencylocal"' x "$out"

check "qmail-start comes up" qstart

send_to md@$D "maildir test"
check "Maildir delivery" wait_for_mail "$(home_of md)/Maildir" '^Subject: maildir test'
check "Maildir message has Return-Path" test "$(maildir_grep "$(home_of md)/Maildir" "^Return-Path: <snd@$D>")" = 1
check "Maildir message has Delivered-To" test "$(maildir_grep "$(home_of md)/Maildir" "^Delivered-To: md@$D")" = 1

send_to mb@$D "mbox test"
mbox=$(home_of mb)/Mailbox
check "mbox delivery" wait_for_log '^Subject: mbox test' 30 "$mbox"
check "mbox starts with a From line" sh -c 'head -n 1 "$1" | grep -q "^From snd@testhost.example "' x "$mbox"

send_to pr@$D "program test"
check "program delivery" wait_for_log '^Subject: program test' 30 "$(home_of pr)/prog.out"
wait_for_file "$(home_of pr)/prog.env" 5
check "program gets SENDER" grep -q "^SENDER=snd@$D\$" "$(home_of pr)/prog.env"
check "program gets RECIPIENT" grep -q "^RECIPIENT=pr@$D\$" "$(home_of pr)/prog.env"
check "program gets DTLINE" grep -q "^DTLINE=Delivered-To: pr@$D" "$(home_of pr)/prog.env"
check "program gets no Delivered-To in the message" sh -c '! grep -q "^Delivered-To:" "$1"' x "$(home_of pr)/prog.out"

send_to fw@$D "forward test"
check "forward delivery" wait_for_mail "$(home_of fwto)/Maildir" '^Subject: forward test'
check "forward keeps the sender" test "$(maildir_grep "$(home_of fwto)/Maildir" "^Return-Path: <snd@$D>")" = 1
check "forwarding user keeps nothing" test "$(maildir_count "$(home_of fw)/Maildir")" = 0

send_to dd-anything@$D "default test"
check ".qmail-default delivery" wait_for_mail "$(home_of dd)/Maildir" '^Subject: default test'
check ".qmail-default sets DEFAULT" wait_for_log '^anything$' 10 "$(home_of dd)/default.log"
send_to dd-foo@$D "ext test"
check ".qmail-foo wins over .qmail-default" wait_for_log '^Subject: ext test' 30 "$(home_of dd)/foo.mbox"

sndmd=$(home_of snd)/Maildir
send_to nosuchuser42@$D "unknown user test"
check "bounce for an unknown user" wait_for_mail "$sndmd" 'Sorry, no mailbox here by that name\. \(#5\.1\.1\)'
check "bounce names the recipient" test "$(maildir_grep "$sndmd" '^<nosuchuser42@testhost\.example>:')" -ge 1
check "bounce is QSBMF" test "$(maildir_grep "$sndmd" '^Hi\. This is the qmail-send program at testhost\.example\.')" -ge 1
check "bounce has the original message" test "$(maildir_grep "$sndmd" '^--- Below this line is a copy of the message\.')" -ge 1
check "bounce comes from MAILER-DAEMON" test "$(maildir_grep "$sndmd" '^From: MAILER-DAEMON@testhost\.example')" -ge 1
check "bounce has an empty envelope sender" test "$(maildir_grep "$sndmd" '^Return-Path: <>')" -ge 1

send_to e100@$D "exit 100 test"
check "program exit 100 bounces" wait_for_mail "$sndmd" 'permanent trouble here'

send_to e111@$D "exit 111 test"
check "program exit 111 defers" wait_for_log 'deferral: .*not_yet,_try_later'
check "deferred message not delivered" test "$(maildir_count "$(home_of e111)/Maildir")" = 0
check "deferred message still queued" test "$(queue_files)" -gt 0
printf '#!/bin/sh\nexit 0\n' > "$(home_of e111)/gate"
qsignal ALRM
check "delivered after the fix and SIGALRM" wait_for_count "$(home_of e111)/Maildir" 1 30

before=$(maildir_grep "$sndmd" 'looping')
send_to la@$D "loop test"
check "loop detected and bounced" wait_for_mail "$sndmd" 'This message is looping: it already has my Delivered-To line\. \(#5\.4\.6\)' $((before + 1))
check "loop leaves nothing in the mailboxes" test "$(maildir_count "$(home_of la)/Maildir")$(maildir_count "$(home_of lb)/Maildir")" = 00

printf 'To: st@%s\nBcc: st2@%s\nSubject: sendmail -t test\n\nbody\n' $D $D | "$QH/bin/sendmail" -t -f "snd@$D"
check "sendmail -t delivers to To:" wait_for_mail "$(home_of st)/Maildir" '^Subject: sendmail -t test'
check "sendmail -t delivers to Bcc:" wait_for_mail "$(home_of st2)/Maildir" '^Subject: sendmail -t test'
check "Bcc: header removed" test "$(maildir_grep "$(home_of st)/Maildir" '^Bcc:')" = 0

check "queue empty" wait_queue_empty 30
check "SIGTERM: every process exits" qstop
check "SIGTERM: qmail-send logs status: exiting" grep -q 'status: exiting' "$QLOG"
done_testing
