/* clock.c -- see clock.h. */
#include "lib/clock.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

/* When process pid started, in seconds since the epoch (Linux: its
 * start in clock ticks after boot, /proc/PID/stat field 22, and the boot
 * time, /proc/stat btime). False when either cannot be read. */
bool clock_process_started(long pid, double *at)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');     /* the name may hold blanks */
    unsigned long long ticks = 0;
    for (int field = 2; p && field < 22; field++)
        p = strchr(p + 1, ' ');
    if (!p || sscanf(p + 1, "%llu", &ticks) != 1)
        return false;
    long hz = sysconf(_SC_CLK_TCK);
    unsigned long long btime = 0;
    bool found = false;
    if (hz <= 0 || !(f = fopen("/proc/stat", "r")))
        return false;
    while (!found && fgets(buf, sizeof buf, f))
        found = sscanf(buf, "btime %llu", &btime) == 1;
    fclose(f);
    if (!found)
        return false;
    *at = (double)btime + (double)ticks / (double)hz;
    return true;
}
