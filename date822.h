/* date822: RFC 5322 date ("Tue, 24 Nov 2026 08:14:40 +0000") in UTC. */
#ifndef DATE822_H
#define DATE822_H
#include <time.h>
#include "sb.h"
int date822(sb *out, time_t t);   /* appends; 1 ok, 0 nomem */
#endif
