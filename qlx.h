/* qlx: exit codes between qmail-lspawn and the programs it runs
 * (its own forked children, qmail-getpw, qmail-local). qmail-local
 * itself exits 0 (delivered), 100 (permanent) or 111 (temporary);
 * the codes below never come from a delivery program. qmail-lspawn's
 * report() turns each into the one text listed beside it. */
#ifndef QLX_H
#define QLX_H

#define QLX_BUG 101        /* "Internal qmail-lspawn bug." */
#define QLX_ROOT 102       /* "Not allowed to perform deliveries as root." */
#define QLX_NOMEM 103      /* "Out of memory in qmail-lspawn." */
#define QLX_CDB 104        /* "Trouble reading users/cdb in qmail-lspawn." */
#define QLX_SYS 105        /* "Temporary failure in qmail-lspawn." */
#define QLX_NOALIAS 106    /* "Unable to find alias user!" */
#define QLX_NFS 107        /* "NFS failure in qmail-local." */
#define QLX_EXECSOFT 108   /* "Unable to run qmail-local." (temporary) */
#define QLX_EXECPW 109     /* "Unable to run qmail-getpw." */
#define QLX_EXECHARD 110   /* "Unable to run qmail-local." (permanent) */
#define QLX_USAGE 112      /* "Internal qmail-lspawn bug." */
/* 150..169 are reserved for the directory lookup (qmail-ldap). */

#endif
