# slapd for tests: a private directory on a loopback port.
# usage (sourced): slapd_setup DIR PORT; slapd_start DIR PORT; slapd_stop DIR
SLAPD_SUFFIX=dc=example,dc=com
SLAPD_ROOTDN=cn=admin,dc=example,dc=com
SLAPD_ROOTPW=secret

slapd_setup() {   # DIR SRC
  sh "$2/schema2ldif.sh" "$2/qmail.schema" > "$1.qmail.ldif" &&
  sh "$2/qmail-mkslapd.sh" "$1" "$SLAPD_SUFFIX" "$SLAPD_ROOTPW" "$1.qmail.ldif" >/dev/null
}

slapd_start() {   # DIR PORT
  /usr/sbin/slapd -F "$1/slapd.d" -h "ldap://127.0.0.1:$2/" || return 1
  for _i in $(seq 1 100); do
    ldapsearch -x -H "ldap://127.0.0.1:$2" -b "$SLAPD_SUFFIX" -s base >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "slapd did not answer on port $2" >&2
  return 1
}

slapd_stop() {    # DIR
  [ -f "$1/slapd.pid" ] || return 0
  _p=$(cat "$1/slapd.pid")
  kill "$_p" 2>/dev/null
  for _i in $(seq 1 100); do kill -0 "$_p" 2>/dev/null || { rm -f "$1/slapd.pid"; return 0; }; sleep 0.1; done
  kill -9 "$_p" 2>/dev/null; rm -f "$1/slapd.pid"
}

ldap_add() {      # PORT < ldif
  ldapadd -x -H "ldap://127.0.0.1:$1" -D "$SLAPD_ROOTDN" -w "$SLAPD_ROOTPW" >/dev/null
}

ldap_modify() {   # PORT < ldif
  ldapmodify -x -H "ldap://127.0.0.1:$1" -D "$SLAPD_ROOTDN" -w "$SLAPD_ROOTPW" >/dev/null
}
