/* clock.h -- elapsed time for progress and summaries, on the monotonic
 * clock (a wall-clock step during a night run cannot make it negative). */
#ifndef SVC_CLOCK_H
#define SVC_CLOCK_H

#include <stdbool.h>
#include <time.h>

/* Now, on CLOCK_MONOTONIC: the start of what clock_seconds_since measures. */
void clock_start(struct timespec *t0);
/* Seconds from t0 (filled by clock_start) to now. */
double clock_seconds_since(const struct timespec *t0);

/* When process pid started, in seconds since the epoch (Linux: its start
 * in clock ticks after boot, /proc/PID/stat field 22, and the boot time,
 * /proc/stat btime). False when either cannot be read. */
bool clock_process_started(long pid, double *at);

#endif
