#!/bin/sh
# condwrite: the .qmail helper that files a message into a Maildir or mbox
# when a program says yes. First through the whole system (spam to Spam/
# only, ham to Maildir/, program 111 defers), then qmail-local run
# directly: mbox, usage, a missing Maildir and a new Maildir++ folder,
# the Maildir++ quota with its warning and bounce.
. "$(dirname "$0")/../lib.sh"
D=testhost.example
CW=$QH/bin/condwrite
QL=$QH/bin/qmail-local

for u in cw cwd cwl; do add_user $u; done
SENDER=snd@$D

# --- through qmail-send: condwrite is found in qmail-start's PATH
printf '|condwrite ./Spam/ grep -q SPAM\n./Maildir/\n' | dotqmail cw
printf '|condwrite ./Spam/ sh -c "exit 111"\n./Maildir/\n' | dotqmail cwd
check "qmail-start comes up" qstart
send_to cw@$D "buy now SPAM"
send_to cw@$D "ham only"
H=$(home_of cw)
check "spam filed in Spam/" wait_for_mail "$H/Spam" '^Subject: buy now SPAM'
check "ham in Maildir/" wait_for_mail "$H/Maildir" '^Subject: ham only'
check "queue empty" wait_queue_empty 30
check "spam not in Maildir/" test "$(maildir_grep "$H/Maildir" SPAM)" = 0
check "ham not in Spam/" test "$(maildir_count "$H/Spam")" = 1
check "Spam/ created with mode 700" test "$(stat -c %a "$H/Spam/new")" = 700
check "Spam/ owned by the user" test "$(stat -c %u "$H/Spam/new")" = "$(uid_of cw)"
check "filed message has Return-Path" test "$(maildir_grep "$H/Spam" "^Return-Path: <snd@$D>")" = 1
check "filed message has Delivered-To" test "$(maildir_grep "$H/Spam" "^Delivered-To: cw@$D")" = 1
send_to cwd@$D "condwrite defer"
check "program 111: deferred" wait_for_log 'deferral: .*temporary_child_error'
check "program 111: nothing delivered" test "$(maildir_count "$(home_of cwd)/Maildir")" = 0
check "program 111: nothing filed" test "$(maildir_count "$(home_of cwd)/Spam")" = 0
check "program 111: still queued" test "$(queue_files)" -gt 0
check "SIGTERM: every process exits" qstop

# --- qmail-local run directly, as user cwl
H=$(home_of cwl)
M=$T/msg
printf 'From: a@b\nSubject: SPAM offer\n\nFrom here\nbody\n' > "$M"
printf 'From: a@b\nSubject: plain\n\nbody\n' > "$T/ham"
chmod 644 "$M" "$T/ham"
# ql EXT: qmail-local for cwl-EXT@D from s@x; output in $T/out, exit code in $rc
ql() {
  (cd / && as_user cwl "$QL" -- cwl "$H" "cwl-$1" - "$1" $D s@x ./Maildir/ < "${MSG:-$M}") > "$T/out" 2>&1
  rc=$?
}
out_has() { grep -q -e "$1" "$T/out"; }

printf '|%s ./spam.mbox grep -q SPAM\n./Maildir/\n' "$CW" | dotqmail cwl mb
ql mb
check "mbox: exit 0" test "$rc" = 0
check "mbox: From_ line first" sh -c 'head -n 1 "$1" | grep -q "^From s@x "' x "$H/spam.mbox"
check "mbox: Return-Path and Delivered-To" sh -c 'sed -n 2p "$1" | grep -qx "Return-Path: <s@x>" && sed -n 3p "$1" | grep -qx "Delivered-To: cwl-mb@testhost.example"' x "$H/spam.mbox"
check "mbox: >From quoting" grep -qx '>From here' "$H/spam.mbox"
check "mbox: later lines skipped" test "$(maildir_count "$H/Maildir")" = 0
MSG=$T/ham ql mb
check "mbox: ham goes on to Maildir/" test "$rc:$(maildir_count "$H/Maildir")" = 0:1
check "mbox: ham not in the mbox" test "$(grep -c '^Subject:' "$H/spam.mbox")" = 1

printf '|%s ./Maildir/.Junk/ grep -q SPAM\n./Maildir/\n' "$CW" | dotqmail cwl fold
ql fold
check "folder: exit 0" test "$rc" = 0
check "folder: created inside Maildir/" test "$(maildir_count "$H/Maildir/.Junk")" = 1
check "folder: has maildirfolder" test -f "$H/Maildir/.Junk/maildirfolder"

printf '|%s ./Q/ true\n' "$CW" | dotqmail cwl q
ctl quotawarning "Your mailbox is almost full."
export MAILDIRQUOTA=2C
ql q
check "quota 1/2: delivered, no warning" test "$rc:$(maildir_count "$H/Q"):$(ls "$H/Q/new" | grep -c QUOTA_WARNING)" = 0:1:0
check "quota: maildirsize written" sh -c 'head -n 1 "$1" | grep -qx 2C' x "$H/Q/maildirsize"
ql q
check "quota 2/2: delivered and warned" test "$rc:$(ls "$H/Q/new" | grep -c QUOTA_WARNING)" = 0:1
check "quota: the warning has the text" test "$(maildir_grep "$H/Q" '^Your mailbox is almost full')" = 1
n0=$(maildir_count "$H/Q")
ql q
check "over quota: exit 100" test "$rc" = 100
check "over quota: text" out_has '^The users mailfolder is over the allowed quota (size). (#5.2.2)$'
check "over quota: nothing written" test "$(maildir_count "$H/Q")" = "$n0"
check "over quota: one warning only" test "$(ls "$H/Q/new" | grep -c QUOTA_WARNING)" = 1
MAILDIRQUOTA=1000S ql fold
check "folder quota: counted in the Maildir above" sh -c 'test -f "$1/maildirsize" && test ! -f "$1/.Junk/maildirsize"' x "$H/Maildir"
MAILDIRQUOTA=bogus ql q
check "bad MAILDIRQUOTA: temporary" test "$rc" = 111
unset MAILDIRQUOTA

printf '|%s ./Maildir/ false\n./Mailbox\n' "$CW" | dotqmail cwl no
ql no
check "program false: goes on with .qmail" test "$rc" = 0 -a -f "$H/Mailbox"
printf '|%s ./Maildir/ /nonexistent/prog\n' "$CW" | dotqmail cwl nx
ql nx
check "program missing: permanent" test "$rc" = 100
printf '|%s ./Maildir/\n' "$CW" | dotqmail cwl us
ql us
check "usage: permanent" sh -c 'test "$1" = 100 && grep -q "usage: condwrite" "$2"' x "$rc" "$T/out"
printf '|%s ./Maildir/ sh -c "kill -9 \\$\\$"\n./Mailbox\n' "$CW" | dotqmail cwl crash
ql crash
check "program crash: temporary" test "$rc" = 111
chmod 500 "$H/Maildir/new"
printf '|%s ./Maildir/ true\n' "$CW" | dotqmail cwl ro
n0=$(maildir_count "$H/Maildir")
ql ro
check "unwritable Maildir: temporary" test "$rc:$(maildir_count "$H/Maildir")" = "111:$n0"
chmod 700 "$H/Maildir/new"
(cd "$H" && env - RPLINE='Return-Path: <>
' "$CW" ./Maildir/ true < "$M") > "$T/out" 2>&1; rc=$?
check "no DTLINE: permanent" sh -c 'test "$1" = 100 && grep -q "DTLINE not set" "$2"' x "$rc" "$T/out"
done_testing
