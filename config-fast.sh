#!/bin/sh
# config-fast host.example.com: the minimal control files for a host,
# as qmail's config-fast, but never replacing a file without saying so.
# QMAIL_HOME is replaced by conf-qmail at build time.
set -u
QMAIL=QMAIL_HOME
if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: config-fast host.example.com" >&2
  exit 100
fi
fqdn=$1
case $fqdn in
  *[!A-Za-z0-9.-]*|.*|*..*) echo "config-fast: fatal: not a host name: $fqdn" >&2; exit 100 ;;
esac
ctl=$QMAIL/control
[ -d "$ctl" ] || { echo "config-fast: fatal: $ctl does not exist; run install first" >&2; exit 111; }

# put FILE VALUE: write one line, atomically, telling what happens.
put() {
  f=$ctl/$1
  if [ -f "$f" ]; then
    old=$(cat "$f")
    if [ "$old" = "$2" ]; then
      echo "control/$1 already contains $2, unchanged."
      return 0
    fi
    echo "Replacing control/$1 (was: $(echo "$old" | head -n 1)) with $2..."
  else
    echo "Putting $2 into control/$1..."
  fi
  echo "$2" > "$f.tmp$$" && chmod 644 "$f.tmp$$" && mv -f "$f.tmp$$" "$f" || {
    rm -f "$f.tmp$$"; echo "config-fast: fatal: unable to write $f" >&2; exit 111; }
}

echo "Your fully qualified host name is $fqdn."
put me "$fqdn"
# like qmail: drop the first label only when at least two dots remain
ddom=$(echo "$fqdn" | sed 's/^\([^.]*\)\.\([^.]*\)\./\2./')
put defaultdomain "$ddom"
put plusdomain "$ddom"
put locals "$fqdn"
put rcpthosts "$fqdn"
echo "Now qmail will refuse to accept SMTP messages except to $fqdn."
echo 'Make sure to change rcpthosts if you add hosts to locals or virtualdomains!'
exit 0
