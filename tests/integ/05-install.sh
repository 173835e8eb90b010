#!/bin/sh
# install is idempotent and never truncates queue, control or .qmail files;
# instcheck notices a wrong mode; config-fast writes and reports.
. "$(dirname "$0")/../lib.sh"
cd "$QI/src" || exit 1
check "instcheck passes on the fresh instance" ./instcheck

# Something in every kind of kept file, and a queued message.
echo "keep me" > "$QH/alias/.qmail-postmaster"
printf 'remote data' | dd of="$QH/queue/lock/tcpto" conv=notrunc 2>/dev/null
echo 42 > "$QH/control/concurrencylocal"
send_to nobody@testhost.example "queued during reinstall"
mess=$(find "$QH/queue/mess" -type f | head -n 1)
sum=$(md5sum < "$mess")
chmod 700 "$QH/bin/qmail-inject"
check "instcheck notices a wrong mode" sh -c '! ./instcheck > "$1/ic.out" 2>&1 && grep -q "bin/qmail-inject: wrong mode 0700, want 0755" "$1/ic.out"' x "$T"

check "install reruns" sh -c './install > /dev/null 2>&1'
check "instcheck passes after the rerun" ./instcheck
check "queued message untouched" test "$(md5sum < "$mess")" = "$sum"
check "alias .qmail file kept" grep -q '^keep me$' "$QH/alias/.qmail-postmaster"
check "tcpto kept, still 1024 bytes" sh -c 'head -c 11 "$1" | grep -q "remote data" && test "$(wc -c < "$1")" = 1024' x "$QH/queue/lock/tcpto"
check "control file kept" grep -q '^42$' "$QH/control/concurrencylocal"
check "trigger is still a named pipe" test -p "$QH/queue/lock/trigger"
check "qmail-queue is setuid qmailq" sh -c 'test "$(stat -c %U:%a "$1")" = qmailq:4711' x "$QH/bin/qmail-queue"
: > "$QH/alias/.qmail-postmaster"

# Remove the queued message again (nothing is running).
find "$QH/queue" -path "$QH/queue/lock" -prune -o -type f -exec rm -f {} +

out=$("$QH/bin/config-fast" mail.example.com)
check "config-fast writes me" grep -q '^mail.example.com$' "$QH/control/me"
check "config-fast writes defaultdomain" grep -q '^example.com$' "$QH/control/defaultdomain"
check "config-fast writes plusdomain" grep -q '^example.com$' "$QH/control/plusdomain"
check "config-fast says it replaces locals" sh -c 'echo "$1" | grep -q "Replacing control/locals"' x "$out"
out=$("$QH/bin/config-fast" mail.example.com)
check "config-fast leaves identical files alone" sh -c 'echo "$1" | grep -q "control/me already contains mail.example.com, unchanged."' x "$out"
"$QH/bin/config-fast" 'bad host' > /dev/null 2>&1
check "config-fast refuses a bad name (100)" test $? = 100
ctl me testhost.example
ctl locals testhost.example localhost
ctl rcpthosts testhost.example localhost
rm -f "$QH/control/defaultdomain" "$QH/control/plusdomain" "$QH/control/concurrencylocal"
done_testing
