/* allocfail.c -- allocation failures on demand, for the allocation sweep
 * (tests/faults/README.md). Linked only into build/tests/svcrecon-allocfail
 * (never into ./svcrecon), with -Wl,--wrap=malloc,--wrap=calloc,
 * --wrap=realloc: every allocation the program's own code makes comes
 * here, and SQLite's come here too, through sqlite3_config(
 * SQLITE_CONFIG_MALLOC) set before main() (SQLite's own test approach).
 * Libraries' internal allocations (libxlsxwriter, libc) are not counted.
 *
 *   SVCRECON_FAULT_MALLOC=N   the Nth counted allocation fails (0: none)
 *   SVCRECON_FAULT_MALLOC_MODE=sticky   ... and every one after it
 *   SVCRECON_FAULT_LOG=FILE   appends "fault N" and, at exit, "calls N"
 *   SVCRECON_FAULT_MALLOC_MIN=B   instead, every allocation of our own code
 *                             of B bytes or more fails (a deterministic
 *                             point where the index varies between runs:
 *                             the workbooks are closed on a thread). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);

static long fail_at, n_calls;
static size_t fail_min;          /* 0: off */
static int sticky;
static const char *log_path;

static void log_line(const char *what, long n)
{
    FILE *f = log_path ? fopen(log_path, "a") : NULL;
    if (f) {
        fprintf(f, "%s %ld\n", what, n);
        fclose(f);
    }
}

static int fails(void)
{
    long n = __atomic_add_fetch(&n_calls, 1, __ATOMIC_SEQ_CST);
    if (fail_at <= 0 || n < fail_at || (n > fail_at && !sticky))
        return 0;
    if (n == fail_at)
        log_line("fault", n);
    return 1;
}

static int too_big(size_t n)
{
    return fail_min > 0 && n >= fail_min;
}

void *__wrap_malloc(size_t n)
{
    return fails() || too_big(n) ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return fails() || (size && n <= (size_t)-1 / size && too_big(n * size))
               ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    return fails() || too_big(n) ? NULL : __real_realloc(p, n);
}

/* SQLite's allocator: the size in an 8-byte header, as its own
 * sqlite3MemMalloc does without malloc_usable_size. */
static void *m_malloc(int n)
{
    if (n <= 0 || fails())
        return NULL;
    sqlite3_int64 *p = __real_malloc((size_t)n + 8);
    if (!p)
        return NULL;
    p[0] = n;
    return p + 1;
}

static void m_free(void *p)
{
    if (p)
        free((sqlite3_int64 *)p - 1);
}

static int m_size(void *p)
{
    return p ? (int)((sqlite3_int64 *)p)[-1] : 0;
}

static void *m_realloc(void *p, int n)
{
    if (n <= 0 || fails())
        return NULL;
    sqlite3_int64 *q = __real_realloc((sqlite3_int64 *)p - 1, (size_t)n + 8);
    if (!q)
        return NULL;
    q[0] = n;
    return q + 1;
}

static int m_roundup(int n)
{
    return (n + 7) & ~7;
}

static int m_init(void *x)
{
    (void)x;
    return SQLITE_OK;
}

static void m_shutdown(void *x)
{
    (void)x;
}

__attribute__((constructor)) static void allocfail_init(void)
{
    static const sqlite3_mem_methods m = {m_malloc, m_free, m_realloc,
                                          m_size, m_roundup, m_init,
                                          m_shutdown, NULL};
    const char *v = getenv("SVCRECON_FAULT_MALLOC");
    const char *mode = getenv("SVCRECON_FAULT_MALLOC_MODE");
    fail_at = v ? atol(v) : 0;
    v = getenv("SVCRECON_FAULT_MALLOC_MIN");
    fail_min = v ? (size_t)atol(v) : 0;
    sticky = mode && strcmp(mode, "sticky") == 0;
    log_path = getenv("SVCRECON_FAULT_LOG");
    if (sqlite3_config(SQLITE_CONFIG_MALLOC, &m) != SQLITE_OK)
        abort();
}

__attribute__((destructor)) static void allocfail_fini(void)
{
    fail_at = 0;                  /* the log's own fopen must not fail */
    log_line("calls", n_calls);
}
