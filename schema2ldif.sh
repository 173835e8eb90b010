#!/bin/sh
# schema2ldif.sh: turn qmail.schema (slapd.conf syntax) into an LDIF entry
# for slapd's cn=config, so both forms come from one source.
# usage: sh schema2ldif.sh qmail.schema > qmail.ldif
awk '
BEGIN { print "dn: cn=qmail,cn=schema,cn=config"; print "objectClass: olcSchemaConfig"; print "cn: qmail" }
/^#/ || /^[ \t]*$/ { if (def != "") { emit() } next }
/^attributetype/ { if (def != "") emit(); kind = "olcAttributeTypes"; def = substr($0, 14); next }
/^objectclass/ { if (def != "") emit(); kind = "olcObjectClasses"; def = substr($0, 12); next }
{ sub(/^[ \t]+/, " "); def = def $0 }
END { if (def != "") emit() }
function emit() { gsub(/[ \t]+/, " ", def); sub(/^ /, "", def); print kind ": " def; def = "" }
' "$1"
