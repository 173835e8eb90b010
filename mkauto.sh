#!/bin/sh
# Generates auto.h from the conf-* build settings.
line() { head -n 1 "$1"; }
nth() { sed -n "$2p" "$1"; }
cat <<H
/* generated from conf-* by mkauto.sh; do not edit */
#ifndef AUTO_H
#define AUTO_H
#define AUTO_QMAIL "$(line conf-qmail)"
/* ~alias: the installation's alias directory, whatever passwd says */
#define AUTO_ALIASHOME AUTO_QMAIL "/alias"
#define AUTO_SPLIT $(line conf-split)
#define AUTO_SPAWN $(line conf-spawn)
#define AUTO_BREAK "$(line conf-break)"
#define AUTO_PATRN 0$(line conf-patrn)
#define AUTO_USERA "$(nth conf-users 1)"
#define AUTO_USERD "$(nth conf-users 2)"
#define AUTO_USERL "$(nth conf-users 3)"
#define AUTO_USERO "$(nth conf-users 4)"
#define AUTO_USERP "$(nth conf-users 5)"
#define AUTO_USERQ "$(nth conf-users 6)"
#define AUTO_USERR "$(nth conf-users 7)"
#define AUTO_USERS "$(nth conf-users 8)"
#define AUTO_GROUPQ "$(nth conf-groups 1)"
#define AUTO_GROUPN "$(nth conf-groups 2)"
#endif
H
