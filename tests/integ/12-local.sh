#!/bin/sh
# qmail-local, qmail-lspawn, qmail-rspawn, qmail-getpw, qmail-newu,
# qmail-pw2u and maildirmake run directly (no qmail-send): every
# delivery type, the qmail-command environment, exit codes, .qmail
# checks, the spawn protocol with parallel deliveries.
. "$(dirname "$0")/../lib.sh"
D=testhost.example
QL=$QH/bin/qmail-local

for u in lu lsp slow fast; do add_user $u; done
H=$(home_of lu)
M=$T/msg
printf 'From: a@b\nSubject: hi\nDelivered-To: other@x\n\nFrom here\nbody\n' > "$M"
chmod 644 "$M"

# ql [OPTS] EXT [DEFAULTDELIVERY]: qmail-local as lu for lu[-EXT]@D from s@x; output in $T/out, exit code in $rc
ql() {
  _o=
  case $1 in -*) _o=$1; shift ;; esac
  _dash=; [ -n "$1" ] && _dash=-
  _loc=lu${1:+-$1}
  (cd / && as_user lu "$QL" $_o -- lu "$H" "$_loc" "$_dash" "$1" $D "${SENDER-s@x}" "${2:-./Maildir/}" < "${MSG:-$M}") > "$T/out" 2>&1
  rc=$?
}
out_has() { grep -q -e "$1" "$T/out"; }
newest() { ls -t "$1"/new/* | head -n 1; }

# --- Maildir (default delivery)
ql ""
check "maildir: exit 0" test "$rc" = 0
check "maildir: did 1+0+0" out_has '^did 1+0+0$'
f=$(newest "$H/Maildir")
check "maildir: name has ,S=<size>" test "${f##*,S=}" = "$(wc -c < "$f" | tr -d ' ')"
check "maildir: Return-Path first" sh -c 'head -n 1 "$1" | grep -qx "Return-Path: <s@x>"' x "$f"
check "maildir: then Delivered-To" sh -c 'sed -n 2p "$1" | grep -qx "Delivered-To: lu@testhost.example"' x "$f"
check "maildir: tmp/ is empty" test -z "$(ls "$H/Maildir/tmp")"

# --- mbox
echo ./Mailbox | dotqmail lu
ql ""
check "mbox: exit 0" test "$rc" = 0
check "mbox: From_ line" sh -c 'head -n 1 "$1" | grep -q "^From s@x [A-Z][a-z][a-z] [A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]* [0-9]*$"' x "$H/Mailbox"
check "mbox: >From quoting" grep -qx '>From here' "$H/Mailbox"
check "mbox: ends with a blank line" sh -c 'tail -n 1 "$1" | grep -qx ""' x "$H/Mailbox"
check "mbox: mode 600" test "$(stat -c %a "$H/Mailbox")" = 600

# --- program: environment, message without our lines, cwd = home
printf '|env > prog.env; cat > prog.out; pwd > prog.pwd\n' | dotqmail lu a-b-c-d-e
ql a-b-c-d-e
check "program: exit 0" test "$rc" = 0
check "program: did 0+0+1" out_has '^did 0+0+1$'
for v in "USER=lu" "HOME=$H" "LOCAL=lu-a-b-c-d-e" "EXT=a-b-c-d-e" "EXT2=b-c-d-e" "EXT3=c-d-e" "EXT4=d-e" \
         "HOST=$D" "HOST2=testhost" "HOST3=testhost" "HOST4=testhost" "SENDER=s@x" "NEWSENDER=s@x" \
         "RECIPIENT=lu-a-b-c-d-e@$D" "DTLINE=Delivered-To: lu-a-b-c-d-e@$D" "RPLINE=Return-Path: <s@x>" "UFLINE=From s@x "; do
  check "program: env $v" grep -q "^$v" "$H/prog.env"
done
check "program: no DEFAULT for an exact file" sh -c '! grep -q "^DEFAULT=" "$1"' x "$H/prog.env"
check "program: message as queued" cmp -s "$M" "$H/prog.out"
check "program: runs in the home directory" grep -qx "$H" "$H/prog.pwd"

# --- .qmail-default and DEFAULT
printf '|echo "$DEFAULT" > default.out\n' | dotqmail lu foo-default
ql Foo-Bar.Baz
check "default: exit 0" test "$rc" = 0
check "default: DEFAULT keeps case and dots" grep -qx 'Bar.Baz' "$H/default.out"
ql nothing-here
check "no .qmail-ext: exit 100" test "$rc" = 100
check "no .qmail-ext: text" out_has '^Sorry, no mailbox here by that name. (#5.1.1)$'

# --- exit codes
printf '|echo hard trouble; exit 100\n./Maildir/\n' | dotqmail lu e100
n0=$(maildir_count "$H/Maildir")
ql e100
check "program 100: exit 100 with its output" sh -c 'test "$1" = 100 && grep -qx "hard trouble" "$2"' x "$rc" "$T/out"
for c in 64 65 70 76 77 78 112; do
  printf '|exit %s\n' $c | dotqmail lu ec
  ql ec
  check "program $c: permanent" test "$rc" = 100
done
for c in 111 1 75; do
  printf '|exit %s\n' $c | dotqmail lu ec
  ql ec
  check "program $c: temporary" test "$rc" = 111
done
printf '|kill -9 $$\n' | dotqmail lu ec
ql ec
check "program crash: temporary" sh -c 'test "$1" = 111 && grep -q "Aack, child crashed" "$2"' x "$rc" "$T/out"
printf '&fw99@example.org\n|exit 99\n./Maildir/\n' | dotqmail lu e99
ql e99
check "program 99: exit 0" test "$rc" = 0
check "program 99: later lines skipped" test "$(maildir_count "$H/Maildir")" = "$n0"
check "program 99: earlier forward done" out_has '^qp [0-9]'

# --- forwarding through qmail-queue
printf '# comment\n&one@example.org\ntwo@example.org\n' | dotqmail lu fw
ql fw
check "forward: exit 0" test "$rc" = 0
check "forward: did 0+2+0 and qp" sh -c 'grep -qx "did 0+2+0" "$1" && grep -q "^qp [0-9][0-9]*$" "$1"' x "$T/out"
todo=$(grep -l -a 'Tone@example.org' "$QH"/queue/todo/*/* 2>/dev/null | head -n 1)
check "forward: one message, both recipients" sh -c 'test -n "$1" && grep -q -a "Ttwo@example.org" "$1"' x "$todo"
check "forward: envelope sender kept" sh -c 'tr "\\0" "\\n" < "$1" | grep -qx "Fs@x"' x "$todo"
mess=$QH/queue/mess/${todo#$QH/queue/todo/}
check "forward: Delivered-To added, no Return-Path" sh -c 'grep -q "^Delivered-To: lu-fw@testhost.example$" "$1" && ! grep -q "^Return-Path:" "$1"' x "$mess"
echo '&list@example.org' | dotqmail lu list
: | dotqmail lu list-owner
ql list
todo=$(grep -l -a 'Tlist@example.org' "$QH"/queue/todo/*/* | head -n 1)
check "forward: -owner file sets the sender" sh -c 'tr "\\0" "\\n" < "$1" | grep -qx "Flu-list-owner@testhost.example"' x "$todo"
: | dotqmail lu list-owner-default
ql list
todo=$(ls -t $(grep -l -a 'Tlist@example.org' "$QH"/queue/todo/*/*) | head -n 1)
check "forward: -owner-default gives VERP" sh -c 'tr "\\0" "\\n" < "$1" | grep -qx "Flu-list-owner-@testhost.example-@\\[\\]"' x "$todo"
SENDER= ql list
todo=$(ls -t $(grep -l -a 'Tlist@example.org' "$QH"/queue/todo/*/*) | head -n 1)
check "forward: a bounce keeps the empty sender" sh -c 'tr "\\0" "\\n" < "$1" | grep -qx "F"' x "$todo"

# --- loop detection
printf 'Delivered-To: lu@%s\nSubject: loop\n\nx\n' $D > "$T/loop"
MSG=$T/loop ql ""
check "loop: exit 100" test "$rc" = 100
check "loop: text" out_has '^This message is looping: it already has my Delivered-To line. (#5.4.6)$'
printf 'Subject: x\n\nDelivered-To: lu@%s\n' $D > "$T/loopbody"
MSG=$T/loopbody ql ""
check "loop: a body line does not count" test "$rc" = 0

# --- -n
printf '# c\n./Maildir/\n./Mbox\n|prog x\n&f@example.org\nbare@example.org\n' | dotqmail lu show
ql -n show
check "-n: describes" sh -c 'printf "maildir ./Maildir/\nmbox ./Mbox\nprogram prog x\nforward f@example.org\nforward bare@example.org\ndid 2+2+1\n" | cmp -s - "$1"' x "$T/out"

# --- .qmail and home checks
printf '\n./Maildir/\n' | dotqmail lu blank
ql blank
check "blank first line: 111" sh -c 'test "$1" = 111 && grep -q "first line of .qmail file is blank" "$2"' x "$rc" "$T/out"
: | dotqmail lu empty
n0=$(maildir_count "$H/Maildir")
ql empty
check "empty .qmail: default delivery" test "$(maildir_count "$H/Maildir")" = $((n0 + 1))
echo ./Maildir/ | dotqmail lu ww; chmod 666 "$H/.qmail-ww"
ql ww
check "world-writable .qmail: 111" sh -c 'test "$1" = 111 && grep -q "Uh-oh: .qmail file is writable. (#4.7.0)" "$2"' x "$rc" "$T/out"
printf '&a@example.org\n./Maildir/\n' | dotqmail lu xbit; chmod 744 "$H/.qmail-xbit"
ql xbit
check "x bit with a file line: 111" sh -c 'test "$1" = 111 && grep -q "has x bit set" "$2"' x "$rc" "$T/out"
printf '+list\n|true\n' | dotqmail lu plist
ql plist
check "+list with a program line: 111" sh -c 'test "$1" = 111 && grep -q "prog delivery but has x bit set" "$2"' x "$rc" "$T/out"
chmod 1755 "$H"
ql ""
check "sticky home: 111" sh -c 'test "$1" = 111 && grep -q "Home directory is sticky" "$2"' x "$rc" "$T/out"
chmod 757 "$H"
ql ""
check "writable home: 111" sh -c 'test "$1" = 111 && grep -q "home directory is writable" "$2"' x "$rc" "$T/out"
chmod 755 "$H"
rm -f "$H/.qmail"
rm -rf "$H/Maildir"
ql ""
check "missing Maildir: 111" sh -c 'test "$1" = 111 && grep -qx "Unable to chdir to maildir. (#4.2.1)" "$2"' x "$rc" "$T/out"
check "maildirmake" as_user lu "$QH/bin/maildirmake" "$H/Maildir"
check "maildirmake refuses an existing one" sh -c '! "$@" 2>/dev/null' x as_user lu "$QH/bin/maildirmake" "$H/Maildir"
check "maildirmake: mode 700" test "$(stat -c %a "$H/Maildir/new")" = 700
(cd / && "$QL" -- lu "$H" lu '' '' $D s@x ./Maildir/ < "$M") > "$T/out" 2>&1; rc=$?
check "as root: refused" sh -c 'test "$1" = 111 && grep -q "Not allowed to perform deliveries as root" "$2"' x "$rc" "$T/out"
"$QL" lu "$H" > "$T/out" 2>&1; rc=$?
check "usage: 100" test "$rc" = 100

# --- qmail-getpw
check "getpw: unknown -> alias" sh -c '"$1" nosuch-user | tr "\\0" "\\n" | sed -n "1p;5p;6p" | tr "\\n" " " | grep -qx "alias - nosuch-user "' x "$QH/bin/qmail-getpw"
check "getpw: alias-ext -> alias with ext" sh -c '"$1" Alias-Foo | tr "\\0" "\\n" | sed -n "1p;5p;6p" | tr "\\n" " " | grep -qx "alias - Foo "' x "$QH/bin/qmail-getpw"

# --- qmail-newu
cp "$QH/users/cdb" "$T/cdb.before"
cp "$QH/users/assign" "$T/assign.good"
printf '=bad:line\n.\n' > "$QH/users/assign"
check "newu: bad assign fails" sh -c '! "$1" 2>/dev/null' x "$QH/bin/qmail-newu"
check "newu: bad assign leaves cdb alone" cmp -s "$T/cdb.before" "$QH/users/cdb"
grep -v '^\.$' "$T/assign.good" > "$QH/users/assign"
check "newu: missing final dot fails" sh -c '! "$1" 2>/dev/null' x "$QH/bin/qmail-newu"
printf '=root:root:0:0:%s:::\n' "$(home_of lsp)" >> "$QH/users/assign"
echo . >> "$QH/users/assign"
check "newu: good assign" "$QH/bin/qmail-newu"

# --- qmail-pw2u
au=$(id -u alias); ag=$(id -g alias)
printf 'alias:x:%s:%s::%s:/bin/sh\nroot:x:0:0::/root:/bin/sh\nBig:x:%s:%s::%s:/bin/sh\nlsp:x:%s:%s::%s:/bin/sh\nghost:x:%s:%s::/nonexistent:/bin/sh\n' \
  "$au" "$ag" "$QH/alias" "$(uid_of lsp)" "$(uid_of lsp)" "$(home_of lsp)" "$(uid_of lsp)" "$(uid_of lsp)" "$(home_of lsp)" "$(uid_of lsp)" "$(uid_of lsp)" > "$T/passwd"
printf 'lsp:lsp:Lucy\n' > "$QH/users/mailnames"
printf 'sub:lsp:pre:\n' > "$QH/users/subusers"
printf '=extra:lsp:1:1:/x:::\n' > "$QH/users/append"
"$QH/bin/qmail-pw2u" < "$T/passwd" > "$T/pw2u" 2> "$T/pw2u.err"
cat > "$T/pw2u.want" <<EOF
+:alias:$au:$ag:$QH/alias:-::
=alias:alias:$au:$ag:$QH/alias:::
+alias-:alias:$au:$ag:$QH/alias:-::
=lsp:lsp:$(uid_of lsp):$(uid_of lsp):$(home_of lsp):::
+lsp-:lsp:$(uid_of lsp):$(uid_of lsp):$(home_of lsp):-::
=Lucy:lsp:$(uid_of lsp):$(uid_of lsp):$(home_of lsp):::
+Lucy-:lsp:$(uid_of lsp):$(uid_of lsp):$(home_of lsp):-::
=sub:lsp:$(uid_of lsp):$(uid_of lsp):$(home_of lsp):-:pre:
+sub-:lsp:$(uid_of lsp):$(uid_of lsp):$(home_of lsp):-:pre-:
=extra:lsp:1:1:/x:::
.
EOF
check "pw2u: assignments" cmp -s "$T/pw2u.want" "$T/pw2u"
rm -f "$QH/users/mailnames" "$QH/users/subusers" "$QH/users/append"
printf 'lsp:x:1:1::/x:/bin/sh\n' | "$QH/bin/qmail-pw2u" -H > /dev/null 2>&1
check "pw2u: no alias user is fatal" test $? = 111

# --- qmail-lspawn: the spawn protocol
cat > "$T/spawn.py" <<'EOF'
import os, subprocess, sys, time
# spawn.py PROG ARG -- req...; req = slot:id:sender:rcpt or "hup"; prints "slot status text" per reply
prog, arg = sys.argv[1], sys.argv[2]
reqs = sys.argv[4:]
data = b""
for r in reqs:
    if r == "hup":
        data += b"\xff"; continue
    slot, mid, snd, rcpt = r.split(":", 3)
    data += bytes([int(slot)]) + mid.encode() + b"\0" + snd.encode() + b"\0" + rcpt.encode() + b"\0"
args = [prog] + ([arg] if arg else [])
p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
p.stdin.write(data); p.stdin.close()
out = p.stdout.read()
rc = p.wait()
i = 0
while i < len(out):
    z = out.index(b"\0", i + 1)
    # the text keeps its newlines (INTERNALS 5); shown as '/' like qmail-send's log
    print(out[i], chr(out[i + 1]), out[i + 2:z].decode("latin-1").replace("\n", "/"))
    i = z + 1
print("exit", rc)
EOF
spawn() { python3 "$T/spawn.py" "$@" > "$T/replies" 2>&1; }
reply() { grep -q -e "$1" "$T/replies"; }
# mess ID [OWNER]: a queued message
mess() {
  _f=$QH/queue/mess/$(($1 % 23))/$1
  printf 'Received: (qmail 1 invoked by uid 0); x\nSubject: spawn %s\n\nbody\n' "$1" > "$_f"
  chown "${2:-qmailq}" "$_f"; chmod 644 "$_f"
}
mess 900001; mess 900002 root
printf '|sleep 2\n./Maildir/\n' | dotqmail slow
spawn "$QH/bin/qmail-lspawn" ./Maildir/ -- "1:900001:s@x:slow@$D" "2:900001:s@x:fast@$D" hup "3:900001:s@x:lsp-ext@$D" \
  "4:900001:s@x:nosuchuser@$D" "5:900001:s@x:root@$D" "6:900002:s@x:fast@$D" "7:999999:s@x:fast@$D" \
  "8:900001:s@x:fast" "9:900001:s@x:@$D" "250:900001:s@x:fast@$D"
check "lspawn: delivered" reply "^2 K did 1+0+0/$"
check "lspawn: parallel (fast before slow)" sh -c 'grep -n "^[12] K" "$1" | tr "\\n" " " | grep -q "^[0-9]*:2 K.*:1 K"' x "$T/replies"
check "lspawn: slow one delivered" test "$(maildir_count "$(home_of slow)/Maildir")" = 1
check "lspawn: users/cdb wildcard, no .qmail-ext" reply "^3 D Sorry, no mailbox here by that name. (#5.1.1)/$"
check "lspawn: unknown user goes to alias" reply "^4 D Sorry, no mailbox here by that name. (#5.1.1)/$"
check "lspawn: uid 0 refused" reply "^5 Z Not allowed to perform deliveries as root./$"
check "lspawn: message owner checked" reply "^6 Z Sorry, message has wrong owner. (#4.3.5)$"
check "lspawn: missing message" reply "^7 Z qmail-spawn unable to open message. (#4.3.0)$"
check "lspawn: address without host" reply "^8 D Sorry, address must include host name. (#5.1.3)$"
check "lspawn: empty local part" reply "^9 K $"
check "lspawn: slot out of range" reply "^250 Z Internal error: delnum too big. (#4.3.5)$"
check "lspawn: exits 0 at EOF" reply "^exit 0$"
check "lspawn: fast user got two" test "$(maildir_count "$(home_of fast)/Maildir")" = 1

# --- qmail-rspawn
spawn "$QH/bin/qmail-rspawn" "" -- "0:900001:s@x:someone@example.invalid"
if [ -x "$QH/bin/qmail-remote" ]; then
  check "rspawn: a reply" reply "^0 [KZD]"
else
  check "rspawn: no qmail-remote is temporary" reply "^0 Z Unable to run qmail-remote./$"
fi
check "rspawn: exits 0 at EOF" reply "^exit 0$"
done_testing
