/* lock.h -- one run per database at a time (SPEC §5: a second run exits at
 * once with 75 and says who holds the database). */
#ifndef SVC_LOCK_H
#define SVC_LOCK_H

#include "lib/diag.h"

#include <stdbool.h>

struct lock {
    int  fd;               /* -1 when not held */
    bool created;          /* this process made DB.lock (it was not there) */
    char path[4200];       /* DB.lock, when held */
};

/* Takes the lock "DB.lock" beside the database: a POSIX record lock on a
 * file that says who holds it (pid, host, start time). The kernel drops
 * the lock when the holder dies, so a killed run never wedges the next
 * one; the file itself stays (removing it would race). EX_TEMPFAIL when
 * another process holds it, EX_CANTCREAT when it cannot be created. */
int lock_acquire(struct lock *l, const char *db_path, struct diag *d);
void lock_release(struct lock *l);

/* lock_release, and DB.lock removed when this process made it: for a
 * --db refused as not svcrecon's (65: another program's SQLite tables, a
 * newer schema), where the lock file would be left beside a file that is
 * not ours. Only then: every run refuses such a file the same way, so no
 * other svcrecon can be working behind that lock (unlinking a lock a
 * waiting run then takes would let two runs in). */
void lock_discard(struct lock *l);

#endif
