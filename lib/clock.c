/* clock.c -- see clock.h. */
#include "lib/clock.h"

void clock_start(struct timespec *t0)
{
    clock_gettime(CLOCK_MONOTONIC, t0);
}

double clock_seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) +
           (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}
