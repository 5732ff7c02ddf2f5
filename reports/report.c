/* report.c -- the three workbooks of SPEC §4: the rule context, each
 * workbook's lifecycle, progress on stderr.
 *
 * On the connection it is given, report_write_all() creates the rule
 * context (schemas/r010_context.sql, filled with bound parameters) and runs
 * the rules (schemas/r020… as sql_rules), inside one read transaction so
 * that all three workbooks see one snapshot. Each workbook is then written
 * by its module (rpt_unclosed.c, rpt_noncomp.c, rpt_audit.c) through the
 * shared sheet writer (sheet.c) into the run's own temporary folder in the
 * output folder, ".svcrecon-tmp-PID/NAME.xlsx", where libxlsxwriter also
 * keeps its temporary files (its tmpdir); it is renamed to NAME.xlsx only
 * when workbook_close() succeeded and the file read back whole
 * (sheet_book_close(), verify.c); on any failure the temporary file is
 * removed and the error is EX_CANTCREAT naming the path. A workbook already
 * renamed stays: it was verified. The folder and whatever is left in it
 * (a temporary file of libxlsxwriter's whose unlink failed) are removed at
 * the end of the report, and the folders of a killed run (the lock it held
 * on the folder's TMP_OWNER gone with it) at the next one.
 *
 * Byte-identical output: constant_memory mode (no shared-string table
 * whose order could vary), fixed document properties whose creation time
 * is the as-of date at 00:00 UTC computed from the day number (not the
 * clock, not mktime(), which depends on TZ), zip entries dated 1980-01-01
 * by libxlsxwriter itself, every listing ordered on a unique key, and no
 * setlocale() anywhere (libxlsxwriter prints numbers with printf).
 *
 * Workbooks are filled one after the other on this connection; the zip
 * compression of one (workbook_close) runs on a second thread while the
 * next one is filled, see "Overlap" below.
 *
 * Changes since the previous report (README): after the rules,
 * schemas/history_changes.sql compares them with the previous recorded
 * report (latest as-of before A), as TEMP tables the workbooks read; once
 * all three workbooks are in place, schemas/history_record.sql records this
 * report (replacing A's earlier record) in the same transaction, and the
 * transaction commits. See "Recording" below for why in that order. */
#include "reports/report.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>


#include "lib/clock.h"
#include "lib/db.h"
#include "lib/sha256.h"
#include "lib/testhook.h"
#include "lib/utf8.h"
#include "schemas/sql.h"
#include "reports/about.h"
#include "reports/lxw_mute.h"
#include "reports/lxw_tmp.h"
#include "reports/rpt_audit.h"
#include "reports/rpt_noncomp.h"
#include "reports/rpt_unclosed.h"
#include "reports/rules.h"
#include "reports/sheet.h"
#include "reports/statements.h"

/* The Makefile's build id ($(BUILD)/gen/build_id.c; README "Re-runs"). */
extern const char svc_build_id[];

static const char *const book_base[REPORT_N] = {
    "unclosed_calls", "non_compensable", "audit"};
static const char *const book_title[REPORT_N] = {
    "Unclosed calls", "Non-compensable service", "Audit"};

/* One workbook being written. */
struct book_job {
    int                       kind;       /* REPORT_UNCLOSED ... */
    const struct report_opts *o;
    char                      tmp[4200];  /* temporary name, in tmp_dir */
    const char               *tmp_dir;    /* the run's temporary folder */
    char                     *path;       /* final name: res->path[kind] */
    struct sheet_book         b;
    unsigned long             n_rows;     /* listing rows (audit: rejected) */
    unsigned long             n_rows2;    /* audit: registration exceptions */
    unsigned long             by_bucket[REPORT_MAX_BUCKETS]; /* unclosed:
                                           * its Summary's calls per bucket */
    unsigned long             n_files[2]; /* audit: of n_rows, the files
                                           * refused and unreadable */
    int                      *aside;      /* statements set aside (shared) */
};

/* ---- the output folder --------------------------------------------------- */

/* What to do, said with each problem below (the files a run imported
 * before its report failed are committed: the next run skips them). */
static const char OUT_TO_DO[] = "give --out a folder this user can create "
                                "and write in, then run again (the files "
                                "already imported are kept)";
/* The same for a full disk (README "Decisions": the failures a scheduler
 * meets say what to do, on their one line). */
static const char FULL_TO_DO[] = "free space on the output folder's disk, "
                                 "then run again (the files already "
                                 "imported are kept)";

/* mkdir -p: every missing component is created; an existing non-folder in
 * the way, or a folder we cannot write in, is EX_CANTCREAT. */
static int make_dirs(const char *dir, struct diag *d)
{
    char path[4096];
    size_t n = strlen(dir);
    struct stat st;

    if (n == 0 || n >= sizeof path)
        return diag_set(d, EX_CANTCREAT, dir, 0, "output folder name is "
                        "empty or too long; %s", OUT_TO_DO);
    memcpy(path, dir, n + 1);
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return diag_set(d, EX_CANTCREAT, dir, 0, "cannot create output "
                            "folder '%s': %s; %s", path, strerror(errno),
                            OUT_TO_DO);
        *p = c;
        if (c == '\0')
            break;
    }
    if (stat(dir, &st) != 0)
        return diag_set(d, EX_CANTCREAT, dir, 0, "cannot create output "
                        "folder: %s; %s", strerror(errno), OUT_TO_DO);
    if (!S_ISDIR(st.st_mode))
        return diag_set(d, EX_CANTCREAT, dir, 0, "cannot create output "
                        "folder: %s; %s", strerror(ENOTDIR), OUT_TO_DO);
    if (access(dir, W_OK | X_OK) != 0)
        return diag_set(d, EX_CANTCREAT, dir, 0, "cannot write in output "
                        "folder: %s; %s", strerror(errno), OUT_TO_DO);
    return 0;
}

static int join_path(char *out, size_t size, const char *dir,
                     const char *name)
{
    size_t n = strlen(dir);
    int len = snprintf(out, size, "%s%s%s", dir,
                       n && dir[n - 1] == '/' ? "" : "/", name);
    return len >= 0 && (size_t)len < size ? 0 : -1;
}

#define TMP_DIR_PREFIX ".svcrecon-tmp-"

/* The characters a dealer name of nothing but is blank (SPEC §4 "Dealer
 * names": the registration "with a non-blank name"), bound as :blanks in
 * q_dealer_names.sql: the README's Trimming, as etl/feed.c trims an
 * identifier (space, tab, CR, LF and its invisible[] list: U+00A0,
 * U+2007, U+200B-U+200D, U+202F, U+2060, U+3000, U+2000-U+200A, U+205F,
 * U+1680). A parameter, not a literal in the SQL file, so CR and the
 * invisible ones are written visibly, once. */
#define NAME_BLANKS " \t\r\n" "\xC2\xA0" "\xE2\x80\x87" "\xE2\x80\x8B" \
    "\xE2\x80\x8C" "\xE2\x80\x8D" "\xE2\x80\xAF" "\xE2\x81\xA0"        \
    "\xE3\x80\x80" "\xE2\x80\x80" "\xE2\x80\x81" "\xE2\x80\x82"        \
    "\xE2\x80\x83" "\xE2\x80\x84" "\xE2\x80\x85" "\xE2\x80\x86"        \
    "\xE2\x80\x88" "\xE2\x80\x89" "\xE2\x80\x8A" "\xE2\x81\x9F"        \
    "\xE1\x9A\x80"

/* Never through a symbolic link: a link in a folder's place (today's
 * statements published as a link to a share; a killed run's temporary
 * folder replaced by one) made opendir() follow it, and every file of
 * the folder it names, outside --out, was deleted (tests/e2e/t8500). The
 * folder is opened with O_NOFOLLOW and emptied through its descriptor
 * (unlinkat), so that no path swapped meanwhile leads elsewhere; a link
 * or a file there is removed itself. */
void report_sync_folder(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* Empties the folder open on fd (closed here). A subfolder, entered
 * through openat(O_NOFOLLOW) only, is emptied and removed as well, down
 * to `depth` levels: the run's temporary folder holds its statements'
 * folders (statements_write()), whose files are all the deeper ones. */
static void empty_folder_fd(int fd, int depth)
{
    DIR *dp = fdopendir(fd);
    if (!dp) {
        close(fd);
        return;
    }
    struct dirent *e;
    while ((e = readdir(dp)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (unlinkat(dirfd(dp), e->d_name, 0) == 0 || depth <= 0 ||
            (errno != EISDIR && errno != EPERM))
            continue;
        int sub = openat(dirfd(dp), e->d_name, O_RDONLY | O_DIRECTORY |
                         O_NOFOLLOW | O_CLOEXEC);
        if (sub >= 0) {
            empty_folder_fd(sub, depth - 1);
            unlinkat(dirfd(dp), e->d_name, AT_REMOVEDIR);
        }
    }
    closedir(dp);
}

void report_remove_folder(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        struct stat sb;
        if (lstat(dir, &sb) == 0 && !S_ISDIR(sb.st_mode))
            unlink(dir);
        else
            rmdir(dir);
        return;
    }
    empty_folder_fd(fd, 1);
    rmdir(dir);
}

bool report_orphan_pid(const char *digits, const char *path)
{
    char *end;
    long pid = strtol(digits, &end, 10);
    if (*end != '\0' || pid <= 0 || pid == (long)getpid())
        return false;
    if (kill((pid_t)pid, 0) != 0)
        return errno == ESRCH;
    /* Alive. Its maker started before it made the temporary, which it
     * changed last no earlier than that: a process that started after the
     * last change (2 s of margin for the clocks' grain) is another one. */
    struct stat st;
    double started;
    return path && lstat(path, &st) == 0 &&
           clock_process_started(pid, &started) &&
           started > (double)st.st_mtime + 2.0;
}

/* The run's temporary folder holds TMP_OWNER, on which the run holds an
 * fcntl write lock for as long as it writes there; the kernel drops the
 * lock when the run ends, killed or not. The PID in the folder's name
 * alone did not tell a killed run's folder from a live one's: a run
 * killed in a container is pid 1 there, and pid 1 is alive (and started
 * before the folder) on the host, so its folder was never removed; and a
 * live run in a container whose pid is free on the host had its folder
 * removed by a run there (fix78). The lock says it wherever the folder is
 * seen from, on one kernel. The file is made under TMP_OWNER_NEW, locked,
 * then renamed, so that it is never seen unlocked while its run lives. */
#define TMP_OWNER     "owner.lock"
#define TMP_OWNER_NEW "owner.lock.new"

/* Whether a process other than this one holds the lock on the TMP_OWNER
 * of the temporary folder path: 1 held, 0 free, -1 no TMP_OWNER there
 * (or it cannot be asked). */
static int owner_held(const char *path)
{
    char owner[4300];
    if (join_path(owner, sizeof owner, path, TMP_OWNER) != 0)
        return -1;
    int fd = open(owner, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    int got = fcntl(fd, F_GETLK, &fl);
    close(fd);
    return got != 0 ? -1 : fl.l_type != F_UNLCK;
}

/* A temporary folder ".svcrecon-tmp-PID" (or "PID-N", see make_tmp_dir)
 * left by a run that is gone: its TMP_OWNER there and locked by nobody;
 * without one (a folder of a version before fix78, or a file system
 * without locks), by its PID. */
static bool tmp_dir_stale(const char *path, const char *digits)
{
    char *end;
    long pid = strtol(digits, &end, 10);
    if (*end == '-' && end[1] >= '0' && end[1] <= '9')
        (void)strtol(end + 1, &end, 10);
    if (*end != '\0' || pid <= 0 || pid == (long)getpid())
        return false;           /* not ours to judge; our own: remade */
    int held = owner_held(path);
    if (held >= 0)
        return held == 0;
    return strchr(digits, '-') == NULL && report_orphan_pid(digits, path);
}

/* Removes what a killed run left (its process gone): its temporary folder
 * ".svcrecon-tmp-PID" and the ".NAME_DATE.xlsx.tmp-PID" files of earlier
 * versions. Failures are harmless. */
static void remove_stale_temps(const char *dir)
{
    DIR *dp = opendir(dir);
    struct dirent *e;
    if (!dp)
        return;
    while ((e = readdir(dp)) != NULL) {
        const char *mark = strstr(e->d_name, ".xlsx.tmp-");
        int ours = 0;
        char path[4200];
        size_t np = strlen(TMP_DIR_PREFIX);
        if (strncmp(e->d_name, TMP_DIR_PREFIX, np) == 0 &&
            join_path(path, sizeof path, dir, e->d_name) == 0 &&
            tmp_dir_stale(path, e->d_name + np))
            report_remove_folder(path);
        if (e->d_name[0] != '.' || !mark)
            continue;
        for (int k = 0; k < REPORT_N; k++) {
            size_t n = strlen(book_base[k]);
            if (strncmp(e->d_name + 1, book_base[k], n) == 0 &&
                e->d_name[1 + n] == '_')
                ours = 1;
        }
        if (ours && join_path(path, sizeof path, dir, e->d_name) == 0 &&
            report_orphan_pid(mark + 10, path))
            unlink(path);
    }
    closedir(dp);
}

/* ---- one workbook -------------------------------------------------------- */

static void on_progress(void *ctx, unsigned long n_rows)
{
    const struct book_job *j = ctx;
    /* The base name only: a long output path would wrap the line. The
     * rows are this workbook's listing rows (b.n_rows, zeroed per book). */
    const char *base = strrchr(j->path, '/');
    char line[400], shorter[80];
    snprintf(line, sizeof line, "  workbook %d of %d  %.300s  %lu rows",
             (int)j->kind + 1, REPORT_N, base ? base + 1 : j->path, n_rows);
    snprintf(shorter, sizeof shorter, "  workbook %d of %d  %lu rows",
             (int)j->kind + 1, REPORT_N, n_rows);
    lxw_mute_status(line, shorter);
}

static int book_open(struct book_job *j, struct diag *d)
{
    const struct report_opts *o = j->o;
    if (sheet_book_open(&j->b, j->tmp, j->tmp_dir, book_title[j->kind],
                        o->as_of, o->as_of_day, o->version) != 0 &&
        !j->b.wb)
        return diag_set(d, EX_SOFTWARE, j->path, 0, "cannot create: out "
                        "of memory");
    if (o->progress_bar) {
        j->b.progress = on_progress;
        j->b.progress_ctx = j;
    }
    return 0;
}

/* Closes the workbook (always: it frees it) and renames it into place when
 * everything succeeded; otherwise removes the temporary file. `failed` is
 * set when the writer already filled d. */
static int book_close(struct book_job *j, int failed, struct diag *d)
{
    char bad[300] = "";
    int rc = sheet_book_close(&j->b, j->tmp, bad, sizeof bad);
    if (j->o->progress_bar)
        lxw_mute_say("\r\033[K");
    if (failed) {
        unlink(j->tmp);
        return -1;
    }
    lxw_error err = j->b.err;
    if (err != LXW_NO_ERROR) {
        int e = j->b.err_errno;
        char why[256];
        unlink(j->tmp);
        /* Out of memory is no fault of the output folder: internal. */
        int code = e == ENOMEM || err == LXW_ERROR_MEMORY_MALLOC_FAILED
                       ? EX_SOFTWARE : EX_CANTCREAT;
        if (code == EX_SOFTWARE)
            return diag_set(d, code, NULL, 0, "out of memory writing %s%s%s; "
                            "%s", j->path, j->b.err_what ? " while " : "",
                            j->b.err_what ? j->b.err_what : "",
                            SHEET_OOM_TO_DO);
        return diag_set(d, code, j->path, 0, "cannot create%s%s: "
                        "%s%s%s%s%s", j->b.err_what ? " while " : "",
                        j->b.err_what ? j->b.err_what : "",
                        sheet_lxw_reason(err, e, why, sizeof why), e ? ": " : "",
                        e ? strerror(e) : "", code == EX_SOFTWARE ? "" : "; ",
                        code == EX_SOFTWARE ? "" :
                        e == ENOSPC || e == EDQUOT ? FULL_TO_DO :
                        e == EIO ? SHEET_EIO_TO_DO : OUT_TO_DO);
    }
    if (rc != 0) {
        /* libxlsxwriter said yes, but the file is not what was written:
         * its own writes failed unchecked (a full disk, most often). */
        unlink(j->tmp);
        return diag_set(d, EX_CANTCREAT, j->path, 0, "cannot create: %s; "
                        "the file was removed: %s%s", bad,
                        j->b.io_errno == EIO ? "" : "is the disk full? ",
                        j->b.io_errno == EIO ? SHEET_EIO_TO_DO : FULL_TO_DO);
    }
    /* The first workbook to go into place: the statements beside it (of
     * the data the workbooks replace) go aside first, so that no kill from
     * here on leaves them beside workbooks of other data. Workbooks are
     * closed on one thread (the closer's, or the main one without it). */
    if (j->aside && !*j->aside) {
        char aside[4400];
        *j->aside = 1;
        statements_set_aside(j->o, aside, sizeof aside);
    }
    if (rename(j->tmp, j->path) != 0) {
        int e = errno;
        unlink(j->tmp);
        return diag_set(d, EX_CANTCREAT, j->path, 0, "cannot rename '%s' "
                        "into place: %s%s", j->tmp, strerror(e),
                        e == EISDIR || e == ENOTEMPTY || e == EEXIST ?
                        " (the workbook's name is a folder there); move it "
                        "away, then run again (the files already imported "
                        "are kept)" : "");
    }
    report_sync_folder(j->o->out_dir);
    if (!j->o->quiet) {
        char shown[UTF8_PATH_SHOWN];     /* --out as given: one line */
        const char *path = utf8_show_path(j->path, shown, sizeof shown);
        /* The Rejected rows sheet lists a refused or unreadable file as
         * one line 0: the line said "1 rejected row" of a night whose
         * only problem was a refused file. Rows and files apart; the
         * files only when there are some (the words of a good night and
         * of the README's example stay). The summary's
         * reports.audit.rejected_rows stays the sheet's count of lines
         * (README). */
        if (j->kind == REPORT_AUDIT) {
            unsigned long files = j->n_files[0] + j->n_files[1],
                          rows = j->n_rows > files ? j->n_rows - files : 0;
            char refused[96] = "";      /* the final line's words (QA 51) */
            if (j->n_files[0] && j->n_files[1])
                snprintf(refused, sizeof refused, ", %lu file%s refused, "
                         "%lu unreadable", j->n_files[0],
                         j->n_files[0] == 1 ? "" : "s", j->n_files[1]);
            else if (files)
                snprintf(refused, sizeof refused, ", %lu file%s %s", files,
                         files == 1 ? "" : "s",
                         j->n_files[0] ? "refused" : "unreadable");
            lxw_mute_say("svcrecon: wrote %s (%lu rejected row%s%s, %lu "
                         "registration exception%s)\n", path, rows,
                         rows == 1 ? "" : "s", refused, j->n_rows2,
                         j->n_rows2 == 1 ? "" : "s");
        } else
            lxw_mute_say("svcrecon: wrote %s (%lu row%s)\n", path,
                         j->n_rows, j->n_rows == 1 ? "" : "s");
    }
    return 0;
}

/* ---- the three workbooks ------------------------------------------------- */

/* Overlap. Most of a report's time is the rules (one connection, one
 * thread: SQLite work cannot be shared between connections, and TEMP
 * tables are per connection, so a connection per workbook would run the
 * rules three times over). Of the rest, about half is workbook_close():
 * assembling the XML parts and deflating them into the zip. That part
 * touches only its own workbook, so it runs on one background thread
 * while the main thread fills the next workbook from the database; the
 * main thread alone uses SQLite. Only the closer thread calls
 * workbook_close(), whose gmtime() is not thread-safe. Jobs are closed in
 * order, so the "wrote" lines keep their order. Without the thread (it
 * could not be started) each workbook is closed where it was filled. */
struct run {
    struct db                *db;
    const struct report_opts *o;
    struct report_result     *res;
    struct book_job           job[REPORT_N];
    struct diag               job_diag[REPORT_N];
    int                       job_opened[REPORT_N];  /* workbook exists */
    int                       job_failed[REPORT_N];  /* fill failed, d set */
    int                       job_rc[REPORT_N];      /* close result */
    pthread_t                 closer;
    int                       has_closer;
    pthread_mutex_t           mu;
    pthread_cond_t            cv;
    int                       n_queued;   /* jobs handed to the closer */
    int                       n_closed;   /* jobs it has finished */
    int                       no_more;    /* the main thread is done */
    int                       aside;      /* statements_set_aside() done */
};

static void *closer_main(void *arg)
{
    struct run *r = arg;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (r->n_closed == r->n_queued && !r->no_more)
            pthread_cond_wait(&r->cv, &r->mu);
        if (r->n_closed == r->n_queued)
            break;
        int k = r->n_closed;
        pthread_mutex_unlock(&r->mu);
        r->job_rc[k] = !r->job_opened[k] ? -1 :
            book_close(&r->job[k], r->job_failed[k], &r->job_diag[k]);
        pthread_mutex_lock(&r->mu);
        r->n_closed++;
        pthread_cond_broadcast(&r->cv);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

static void close_job(struct run *r, int k)
{
    if (!r->has_closer) {
        r->job_rc[k] = !r->job_opened[k] ? -1 :
            book_close(&r->job[k], r->job_failed[k], &r->job_diag[k]);
        r->n_queued = r->n_closed = k + 1;
        return;
    }
    pthread_mutex_lock(&r->mu);
    r->n_queued = k + 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

/* Waits until the first n jobs are closed; 0 when all of them succeeded. */
static int wait_closed(struct run *r, int n)
{
    int rc = 0;
    if (r->has_closer) {
        pthread_mutex_lock(&r->mu);
        while (r->n_closed < n)
            pthread_cond_wait(&r->cv, &r->mu);
        pthread_mutex_unlock(&r->mu);
    }
    for (int k = 0; k < n; k++)
        if (r->job_rc[k] != 0)
            rc = -1;
    return rc;
}

/* True when a workbook already closed has failed: the run will fail, so
 * no later workbook is started. */
static int closed_failed(struct run *r)
{
    int failed = 0;
    if (r->has_closer)
        pthread_mutex_lock(&r->mu);
    for (int k = 0; k < r->n_closed; k++)
        if (r->job_rc[k] != 0)
            failed = 1;
    if (r->has_closer)
        pthread_mutex_unlock(&r->mu);
    return failed;
}

/* The Run sheet is written last: by then the other two workbooks are in
 * place (or the audit is abandoned with them). */
static int audit_others(void *ctx, struct rpt_audit_others *x)
{
    struct run *r = ctx;
    if (wait_closed(r, REPORT_AUDIT) != 0)
        return -1;
    x->n_unclosed = r->job[REPORT_UNCLOSED].n_rows;
    x->n_noncomp = r->job[REPORT_NONCOMP].n_rows;
    x->n_cut_unclosed = r->job[REPORT_UNCLOSED].b.n_cut;
    x->n_cut_noncomp = r->job[REPORT_NONCOMP].b.n_cut;
    return 0;
}

/* Fills workbook k on the main thread and hands it to the closer. -1 when
 * the fill failed: no later workbook is started. */
static int fill_book(struct run *r, int k)
{
    struct book_job *j = &r->job[k];
    struct diag *d = &r->job_diag[k];
    if (book_open(j, d) != 0) {
        close_job(r, k);                  /* nothing to close: in order */
        return -1;
    }
    r->job_opened[k] = 1;
    int rc = -1;
    if (j->b.err == LXW_NO_ERROR) {
        switch (k) {
        case REPORT_UNCLOSED:
            rc = rpt_unclosed_write(r->db, r->o, &r->res->changes, &j->b,
                                    &j->n_rows, j->by_bucket, d);
            break;
        case REPORT_NONCOMP:
            rc = rpt_noncomp_write(r->db, r->o, &r->res->changes, &j->b,
                                   &j->n_rows, d);
            break;
        default:
            rc = rpt_audit_write(r->db, r->o, &j->b, audit_others, r,
                                 &j->n_rows, &j->n_rows2,
                                 j->n_files, d);
        }
    }
    if (rc == 0) {                        /* SPEC §4: About ends each one */
        const char *slash = strrchr(j->path, '/');
        rc = about_write(r->db, &j->b, r->o, (enum about_book)k,
                         slash ? slash + 1 : j->path, NULL, NULL, d);
    }
    /* A failure with d filled is the database's; one without is the
     * workbook's, which book_close() turns into EX_CANTCREAT. The audit
     * abandoned for a failed sibling has neither: it is removed quietly. */
    r->job_failed[k] = rc != 0 && (d->exit_code != 0 ||
                                   j->b.err == LXW_NO_ERROR);
    close_job(r, k);
    return rc;
}

/* ---- changes since the previous report ----------------------------------- */

/* The previous report and the counts of each change (q_changes_counts.sql),
 * read once: both Summary sheets and the --summary JSON show them. */
static int read_changes(struct db *db, struct report_changes *ch,
                        struct diag *d)
{
    struct db_stmt *q;
    memset(ch, 0, sizeof *ch);
    if (db_prepare(db, sql_q_changes_counts, &q, d, "comparing with the "
                   "previous report") != 0)
        return -1;
    int rc = db_step(q, d, "comparing with the previous report");
    if (rc == DB_ROW) {
        ch->has_previous = db_column_type(q, 0) != DB_NULL;
        snprintf(ch->previous_as_of, sizeof ch->previous_as_of, "%s",
                 db_column_text(q, 0));
        unsigned long *n[] = {&ch->n_newly_unclosed, &ch->n_closed,
                              &ch->n_closed_by_closeout, &ch->n_cancelled,
                              &ch->n_closed_other, &ch->n_bucket_moved,
                              &ch->n_new_noncomp};
        for (int c = 0; c < (int)(sizeof n / sizeof n[0]); c++)
            *n[c] = (unsigned long)db_column_int64(q, c + 1);
    }
    db_finalize(q);
    if (rc != DB_ROW)
        return -1;
    return 0;
}

/* Recording. The report is recorded (schemas/history_record.sql) after its
 * three workbooks were renamed into place, in the transaction that read the
 * data they were written from, and that transaction commits last. So:
 *   - a report is in the history only if all its workbooks are complete
 *     and in place: a failed or killed run is never the "previous report"
 *     of a later one, whose Changes would then compare with workbooks that
 *     nobody could open;
 *   - the record holds exactly the keys the workbooks listed (same
 *     snapshot), and it replaces A's earlier record atomically;
 *   - a run killed between the renames and the commit leaves complete
 *     workbooks and no record; running it again writes the same bytes (the
 *     previous report of A is never A's own record) and records it.
 * The statements are prepared one by one from the file; each value comes
 * from the TEMP tables, except the wall clock :recorded_at (never shown in
 * a workbook, so the workbooks stay a function of the data). */
static int record_report(struct db *db, struct diag *d)
{
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    if (!gmtime_r(&t, &tm) ||
        strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(now, sizeof now, "unknown");
    return db_exec_bound_text(db, sql_history_record, ":recorded_at", now,
                              d, "recording the report");
}

static void log_changes(const struct report_opts *o,
                        const struct report_changes *ch)
{
    if (o->quiet)
        return;
    if (!ch->has_previous) {
        fprintf(stderr, "svcrecon: recorded the report as of %s; no earlier "
                "report to compare with\n", o->as_of);
        return;
    }
    fprintf(stderr, "svcrecon: recorded the report as of %s; since the "
            "report as of %s: %lu newly unclosed, %lu closed, %lu bucket "
            "moved, %lu new non-compensable\n", o->as_of, ch->previous_as_of,
            ch->n_newly_unclosed, ch->n_closed, ch->n_bucket_moved,
            ch->n_new_noncomp);
}

/* ---- the audit's night ---------------------------------------------------
 * SPEC §4 "The night of an audit workbook": the previous report and the
 * files delivered since (schemas/queries/history/q_night_ctx.sql,
 * q_night_files.sql), set up first in the report's transaction: the stamp,
 * the Changes sheet, the audit workbook and the summary's file list read
 * them. */

void report_result_free(struct report_result *res)
{
    for (size_t i = 0; i < res->n_night; i++) {
        struct report_file *f = &res->night[i];
        free(f->name);
        free(f->path);
        free(f->kind);
        free(f->sha256);
        free(f->status);
        free(f->reason);
    }
    free(res->night);
    res->night = NULL;
    res->n_night = 0;
    free(res->dealers);
    res->dealers = NULL;
    res->dealers_len = res->dealers_cap = 0;
}

static char *column_dup(struct db_stmt *q, int col)
{
    if (db_column_type(q, col) == DB_NULL)
        return NULL;
    const char *t = db_column_text(q, col);
    return strdup(t);
}

/* The night's files into res->night, for the --summary JSON. */
static int read_night(struct db *db, struct report_result *res, struct diag *d)
{
    struct db_stmt *q;
    int rc;
    if (db_prepare(db, sql_q_audit_files, &q, d, "reading the night's "
                   "files") != 0)
        return -1;
    while ((rc = db_step(q, d, "reading the night's files")) == DB_ROW) {
        struct report_file *more = realloc(res->night, (res->n_night + 1) *
                                           sizeof *more);
        if (!more) {
            db_finalize(q);
            return diag_set(d, EX_SOFTWARE, NULL, 0, "out of memory");
        }
        res->night = more;
        struct report_file *f = &res->night[res->n_night++];
        memset(f, 0, sizeof *f);
        f->name = column_dup(q, 0);
        f->kind = column_dup(q, 1);
        f->sha256 = column_dup(q, 2);
        f->rows_read = db_column_int64(q, 3);
        f->rows_loaded = db_column_int64(q, 4);
        f->rows_rejected = db_column_int64(q, 5);
        f->status = column_dup(q, 6);
        f->reason = column_dup(q, 7);
        f->bytes = db_column_int64(q, 8);
        f->path = column_dup(q, 9);
    }
    db_finalize(q);
    if (rc != DB_DONE)
        return -1;
    return 0;
}

static int set_up_night(struct db *db, const struct report_opts *o,
                        struct report_result *res, struct diag *d)
{
    struct db_stmt *q;
    if (db_prepare(db, sql_q_night_ctx, &q, d, "finding the night's "
                   "files") != 0)
        return -1;
    db_set_int64(q, ":as_of_day", o->as_of_day);
    int rc = db_step(q, d, "finding the night's files");
    db_finalize(q);
    if (rc != DB_DONE)
        return -1;
    if (db_exec(db, sql_q_night_files, d, "finding the night's files") != 0)
        return -1;
    return read_night(db, res, d);
}

/* ---- re-runs -------------------------------------------------------------
 * A re-run with nothing new (a scheduler's retry, the same night run twice)
 * leaves the workbooks as they are: when the stamp of what they are made
 * from (003_report_output.sql) equals the one recorded for A, and the three
 * files in the output folder still have the SHA-256 recorded when they
 * were written, they are exactly what this run would write. Anything else
 * (a new file imported, another --from or --buckets, a new previous
 * report, a workbook deleted or edited, another output folder) writes them
 * again. */

/* The stamps of the recorded reports the Trend reads, hashed in turn into
 * hex ("-" when there is none): a report recorded again for an earlier date
 * (after new data) changes the Trend of A while their count stays the same
 * (qa64, tests/e2e/t3060). */
static int trend_digest(struct db *db, const struct report_opts *o,
                        char hex[65], struct diag *d)
{
    struct db_stmt *q;
    if (db_prepare(db, sql_q_report_stamp_trend, &q, d, "reading the "
                   "report stamp") != 0)
        return -1;
    db_set_int64(q, ":as_of_day", o->as_of_day);
    snprintf(hex, 65, "-");
    int rc;
    while ((rc = db_step(q, d, "reading the report stamp")) == DB_ROW) {
        const char *s = db_column_text(q, 1);
        size_t n = (s ? strlen(s) : 0) + 100;
        char *buf = malloc(n);
        if (!buf) {
            db_finalize(q);
            return diag_set(d, EX_SOFTWARE, NULL, 0,
                            "out of memory reading the report stamp");
        }
        snprintf(buf, n, "%s\n%lld\n%s", hex,
                 (long long)db_column_int64(q, 0), s ? s : "");
        sha256_bytes(buf, strlen(buf), hex);
        free(buf);
    }
    db_finalize(q);
    return rc == DB_DONE ? 0 : -1;
}

static int make_stamp(struct db *db, const struct report_opts *o, char *stamp,
                      size_t size, struct diag *d)
{
    struct db_stmt *q;
    char buckets[128] = "", prev[80] = "-", trend[65];
    size_t used = 0;
    if (trend_digest(db, o, trend, d) != 0)
        return -1;
    for (int k = 0; k + 1 < o->n_buckets && used < sizeof buckets; k++)
        used += (size_t)snprintf(buckets + used, sizeof buckets - used,
                                 "%s%d", k ? "," : "", o->bucket_hi[k]);
    if (db_prepare(db, sql_q_report_stamp, &q, d, "reading the report "
                   "stamp") != 0)
        return -1;
    db_set_int64(q, ":as_of_day", o->as_of_day);
    int rc = db_step(q, d, "reading the report stamp");
    if (rc != DB_ROW) {
        db_finalize(q);
        return -1;
    }
    if (db_column_type(q, 2) != DB_NULL) {
        char hex[65];
        sha256_bytes(db_column_text(q, 3), strlen(db_column_text(q, 3)), hex);
        snprintf(prev, sizeof prev, "%lld %s",
                 (long long)db_column_int64(q, 2), hex);
    }
    /* The Run and About sheets name the database (and --schema): a
     * database moved to another path, or copied with `svcrecon copy`,
     * writes its workbooks again rather than keep ones naming the old.
     * The name as the cells show it: workbooks of a --schema written
     * before the cells named it are written again, once; without one
     * the stamp is as it was. */
    char where[8192], where_hex[65];
    snprintf(where, sizeof where, "%s\n%s",
             o->db_named ? o->db_named : o->db_path ? o->db_path : "",
             o->schema ? o->schema : "");
    sha256_bytes(where, strlen(where), where_hex);
    /* The build (svc_build_id, the Makefile's hash of the sources the
     * workbooks are written from) and libxlsxwriter's version: an upgrade
     * that writes other workbooks under the same version number writes
     * them again. The stamp stays in the database, never in a workbook. */
    snprintf(stamp, size, "svcrecon %s build %.16s xlsxwriter %s; "
             "schema %d; database %.16s; as-of %s; "
             "from %s; "
             "buckets %s; files %lld last %lld; previous %s; reports %lld; "
             "statements %s; night after %lld files %lld last %lld "
             "inbox notes %lld",
             o->version ? o->version : "?", svc_build_id, LXW_VERSION,
             DB_SCHEMA_VERSION, where_hex,
             o->as_of,
             o->has_from ? o->from : "-", buckets,
             (long long)db_column_int64(q, 0),
             (long long)db_column_int64(q, 1), prev,
             (long long)db_column_int64(q, 4),
             o->statements ? "yes" : "no",
             (long long)db_column_int64(q, 5),
             (long long)db_column_int64(q, 6),
             (long long)db_column_int64(q, 7),
             (long long)db_column_int64(q, 9));
    /* With no report before A, the Trend says whether A is the first
     * report of the database or an earlier night reported after later
     * ones (rpt_unclosed.c): a re-run after a later report is recorded
     * must write that, not keep the workbooks saying "the first". Other
     * stamps are as before. */
    if (db_column_int64(q, 4) == 0 && db_column_int64(q, 8) > 0) {
        size_t len = strlen(stamp);
        snprintf(stamp + len, size - len, "; later reports recorded");
    }
    if (db_column_int64(q, 4) > 0) {
        size_t len = strlen(stamp);
        snprintf(stamp + len, size - len, "; trend %s", trend);
    }
    db_finalize(q);
    return 0;
}

#define RESULT_FMT "unclosed %lu noncomp %lu rejected %lu regexc %lu " \
                   "cut %lu previous %10s newly %lu closed %lu " \
                   "by_closeout %lu cancelled %lu other %lu moved %lu " \
                   "new_noncomp %lu statements %lu %64s"

/* The statements' digest (statements_digest()) is kept with the counts:
 * "-" without --statements. Their list (report_result.dealers) follows
 * on the next lines, for the summary of an untouched re-run. */
static void format_result(const struct report_result *r, const char *digest,
                          char *out, size_t size)
{
    const struct report_changes *c = &r->changes;
    snprintf(out, size, RESULT_FMT, r->n_unclosed, r->n_noncomp,
             r->n_rejected, r->n_reg_exceptions, r->n_cut_cells,
             c->has_previous ? c->previous_as_of : "-", c->n_newly_unclosed,
             c->n_closed, c->n_closed_by_closeout, c->n_cancelled,
             c->n_closed_other, c->n_bucket_moved, c->n_new_noncomp,
             r->n_statements, digest);
}

/* *list (when not NULL): the statements' list after the counts (a copy,
 * the caller's to free), NULL in a record of a version before it. */
static bool parse_result(const char *s, struct report_result *r,
                         char digest[65], char **list)
{
    struct report_changes *c = &r->changes;
    char prev[11] = "";
    if (sscanf(s, RESULT_FMT, &r->n_unclosed, &r->n_noncomp, &r->n_rejected,
               &r->n_reg_exceptions, &r->n_cut_cells, prev,
               &c->n_newly_unclosed, &c->n_closed, &c->n_closed_by_closeout,
               &c->n_cancelled, &c->n_closed_other, &c->n_bucket_moved,
               &c->n_new_noncomp, &r->n_statements, digest) != 15)
        return false;
    c->has_previous = strcmp(prev, "-") != 0;
    snprintf(c->previous_as_of, sizeof c->previous_as_of, "%s",
             c->has_previous ? prev : "");
    const char *nl = strchr(s, '\n');
    if (list && nl && !(*list = strdup(nl + 1)))
        return false;
    return true;
}

/* Sets *fresh when the workbooks of this stamp are in place, unchanged
 * (then res is what was recorded with them). */
static int up_to_date(struct db *db, const struct report_opts *o,
                      const char *stamp, struct report_result *res,
                      bool *fresh, struct diag *d)
{
    struct db_stmt *q;
    *fresh = false;
    if (db_prepare(db, sql_q_report_output_get, &q, d, "reading the "
                   "recorded report") != 0)
        return -1;
    db_set_int64(q, ":as_of_day", o->as_of_day);
    int rc = db_step(q, d, "reading the recorded report");
    bool same = false;
    struct report_result rec = *res;
    char digest[65] = "", *list = NULL;
    if (rc == DB_ROW && strcmp(db_column_text(q, 0), stamp) == 0 &&
        parse_result(db_column_text(q, 1), &rec, digest, &list)) {
        same = true;
        for (int k = 0; k < REPORT_N && same; k++) {
            char hex[65];
            unsigned long long bytes;
            same = sha256_file(res->path[k], false, hex, &bytes) == 0 &&
                   strcmp(hex, db_column_text(q, 2 + k)) == 0;
        }
        /* --statements: the folder holds exactly what was written. */
        if (same && o->statements) {
            char hex[65];
            unsigned long n;
            same = statements_folder(o, rec.statements_dir,
                                     sizeof rec.statements_dir) == 0 &&
                   statements_digest(rec.statements_dir, hex, &n) == 0 &&
                   strcmp(hex, digest) == 0 && n == rec.n_statements &&
                   statements_count(list) == (long)n;
        }
    }
    db_finalize(q);
    /* The summary lists the statements: a record without their list (of
     * an earlier version) has them written again (README "Dealer
     * statements"). */
    if (same && o->statements) {
        rec.dealers = list;
        rec.dealers_len = rec.dealers_cap = list ? strlen(list) : 0;
        list = NULL;
    }
    free(list);
    if (rc < 0)
        return -1;
    if (same)
        *res = rec;
    *fresh = same;
    return 0;
}

/* The read-back of what is in place (its SHA-256, for the record) out of
 * memory: internal, 70, not 73 "give --out a folder ..." (fix61). The
 * workbooks stay in place, complete; the report is not recorded. */
static int read_back_oom(const char *path, struct diag *d)
{
    return diag_set(d, EX_SOFTWARE, path, 0, "out of memory reading it back "
                    "once in place (the workbooks are complete; the report "
                    "is not recorded, the files already imported are kept): "
                    "%s", DIAG_OOM_TO_DO);
}

static int record_output(struct db *db, const struct report_opts *o,
                         const char *stamp, const struct report_result *res,
                         struct diag *d)
{
    static const char *const sha_param[REPORT_N] = {
        ":sha_unclosed", ":sha_noncomp", ":sha_audit"};
    char counts[512], hex[REPORT_N][65], digest[65] = "-";
    struct db_stmt *q;
    for (int k = 0; k < REPORT_N; k++) {
        unsigned long long bytes;
        if (sha256_file(res->path[k], false, hex[k], &bytes) != 0)
            return errno == ENOMEM ? read_back_oom(res->path[k], d) :
                   diag_set(d, EX_CANTCREAT, res->path[k], 0, "cannot read "
                            "back the workbook just written: %s; %s",
                            strerror(errno), OUT_TO_DO);
    }
    unsigned long n;
    if (o->statements && statements_digest(res->statements_dir, digest,
                                           &n) != 0)
        return errno == ENOMEM ? read_back_oom(res->statements_dir, d) :
               diag_set(d, EX_CANTCREAT, res->statements_dir, 0, "cannot "
                        "read back the statements just written: %s; %s",
                        strerror(errno), OUT_TO_DO);
    format_result(res, digest, counts, sizeof counts);
    size_t listed = o->statements ? res->dealers_len : 0;
    char *result = malloc(strlen(counts) + listed + 2);
    if (!result)
        return diag_set(d, EX_SOFTWARE, NULL, 0, "recording the report "
                        "output: out of memory");
    size_t n_counts = strlen(counts);
    memcpy(result, counts, n_counts);
    if (listed) {
        result[n_counts++] = '\n';
        memcpy(result + n_counts, res->dealers, listed);
    }
    result[n_counts + listed] = '\0';
    if (db_prepare(db, sql_q_report_output_put, &q, d, "recording the "
                   "report output") != 0) {
        free(result);
        return -1;
    }
    db_set_int64(q, ":as_of_day", o->as_of_day);
    db_set_text(q, ":stamp", stamp, strlen(stamp));
    db_set_text(q, ":result", result, strlen(result));
    for (int k = 0; k < REPORT_N; k++)
        db_set_text(q, sha_param[k], hex[k], strlen(hex[k]));
    int rc = db_step(q, d, "recording the report output");
    db_finalize(q);
    free(result);
    if (rc != DB_DONE)
        return -1;
    return 0;
}

void report_book_name(int kind, const char *as_of, char *out, size_t size)
{
    snprintf(out, size, "%s_%s.xlsx", book_base[kind], as_of);
}

/* The workbooks' paths in --out must fit the system's PATH_MAX. */
static const char OUT_TOO_LONG[] = "output path too long: the workbooks' "
    "paths in it would exceed the system's 4,096 bytes; give --out a "
    "shorter path, then run again (the files already imported are kept)";

/* The final and temporary names of the three workbooks. */
static int set_paths(struct run *r, const char *tmp_dir, struct diag *d)
{
    const struct report_opts *o = r->o;
    for (int k = 0; k < REPORT_N; k++) {
        char name[128];
        struct book_job *j = &r->job[k];
        j->kind = k;
        j->o = o;
        j->path = r->res->path[k];
        j->tmp_dir = tmp_dir;
        j->aside = &r->aside;
        report_book_name(k, o->as_of, name, sizeof name);
        if (join_path(j->path, sizeof r->res->path[k], o->out_dir,
                      name) != 0 ||
            join_path(j->tmp, sizeof j->tmp, tmp_dir, name) != 0)
            return diag_set(d, EX_CANTCREAT, o->out_dir, 0, "%s",
                            OUT_TOO_LONG);
    }
    return 0;
}

/* The run's own temporary folder in the output folder (same file system:
 * the rename into place stays atomic), for our workbooks and
 * libxlsxwriter's files alike, so that everything temporary is removed
 * with it. A folder of this name left by an earlier process of the same
 * PID is emptied first. */
static int make_tmp_dir(const char *out_dir, char *tmp_dir, size_t size,
                        int *owner_fd, struct diag *d)
{
    char name[64], owner[4300], owner_new[4300];
    *owner_fd = -1;
    /* A folder of our PID whose TMP_OWNER another process locks is a live
     * run's of our PID in another PID namespace (a container sharing
     * --out): never emptied; ours is "PID-N" then. */
    for (int k = 0;; k++) {
        if (k == 0)
            snprintf(name, sizeof name, TMP_DIR_PREFIX "%ld",
                     (long)getpid());
        else
            snprintf(name, sizeof name, TMP_DIR_PREFIX "%ld-%d",
                     (long)getpid(), k);
        if (join_path(tmp_dir, size, out_dir, name) != 0)
            return diag_set(d, EX_CANTCREAT, out_dir, 0, "%s", OUT_TOO_LONG);
        if (owner_held(tmp_dir) != 1 || k == 99)
            break;
    }
    report_remove_folder(tmp_dir);
    if (mkdir(tmp_dir, 0700) != 0)
        return diag_set(d, EX_CANTCREAT, tmp_dir, 0, "cannot create the "
                        "temporary folder: %s", strerror(errno));
    /* Its owner lock (see TMP_OWNER). Not taken (a file system without
     * locks): the folder is judged by its PID, as before. */
    if (join_path(owner, sizeof owner, tmp_dir, TMP_OWNER) != 0 ||
        join_path(owner_new, sizeof owner_new, tmp_dir, TMP_OWNER_NEW) != 0)
        return 0;
    int fd = open(owner_new, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
                  O_CLOEXEC, 0600);
    if (fd < 0)
        return 0;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(fd, F_SETLK, &fl) != 0 || rename(owner_new, owner) != 0) {
        close(fd);
        unlink(owner_new);
        return 0;
    }
    *owner_fd = fd;
    return 0;
}

static int write_report(struct run *r, struct diag *d);

int report_write_all(struct db *db, const struct report_opts *o,
                     struct report_result *res, struct diag *d)
{
    struct report_opts opts = *o;
    struct run r = {.db = db, .o = &opts, .res = res};
    char tmp_dir[4200];

    memset(res, 0, sizeof *res);
    /* The Run sheet names the database; without a path from the command
     * line, the back end's name of it (SQLite's absolute path; a URI
     * without its password). */
    if (!opts.db_path)
        opts.db_path = db_display_name(db);
    /* ... and the schema, where it is not the default: two schemas of one
     * database gave workbooks an auditor could not tell apart (README
     * "PostgreSQL", decision). Without --schema, or with the default's
     * name, the cell is the database alone, as before. */
    char *named = db_named_with_schema(opts.db_path, opts.schema);
    if (!named)
        return diag_set(d, EX_SOFTWARE, NULL, 0, "writing the report: "
                        "out of memory");
    opts.db_named = named;
    int rc = -1;
    if (make_dirs(opts.out_dir, d) == 0) {
        remove_stale_temps(opts.out_dir);
        int owner_fd;
        if (make_tmp_dir(opts.out_dir, tmp_dir, sizeof tmp_dir, &owner_fd,
                         d) == 0) {
            opts.tmp_dir = tmp_dir;
            rc = set_paths(&r, tmp_dir, d) != 0 ? -1 : write_report(&r, d);
            lxw_tmp_close_orphans();  /* a failed workbook's, see lxw_tmp.h */
            report_remove_folder(tmp_dir);
            if (owner_fd >= 0)
                close(owner_fd);      /* its lock, after the folder went */
        }
    }
    free(named);
    return rc;
}

/* The report's transaction, and whether the workbooks in place are up to
 * date (*fresh: nothing is written, the transaction is ended).
 *
 * One transaction: the rules, the comparison with the previous report and
 * all three workbooks see the same snapshot, and the report is recorded in
 * it at the end (see "Recording"). IMMEDIATE: the write lock is taken now,
 * not at the end, so that another SQLite client holding the database fails
 * the report (75) before any workbook is written, never between the
 * renames and the record. svcrecon's own writers are already kept out by
 * the run lock; readers (`explain`) are never blocked in WAL mode. */
static int begin_report(struct run *r, char *stamp, size_t size, bool *fresh,
                        struct diag *d)
{
    struct db *db = r->db;
    const struct report_opts *o = r->o;
    *fresh = false;
    if (db_reading_memory(db, d) != 0 ||
        db_begin_write(db, d, "starting the report") != 0)
        return -1;
    if (set_up_night(db, o, r->res, d) != 0 ||
        make_stamp(db, o, stamp, size, d) != 0 ||
        up_to_date(db, o, stamp, r->res, fresh, d) != 0) {
        db_rollback(db);
        return -1;
    }
    test_pause("report", 10);    /* tests/e2e/t0210: a kill, a lost session */
    if (*fresh) {
        db_rollback(db);  /* nothing written */
        char shown[UTF8_PATH_SHOWN];
        if (!o->quiet)
            fprintf(stderr, "svcrecon: the workbooks as of %s in %s are up "
                    "to date (nothing new since they were written); left "
                    "as they are\n", o->as_of,
                    utf8_show_path(o->out_dir, shown, sizeof shown));
    }
    return 0;
}

/* The rules as of the report's date, and the listings, names, codes and
 * changes the workbooks read (TEMP tables and views of this connection). */
static int set_up_listings(struct run *r, struct diag *d)
{
    struct db *db = r->db;
    const struct report_opts *o = r->o;
    if (o->progress_bar) {
        char line[80];
        snprintf(line, sizeof line, "  reconciling as of %s ...", o->as_of);
        lxw_mute_status(line, "  reconciling ...");
    }
    struct rules_asof asof = {.as_of_day = o->as_of_day,
                              .has_from = o->has_from,
                              .from_day = o->from_day,
                              .n_buckets = o->n_buckets};
    memcpy(asof.as_of, o->as_of, sizeof asof.as_of);
    memcpy(asof.bucket_hi, o->bucket_hi, sizeof asof.bucket_hi);
    int rc = rules_setup(db, &asof, d);
    if (rc == 0)
        rc = db_exec(db, sql_report_tables, d, "listing the "
                     "unclosed calls and non-compensable service");
    if (rc == 0)
        rc = db_exec_bound_text(db, sql_q_dealer_names, ":blanks",
                                NAME_BLANKS, d, "reading dealer names");
    if (rc == 0)
        rc = db_exec(db, sql_q_code_meanings, d, "stating the codes");
    if (rc == 0)
        rc = db_exec(db, sql_history_changes, d, "comparing with the "
                     "previous report");
    if (rc == 0)
        rc = db_exec(db, sql_q_listing_views, d, "stating the listings");
    if (rc == 0)
        rc = read_changes(db, &r->res->changes, d);
    if (o->progress_bar)
        fputs("\r\033[K", stderr);
    return rc;
}

/* The three workbooks, filled in order on this thread and closed on the
 * closer thread (see "Overlap"); returns how many were started. */
static int write_books(struct run *r)
{
    int n_started = 0;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    r->has_closer = pthread_create(&r->closer, NULL, closer_main, r) == 0;
    while (n_started < REPORT_N && !closed_failed(r))
        if (fill_book(r, n_started++) != 0)
            break;
    if (r->has_closer) {
        pthread_mutex_lock(&r->mu);
        r->no_more = 1;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->closer, NULL);
    }
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    return n_started;
}

/* What became of the workbooks: the first failure in workbook order is the
 * one reported (a fill error, of the database or the workbook, outranks a
 * close error of the same workbook; both cannot happen), else the counts. */
static int book_results(struct run *r, int n_started, struct diag *d)
{
    struct report_result *res = r->res;
    int rc = 0;
    for (int k = 0; k < n_started && rc == 0; k++) {
        if (r->job_rc[k] != 0) {
            *d = r->job_diag[k];
            rc = -1;
        }
        res->n_cut_cells += r->job[k].b.n_cut;
    }
    /* The workbooks renamed into place, whatever became of the others
     * (the closer goes on closing the jobs already queued): the summary
     * names them, and their counts, when another one failed (fix61). */
    for (int k = 0; k < n_started; k++)
        res->book_in_place[k] = r->job_opened[k] && r->job_rc[k] == 0;
    /* Its buckets too, as its Summary sheet gives them: counted from the
     * recorded report only at the end, they were "by_bucket": [] ("no
     * call") of a workbook in place listing calls (fix70). */
    if (res->book_in_place[REPORT_UNCLOSED]) {
        res->n_unclosed = r->job[REPORT_UNCLOSED].n_rows;
        memcpy(res->by_bucket, r->job[REPORT_UNCLOSED].by_bucket,
               sizeof res->by_bucket);
        res->has_buckets = true;
    }
    if (res->book_in_place[REPORT_NONCOMP])
        res->n_noncomp = r->job[REPORT_NONCOMP].n_rows;
    if (res->book_in_place[REPORT_AUDIT]) {
        res->n_rejected = r->job[REPORT_AUDIT].n_rows;
        res->n_reg_exceptions = r->job[REPORT_AUDIT].n_rows2;
    }
    if (rc != 0)
        return -1;
    if (n_started != REPORT_N)               /* cannot happen: no failure */
        return diag_set(d, EX_SOFTWARE, NULL, 0, "report ended early");
    return 0;
}

/* Why OUT/statements_A is not the folder of these workbooks, from the
 * stamp recorded for A (NULL: none) and the one the folder would need
 * (want, "statements yes"). The stamp's first part is svcrecon's version,
 * build id and libxlsxwriter's version; the rest, the data and options. A
 * rebuilt svcrecon was told "written from other data" -- the data was the
 * same (qa71). The statements word is left out of the comparison: a
 * folder kept by a report without --statements is recorded "statements
 * no". */
static const char *stale_cause(const char *recorded, const char *want)
{
    static const char other_data[] = "written from other data than these "
                                     "workbooks";
    const char *r = recorded ? strstr(recorded, "; ") : NULL;
    const char *w = strstr(want, "; ");
    if (!r || !w)
        return other_data;
    bool build = r - recorded != w - want ||
                 memcmp(recorded, want, (size_t)(r - recorded)) != 0;
    static const char no[] = "; statements no; ", yes[] = "; statements yes; ";
    const char *rs = strstr(r, no), *ws = strstr(w, yes);
    bool data;
    if (rs && ws)
        data = rs - r != ws - w || memcmp(r, w, (size_t)(rs - r)) != 0 ||
               strcmp(rs + sizeof no - 1, ws + sizeof yes - 1) != 0;
    else
        data = strcmp(r, w) != 0;
    if (build && data)
        return "written by another build of svcrecon, and from other data "
               "than these workbooks";
    if (build)
        return "written by another build of svcrecon, from the same data "
               "as these workbooks";
    if (data)
        return other_data;
    return "changed since they were recorded with these workbooks";
}

/* Without --statements, OUT/statements_A that an earlier report of A
 * wrote stays only when it is the folder recorded with these very
 * workbooks: the record of A is this stamp but for "statements yes", with
 * the same workbook bytes and the folder's digest. Otherwise its
 * statements were written from other data than the workbooks now beside
 * it -- a dealer told to close out a call it has closed since -- and look
 * as current as they: the folder is removed (never entered through a
 * link: report_remove_folder()) and the run says so. One that cannot be
 * removed fails the report (73) rather than stay (tests/e2e/t8700). */
static int drop_stale_statements(struct db *db, const struct report_opts *o,
                                 const char *stamp,
                                 const struct report_result *res,
                                 struct diag *d)
{
    static const char no[] = "; statements no; ";
    char folder[4096], aside[4400], want[1100];
    struct stat sb;
    statements_remove_stale(o->out_dir);
    if (statements_folder(o, folder, sizeof folder) != 0)
        return 0;
    /* Set aside before the workbooks went into place, as a rule. */
    const char *where = aside;
    statements_set_aside(o, aside, sizeof aside);
    if (lstat(aside, &sb) != 0) {
        where = folder;
        if (lstat(folder, &sb) != 0)
            return 0;
    }
    const char *at = strstr(stamp, no);
    bool keep = false;
    const char *cause = stale_cause(NULL, stamp);
    if (at && S_ISDIR(sb.st_mode)) {
        snprintf(want, sizeof want, "%.*s; statements yes; %s",
                 (int)(at - stamp), stamp, at + sizeof no - 1);
        struct db_stmt *q;
        if (db_prepare(db, sql_q_report_output_get, &q, d, "reading the "
                       "recorded report") != 0)
            return -1;
        db_set_int64(q, ":as_of_day", o->as_of_day);
        int rc = db_step(q, d, "reading the recorded report");
        struct report_result rec = *res;
        char digest[65] = "", hex[65];
        if (rc == DB_ROW)
            cause = stale_cause(db_column_text(q, 0), want);
        if (rc == DB_ROW && strcmp(db_column_text(q, 0), want) == 0 &&
            parse_result(db_column_text(q, 1), &rec, digest, NULL)) {
            keep = true;
            for (int k = 0; k < REPORT_N && keep; k++) {
                unsigned long long bytes;
                keep = sha256_file(res->path[k], false, hex, &bytes) == 0 &&
                       strcmp(hex, db_column_text(q, 2 + k)) == 0;
            }
            unsigned long n;
            keep = keep && statements_digest(where, hex, &n) == 0 &&
                   strcmp(hex, digest) == 0 && n == rec.n_statements;
        }
        db_finalize(q);
        if (rc < 0)
            return -1;
    }
    if (keep && where == aside && rename(aside, folder) != 0) {
        int e = errno;
        statements_aside_rescue(o, aside, sizeof aside);
        return diag_set(d, EX_CANTCREAT, folder, 0, "cannot put the dealer "
                        "statements back in place from '%s': %s; move that "
                        "folder back by hand, or run with --statements to "
                        "write them again", aside, strerror(e));
    }
    if (keep)
        return 0;
    report_remove_folder(where);
    if (lstat(where, &sb) == 0)
        return diag_set(d, EX_CANTCREAT, where, 0, "cannot remove the "
                        "dealer statements (%s); remove the folder, or run "
                        "with --statements to write them again", cause);
    char shown[UTF8_PATH_SHOWN];
    if (!o->quiet)
        fprintf(stderr, "svcrecon: removed %s: its statements were %s "
                "(run with --statements to write them again)\n",
                utf8_show_path(folder, shown, sizeof shown), cause);
    return 0;
}

/* The listed unclosed calls per aging bucket (report.h). In the report's
 * transaction they are counted before the COMMIT, so they are known when
 * the COMMIT fails too (fix57). */
int report_count_buckets(struct db *db, const struct report_opts *o,
                         struct report_result *res, struct diag *d)
{
    struct db_stmt *q;
    if (db_prepare(db, sql_q_summary_buckets, &q, d, "counting the unclosed "
                   "calls by bucket") != 0)
        return -1;
    db_set_int64(q, ":as_of_day", o->as_of_day);
    int rc;
    while ((rc = db_step(q, d, "counting the unclosed calls by bucket")) ==
           DB_ROW) {
        int k = (int)db_column_int64(q, 0) - 1;
        if (k >= 0 && k < o->n_buckets && k < REPORT_MAX_BUCKETS)
            res->by_bucket[k] = (unsigned long)db_column_int64(q, 1);
    }
    db_finalize(q);
    if (rc != DB_DONE)
        return -1;
    res->has_buckets = true;
    return 0;
}

/* The three workbooks are in place: the dealer statements (SPEC §4, from
 * the same snapshot; without them, a folder of earlier data removed), the
 * record of the report (see "Recording"), then the commit. */
static int finish_report(struct run *r, const char *stamp, struct diag *d)
{
    struct db *db = r->db;
    const struct report_opts *o = r->o;
    struct report_result *res = r->res;
    int rc = 0;
    if (o->statements)
        rc = statements_write(db, o, res, d);
    else
        rc = drop_stale_statements(db, o, stamp, res, d);
    res->in_place = rc == 0;
    if (rc == 0 && (record_report(db, d) != 0 ||
                    record_output(db, o, stamp, res, d) != 0 ||
                    report_count_buckets(db, o, res, d) != 0))
        rc = -1;
    if (rc == 0 && db_commit(db, d, "ending the report") != 0)
        rc = -1;
    if (rc != 0)
        db_rollback(db);
    else
        log_changes(o, &res->changes);
    return rc;
}

/* The report proper: the up-to-date check, the rules, the workbooks, the
 * record. */
static int write_report(struct run *r, struct diag *d)
{
    char stamp[1024];
    bool fresh;
    if (begin_report(r, stamp, sizeof stamp, &fresh, d) != 0)
        return -1;
    if (fresh)
        return 0;
    if (set_up_listings(r, d) != 0) {
        db_rollback(r->db);
        return -1;
    }
    int n_started = write_books(r);
    if (book_results(r, n_started, d) != 0) {
        db_rollback(r->db);
        return -1;
    }
    return finish_report(r, stamp, d);
}
