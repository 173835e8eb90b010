#!/bin/sh
# qmail-mkslapd: create a private OpenLDAP slapd configuration (cn=config)
# with qmail.schema loaded and one mdb database. Used for the embedded
# default directory of a mail host and by the test suite.
#
# usage: qmail-mkslapd DIR SUFFIX ROOTPW [SCHEMA_LDIF]
#   DIR/slapd.d   the cn=config directory (slapd -F)
#   DIR/db        the database
#   DIR/slapd.pid
# Never touches an existing DIR/slapd.d (rerunning is safe).
set -e
dir=$1; suffix=$2; rootpw=$3
schema=${4:-QMAIL_HOME/doc/qmail.ldif}
[ -n "$dir" ] && [ -n "$suffix" ] && [ -n "$rootpw" ] || { echo "usage: qmail-mkslapd DIR SUFFIX ROOTPW [SCHEMA_LDIF]" >&2; exit 100; }
if [ -d "$dir/slapd.d" ]; then
  echo "qmail-mkslapd: $dir/slapd.d exists, leaving it alone"
  exit 0
fi
[ -f "$schema" ] || { echo "qmail-mkslapd: no schema LDIF at $schema" >&2; exit 111; }
umask 077
# leftovers of an interrupted run (slapd.d does not exist yet)
rm -rf "$dir/slapd.d.tmp"
mkdir -p "$dir/db" "$dir/slapd.d.tmp"
hash=$(slappasswd -h '{SSHA}' -s "$rootpw")
cat > "$dir/config.ldif" <<LDIF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $dir/slapd.pid
olcLogLevel: none

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb

include: file:///etc/ldap/schema/core.ldif
include: file:///etc/ldap/schema/cosine.ldif
include: file:///etc/ldap/schema/nis.ldif
include: file:///etc/ldap/schema/inetorgperson.ldif
include: file://$schema

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend
olcSizeLimit: 500

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by dn.exact=gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth manage by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: $suffix
olcDbDirectory: $dir/db
olcRootDN: cn=admin,$suffix
olcRootPW: $hash
olcDbMaxSize: 1073741824
olcDbIndex: objectClass eq
olcDbIndex: mail,mailAlternateAddress,uid eq
olcAccess: {0}to attrs=userPassword by self write by anonymous auth by * none
olcAccess: {1}to * by * read
LDIF
slapadd -n0 -F "$dir/slapd.d.tmp" -l "$dir/config.ldif" >/dev/null
mv "$dir/slapd.d.tmp" "$dir/slapd.d"
# the base entry, so the directory is usable at once
dc=$(echo "$suffix" | sed -n 's/^dc=\([^,]*\).*/\1/p')
{
  echo "dn: $suffix"
  echo "objectClass: top"
  echo "objectClass: dcObject"
  echo "objectClass: organization"
  echo "o: ${dc:-mail}"
  echo "dc: ${dc:-mail}"
} > "$dir/base.ldif"
slapadd -n1 -F "$dir/slapd.d" -l "$dir/base.ldif" >/dev/null
echo "qmail-mkslapd: created $dir (suffix $suffix, root DN cn=admin,$suffix)"
