/* diag.h -- one problem: where, why, and the exit code it leads to.
 * Functions that can fail return -1 and fill a struct diag (as git's
 * error() does); the driver (app/) alone turns the worst one into the
 * process's exit code, ranked by diag_worse().
 *
 * A struct diag owns its text: the file name and the reason are copied in,
 * so a diag outlives the path, database or buffer it speaks of. */
#ifndef SVC_DIAG_H
#define SVC_DIAG_H

#include <sysexits.h>

struct diag {
    char          file[1024];  /* a copy (cut to fit); "" = not about a file */
    unsigned long line;        /* physical line, 1-based; 0 = the whole file */
    int           exit_code;   /* EX_DATAERR, EX_NOINPUT, ... */
    char          reason[512];
};

/* Fills d (file may be NULL) and returns -1. */
int diag_set(struct diag *d, int exit_code, const char *file,
             unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Sets (or, with NULL, clears) the file a diag is about; keeps the rest. */
void diag_set_file(struct diag *d, const char *file);
/* "svcrecon: FILE:LINE: reason" (FILE and LINE only when set) on stderr;
 * FILE and reason shown as utf8_show_path() shows a path (one line). */
void diag_print(const struct diag *d);
/* "FILE: reason" or "reason" into buf (for a summary's "error"). */
void diag_format(const struct diag *d, char *buf, unsigned long size);

/* The folder part of a path as given, for a message about the folder:
 * "." when path has none, "/" for a file at the root. -1 when it does not
 * fit in out (size bytes). */
int diag_folder_of(const char *path, char *out, unsigned long size);

/* What to do when memory ran out (exit 70; README "Exit codes"): said
 * instead of the call's "Cannot allocate memory" beside advice about a
 * folder or a full disk, which was no cure (fix59, fix61). */
#define DIAG_OOM_TO_DO "free memory on this machine, or raise svcrecon's " \
    "memory limit (ulimit -v, a systemd unit's MemoryMax), then run again"

/* The more severe of two exit codes. The one order (README, SPEC §5):
 * 70 > 64 > 75 > 73 > 66 > 65 > 0; an unknown code counts as 70. */
int diag_worse(int a, int b);

/* n with thousands separators ("3,000"), as messages and reasons write
 * counts and lengths; buf is returned (cut short if size is too small). */
const char *diag_thousands(unsigned long long n, char *buf,
                           unsigned long size);

#endif
