#!/bin/sh
# qmail-queue's envelope checks and clean-up, Received line, bigbrother;
# qmail-inject's header completion and rewriting; sendmail -F; forward.
. "$(dirname "$0")/../lib.sh"
D=testhost.example
for u in inj rw bb spy fwd fwto; do add_user $u; done
QQ=$QH/bin/qmail-queue

# qq ENVELOPE-PRINTF [USER]: run qmail-queue with a one-line message; prints the exit code.
qq() {
  printf 'Subject: qq\n\nx\n' > "$T/qq.msg"
  printf "$1" > "$T/qq.env"
  if [ -n "${2:-}" ]; then as_user "$2" "$QQ" < "$T/qq.msg" 1< "$T/qq.env"
  else "$QQ" < "$T/qq.msg" 1< "$T/qq.env"; fi
  echo $?
}
long=$(head -c 1001 /dev/zero | tr '\0' a)
check "qmail-queue: envelope not starting with F is 91" test "$(qq 'Xa@b\0Tc@d\0\0')" = 91
check "qmail-queue: empty recipient is 91" test "$(qq 'Fa@b\0T\0\0')" = 91
check "qmail-queue: envelope without end is 54" test "$(qq 'Fa@b\0Tc@d\0')" = 54
check "qmail-queue: no envelope is 54" test "$(qq '')" = 54
check "qmail-queue: 1001-byte address is 11" test "$(qq "F$long\\0Tc@d\\0\\0")" = 11
check "qmail-queue: failures leave nothing behind" test "$(queue_files)" = 0
check "qmail-queue: pid/ is empty again" test -z "$(ls "$QH/queue/pid")"

ctl bigbrother "bb@$D:spy@$D"
check "qmail-start comes up" qstart

rwmd=$(home_of rw)/Maildir
printf 'To: rw, "Some One" <rw@testhost.example.>\nReply-To: x@[127.0.0.1], y@h+\nBcc: bb\nSubject: rewrite\nContent-Length: 3\n\nbody\n' |
  USER=inj INJECT_AS=inj inject -h 2>"$T/inj.err"
check "qmail-inject as a user exits 0" test ! -s "$T/inj.err"
check "rewritten message delivered" wait_for_mail "$rwmd" '^Subject: rewrite'
f=$(grep -l '^Subject: rewrite' "$rwmd"/new/* "$rwmd"/cur/* 2>/dev/null | head -n 1)
check "Received names the uid" grep -q "^Received: (qmail [0-9]* invoked by uid $(uid_of inj)); " "$f"
check "To: qualified with defaulthost and defaultdomain" grep -q "^To: rw@$D, \"Some One\" <rw@$D>$" "$f"
check "literal and plusdomain in Reply-To:" grep -q "^Reply-To: x@\\[127.0.0.1\\], y@h.$D$" "$f"
check "Date: added" grep -q '^Date: ' "$f"
check "Message-ID: added" grep -q "^Message-ID: <[0-9]*\.[0-9]*\.qmail@$D>$" "$f"
check "From: from USER" grep -q "^From: inj@$D$" "$f"
check "Bcc: removed" sh -c '! grep -q "^Bcc:" "$1"' x "$f"
check "Content-Length: removed" sh -c '! grep -q "^Content-Length:" "$1"' x "$f"
check "envelope sender is the user" grep -q "^Return-Path: <inj@$D>$" "$f"
check "Bcc recipient delivered" wait_for_mail "$(home_of bb)/Maildir" '^Subject: rewrite'
check "bigbrother gets a copy" wait_for_mail "$(home_of spy)/Maildir" '^Subject: rewrite'

printf 'To: rw\nFrom: <broken\n\nx\n' | inject -h 2>"$T/bad.err"
check "unparsable header: exit 100" test $? = 100
check "unparsable header: error names the line" grep -q '^From: <broken' "$T/bad.err"

out=$(printf 'To: a\n\nx\n' | QMAILUSER=u QMAILNAME='U Ser' inject -n -f '')
check "qmail-inject -n prints Return-Path" sh -c 'echo "$1" | grep -q "^Return-Path: <>$"' x "$out"
check "qmail-inject -n: From with the name" sh -c 'echo "$1" | grep -q "^From: \"U Ser\" <u@testhost.example>$"' x "$out"

printf 'To: rw@%s\nSubject: sendmail name\n\nx\n' $D | "$QH/bin/sendmail" -t -oi -F 'Real Name' -f "inj@$D"
check "sendmail -F sets the personal name" wait_for_mail "$rwmd" '^From: "Real Name" <'

echo "|forward fwto@$D" | dotqmail fwd
send_to fwd@$D "forward program"
check "forward delivers" wait_for_mail "$(home_of fwto)/Maildir" '^Subject: forward program'
check "forward uses NEWSENDER" test "$(maildir_grep "$(home_of fwto)/Maildir" "^Return-Path: <sender@$D>")" = 1

check "queue empty" wait_queue_empty 30
ctl bigbrother
check "SIGTERM: every process exits" qstop
done_testing
