/* verify-time.c -- `make bench`: how long the read-back of verify.c takes
 * on finished workbooks (issue 16: it must stay a small fraction of a
 * report). Runs verify_workbook() on each FILE, without expectations (the
 * scan and the inflating are the same; only the final comparison of
 * counts is skipped), and prints the seconds, CPU and wall, of all of them:
 *   verify-time FILE...   ->   "verify 0.123 s cpu 0.120 s"   */
#include <stdio.h>
#include <time.h>

#include "reports/verify.h"

static double now(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
    int rc = 0;
    for (int k = 1; k < argc; k++) {
        char why[300];
        if (verify_workbook(argv[k], NULL, 0, why, sizeof why) != 0) {
            fprintf(stderr, "verify-time: %s: %s\n", argv[k], why);
            rc = 1;
        }
    }
    printf("verify %.3f s cpu %.3f s\n", now(CLOCK_MONOTONIC) - w0,
           now(CLOCK_PROCESS_CPUTIME_ID) - c0);
    return rc;
}
