/* cli.c -- svcrecon's command line (SPEC §5): argv to a command and its
 * options, usage errors (64), --help and --version. The commands themselves
 * are in batch.c and explain.c; the exit code is theirs. */
#include "app/cli.h"

#include <csv.h>
#include <errno.h>
#include <ctype.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "app/batch.h"
#include "app/copy.h"
#include "app/run_summary.h"
#include "app/summary_path.h"
#include "etl/feed.h"
#include "lib/db.h"
#include "lib/diag.h"
#include "reports/explain.h"
#include "reports/report.h"
#include "reports/statements.h"
#include "lib/parse.h"
#include "lib/utf8.h"

#define STR2(x) #x
#define STR(x) STR2(x)
#define LIBCSV_VERSION STR(CSV_MAJOR) "." STR(CSV_MINOR) "." STR(CSV_RELEASE)

static const char usage_text[] =
    "usage: svcrecon import --db DB [--schema NAME] --kind KIND\n"
    "                       [--summary FILE] [--quiet] FILE...\n"
    "       svcrecon report --db DB [--schema NAME] --out DIR [--as-of DATE]\n"
    "                       [--from DATE] [--buckets N,N,...] [--statements]\n"
    "                       [--summary FILE] [--quiet]\n"
    "       svcrecon run --db DB [--schema NAME] --inbox DIR --out DIR\n"
    "                    [--as-of DATE] [--from DATE] [--buckets N,N,...]\n"
    "                    [--statements] [--summary FILE] [--quiet]\n"
    "       svcrecon explain --db DB [--schema NAME] [--as-of DATE]\n"
    "                        [--buckets N,N,...] [--json]\n"
    "                        DISPATCH_ID | --source FILE:LINE\n"
    "       svcrecon copy --from DB --to DB [--from-schema NAME]\n"
    "                     [--to-schema NAME] [--summary FILE] [--quiet]\n"
    "       svcrecon --help | --version\n";

static const char help_text[] =
    "\n"
    "Reconcile CITS dispatches, dealer closeouts (Section 2 of the Service\n"
    "Dispatch Form) and ASCR registrations; write the unclosed-calls,\n"
    "non-compensable and audit workbooks.\n"
    "\n"
    "commands:\n"
    "  import           load feed files of one kind into the database\n"
    "  report           write the three workbooks as of a date\n"
    "  run              import every new file of an inbox, then report\n"
    "  explain          the story of one call (or of the row at FILE:LINE)\n"
    "                   as of a date, each fact with its source file and\n"
    "                   line; reads the database, takes no lock\n"
    "  copy             copy every row of a database (--from) into a new or\n"
    "                   empty one (--to), e.g. SQLite to PostgreSQL, in one\n"
    "                   transaction; ids, files, lines and history kept\n"
    "\n"
    "options:\n"
    "  --db DB          SQLite database file, or PostgreSQL URI\n"
    "                   (postgresql://USER@HOST/DATABASE); import and run\n"
    "                   create it, report and explain need an existing one\n"
    "  --schema NAME    PostgreSQL schema to use (default svcrecon)\n"
    "  --from DB, --to DB\n"
    "                   copy: the database read (must be at this svcrecon's\n"
    "                   schema version) and the one written (must hold no\n"
    "                   svcrecon data; created when missing)\n"
    "  --from-schema NAME, --to-schema NAME\n"
    "                   copy: their PostgreSQL schemas (default svcrecon)\n"
    "  --kind KIND      registrations, dispatches or closeouts (import)\n"
    "  --inbox DIR      folder of feed files named registrations*.csv,\n"
    "                   dispatches*.csv, closeouts*.csv, any case (run)\n"
    "  --out DIR        folder for the workbooks (created if missing)\n"
    "  --as-of DATE     reconcile as of DATE (YYYY-MM-DD or MM/DD/YYYY;\n"
    "                   default today, local time; explain: the as-of\n"
    "                   of the latest recorded report, today when none)\n"
    "  --from DATE      list non-compensable closeouts submitted, and\n"
    "                   registration exceptions of dispatches dated, on or\n"
    "                   after DATE\n"
    "  --buckets LIST   aging bucket upper bounds in days, increasing, at\n"
    "                   most 11, each at most 100000 (default 7,14,30,60,90:\n"
    "                   0-7, 8-14, 15-30, 31-60, 61-90, 91+)\n"
    "  --statements     also write a statement per dealer with an unclosed\n"
    "                   call or a non-compensable closeout:\n"
    "                   DIR/statements_DATE/DEALER.xlsx (report, run)\n"
    "  --summary FILE   write a JSON summary of the run to FILE\n"
    "  --source FILE:LINE\n"
    "                   explain: the row of an imported FILE (base name, or\n"
    "                   path as imported) starting at LINE; 0 = the file\n"
    "  --json           explain: one JSON document instead of text\n"
    "  --quiet          for cron: nothing on stderr on a good night, one\n"
    "                   line per problem otherwise\n"
    "  --help           this text\n"
    "  --version        version of svcrecon and its libraries\n"
    "\n"
    "exit status: 0 done; 64 usage; 65 a file was refused (explain: not\n"
    "found; copy: the source is not at this schema version); 66 an input\n"
    "cannot be opened; 70 internal error; 73 an output cannot be created\n"
    "(copy: the target holds data); 75 the database is held by another run\n"
    "or its server cannot take the run now (try later).\n";

static char last_usage[1024];     /* the last usage error, for --summary */

/* last_usage on stderr, one line: it quotes arguments (and TZ) as given,
 * and a newline or an escape in them broke the line in two or reached
 * the terminal (tests/e2e/t9900); the summary's "error" keeps the text. */
static void say_usage(void)
{
    char shown[4 * sizeof last_usage];
    fprintf(stderr, "svcrecon: %s\n",
            utf8_show_path(last_usage, shown, sizeof shown));
}

static int usage_error(const char *fmt, const char *arg)
{
    snprintf(last_usage, sizeof last_usage, fmt, arg);
    say_usage();
    fputs(usage_text, stderr);
    return EX_USAGE;
}

/* SPEC §5: --db is a SQLite path or a PostgreSQL URI, which may hold a
 * password: the URI as given goes only to db_open; everything that shows
 * the database (messages, the summary, the workbooks) gets the name
 * without the password, made as soon as --db is parsed. */
static const char SCHEMA_NOT_SQLITE[] =
    "--schema names a PostgreSQL schema; --db is a SQLite file, which has "
    "none";

static const char *db_shown(const char *arg)
{
    static char shown[1024];
    db_shown_name(arg, shown, sizeof shown);
    return shown;
}

static void print_version(void)
{
    printf("svcrecon %s (%s, libxlsxwriter %s, libcsv %s)\n",
           SVCRECON_VERSION, db_library_versions(), LXW_VERSION,
           LIBCSV_VERSION);
}

/* --help and --version end here: their text is the command's output, so a
 * write that failed (`svcrecon --version > version.txt` on a full disk,
 * stdout a file on a read-only mount) is said and is 73, as explain's
 * output is -- never exit 0 over an empty or cut file (tests/e2e/t8800).
 * A reader gone (`--help | head -1`) still ends quietly: SIGPIPE keeps its
 * default until a command runs. */
int cli_std_closed;

/* A stdout closed by the caller (`>&-`) is /dev/null here (main.c): the
 * output would be lost with exit 0 (tests/e2e/t9900). */
static int stdout_closed(void)
{
    if (!(cli_std_closed & 1 << STDOUT_FILENO))
        return 0;
    fprintf(stderr, "svcrecon: standard output: it was closed when svcrecon "
            "started, and the output would be lost; run it with standard "
            "output open (a file or a pipe)\n");
    return EX_CANTCREAT;
}

static int stdout_done(void)
{
    if (stdout_closed())
        return EX_CANTCREAT;
    if (fflush(stdout) == 0 && !ferror(stdout))
        return 0;
    int e = errno;
    fprintf(stderr, "svcrecon: standard output: write error: %s\n",
            strerror(e));
    return EX_CANTCREAT;
}

static bool set_date(const char *arg, char iso[11], int32_t *day)
{
    struct parse_when w;
    /* Before 1900 a workbook's as-of cell would read 1900-01-00. */
    if (!parse_date(arg, strlen(arg), &w) || w.year < PARSE_FIRST_EXCEL_YEAR)
        return false;
    parse_format_date(&w, iso);
    *day = w.day_number;
    return true;
}

/* SPEC §3's default aging buckets: 0-7, 8-14, 15-30, 31-60, 61-90, 91+. */
static void default_buckets(struct report_opts *r)
{
    static const int hi[] = REPORT_DEFAULT_BUCKET_HI;
    r->n_buckets = (int)(sizeof hi / sizeof *hi) + 1;
    memcpy(r->bucket_hi, hi, sizeof hi);
}

/* "7,14,30,60,90": strictly increasing whole days, at most
 * BUCKET_MAX_DAYS, at most REPORT_MAX_BUCKETS - 1 bounds; else false, and
 * why says which (for the usage message). */
#define BUCKET_MAX_DAYS 100000
static bool set_buckets(const char *arg, struct report_opts *r, char *why,
                        size_t size)
{
    int n = 0, prev = -1;
    const char *p = arg;
    snprintf(why, size, "increasing whole days, e.g. 7,14,30,60,90");
    while (*p) {
        char *end;
        if (*p < '0' || *p > '9')
            return false;
        if (n == REPORT_MAX_BUCKETS - 1) {
            snprintf(why, size, "at most %d bounds", REPORT_MAX_BUCKETS - 1);
            return false;
        }
        long v = strtol(p, &end, 10);
        if (end == p || v <= prev)
            return false;
        if (v > BUCKET_MAX_DAYS) {
            snprintf(why, size, "at most %d days", BUCKET_MAX_DAYS);
            return false;
        }
        r->bucket_hi[n++] = (int)v;
        prev = (int)v;
        if (*end == ',' && end[1])
            p = end + 1;
        else if (*end == '\0')
            p = end;
        else
            return false;
    }
    if (n == 0)
        return false;
    r->n_buckets = n + 1;           /* the last bucket is open: "91+" */
    return true;
}

static void today(char iso[11], int32_t *day)
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    struct parse_when w = {.year = tm.tm_year + 1900, .month = tm.tm_mon + 1,
                           .day = tm.tm_mday};
    parse_format_date(&w, iso);
    *day = parse_days_from_civil(w.year, w.month, w.day);
}

/* ---- TZ: does it name a time zone? --------------------------------------
 * A POSIX TZ string (std offset[dst[offset][,start[/time],end[/time]]]):
 * the C library reads what it can of one and, where it breaks off, takes
 * UTC for the rest without a word -- "ABC+" (no hours) is UTC, "ABC5x" is
 * UTC, "EST5EDT,M3" drops its rule, "ABC+99" is clamped to 24 hours. So
 * the whole string is read here as POSIX writes it; on failure *want says
 * what was expected and the return value is where (else NULL). */
struct tz_scan {
    const char *p;
    const char *want;
};

static bool tz_number(struct tz_scan *z, int digits_max, int lo, int hi,
                      const char *want)
{
    const char *start = z->p;
    int v = 0, n = 0;
    while (n < digits_max && isdigit((unsigned char)*z->p)) {
        v = v * 10 + (*z->p++ - '0');
        n++;
    }
    if (n == 0 || v < lo || v > hi || isdigit((unsigned char)*z->p)) {
        z->p = start;
        z->want = want;
        return false;
    }
    return true;
}

/* [+-]hh[:mm[:ss]], hh of at most digits digits, at most max_hours. */
static bool tz_offset(struct tz_scan *z, int digits, int max_hours,
                      const char *want)
{
    if (*z->p == '+' || *z->p == '-')
        z->p++;
    if (!tz_number(z, digits, 0, max_hours, want))
        return false;
    for (int k = 0; k < 2 && *z->p == ':'; k++) {
        z->p++;
        if (!tz_number(z, 2, 0, 59, k ? "seconds (00 to 59)" :
                       "minutes (00 to 59)"))
            return false;
    }
    return true;
}

/* A zone abbreviation: 3 or more letters, or <...> of 3 or more letters,
 * digits, '+' and '-'. */
static bool tz_abbrev(struct tz_scan *z)
{
    const char *s = z->p;
    if (*s == '<') {
        const char *q = s + 1;
        while (isalnum((unsigned char)*q) || *q == '+' || *q == '-')
            q++;
        if (*q != '>' || q - s - 1 < 3) {
            z->want = "a name of 3 or more letters, digits, + or - "
                      "between < and >";
            return false;
        }
        z->p = q + 1;
        return true;
    }
    while (isalpha((unsigned char)*s))
        s++;
    if (s - z->p < 3) {
        z->want = "a zone abbreviation of 3 or more letters";
        return false;
    }
    z->p = s;
    return true;
}

/* Jn (1-365), n (0-365) or Mm.w.d, then /time. */
static bool tz_rule(struct tz_scan *z)
{
    static const char want[] = "a rule date (Mm.w.d, Jn or n)";
    if (*z->p == 'J') {
        z->p++;
        if (!tz_number(z, 3, 1, 365, want))
            return false;
    } else if (*z->p == 'M') {
        z->p++;
        if (!tz_number(z, 2, 1, 12, "a month (1 to 12) after M"))
            return false;
        if (*z->p != '.') {
            z->want = "'.' and a week (1 to 5) after the month";
            return false;
        }
        z->p++;
        if (!tz_number(z, 1, 1, 5, "a week (1 to 5) after the month"))
            return false;
        if (*z->p != '.') {
            z->want = "'.' and a day (0 to 6) after the week";
            return false;
        }
        z->p++;
        if (!tz_number(z, 1, 0, 6, "a day (0 to 6) after the week"))
            return false;
    } else if (!tz_number(z, 3, 0, 365, want)) {
        return false;
    }
    if (*z->p == '/') {
        z->p++;
        return tz_offset(z, 3, 167, "a time of day (hours, -167 to 167)");
    }
    return true;
}

static const char *tz_posix_bad(const char *tz, const char **want)
{
    struct tz_scan z = {.p = tz, .want = NULL};
    bool ok = tz_abbrev(&z) &&
              tz_offset(&z, 2, 24, "an offset from UTC (hours, 0 to 24)");
    if (ok && *z.p == ',') {
        ok = false;
        z.want = "a summer time abbreviation before the rules";
    } else if (ok && *z.p) {
        ok = tz_abbrev(&z);
        if (ok && *z.p && *z.p != ',')
            ok = tz_offset(&z, 2, 24, "the summer time's offset from UTC "
                           "(hours, 0 to 24)");
        if (ok && *z.p == ',') {
            z.p++;
            ok = tz_rule(&z);
            if (ok && *z.p != ',') {
                ok = false;
                z.want = "',' and the rule ending summer time";
            } else if (ok) {
                z.p++;
                ok = tz_rule(&z);
            }
        }
    }
    if (ok && *z.p) {
        ok = false;
        z.want = "nothing more";
    }
    *want = z.want;
    return ok ? NULL : z.p;
}

/* A TZ that names no time zone ("Asia/Tokio", a zone of a tzdata package
 * not installed, a POSIX string the C library reads only in part) is
 * taken by the C library for UTC, silently: a night run at 02:00 in
 * Tokyo would then report as of the day before, with exit 0 (README
 * "Decisions", Batch). So when today's date is needed (report and run
 * without --as-of) such a TZ is refused. Accepted: TZ unset (the
 * system's zone), empty (UTC, as glibc reads it), a name (with or without
 * ':') whose file under $TZDIR (/usr/share/zoneinfo) or an absolute path
 * is a zone file, a whole POSIX string ("EST5EDT", "<+09>-9", "UTC0",
 * "EST5EDT,M3.2.0,M11.1.0"), or UTC by one of its names (also without
 * tzdata). NULL when TZ is fine, else the message. */
static const char *tz_problem(char *why, size_t size)
{
    const char *tz = getenv("TZ");
    if (!tz || !*tz)
        return NULL;
    const char *name = tz[0] == ':' ? tz + 1 : tz;
    /* The C library reads a zone file first, as here. */
    const char *dir = getenv("TZDIR");
    char path[4200];
    snprintf(path, sizeof path, "%s%s%s", name[0] == '/' ? "" :
             dir && *dir ? dir : "/usr/share/zoneinfo",
             name[0] == '/' ? "" : "/", name);
    FILE *f = fopen(path, "rb");
    char magic[4];
    bool zone = f && fread(magic, 1, 4, f) == 4 &&
                memcmp(magic, "TZif", 4) == 0;
    if (f)
        fclose(f);
    if (zone)
        return NULL;
    const char *want = NULL;
    const char *bad = tz_posix_bad(name, &want);
    if (!bad)
        return NULL;
    /* UTC by one of its names is what the C library falls back to: right
     * even where tzdata is not installed (a container with TZ=UTC). */
    static const char *const utc[] = {"UTC", "UCT", "GMT", "Universal",
                                      "Zulu", "Greenwich"};
    const char *u = strncmp(name, "Etc/", 4) == 0 ? name + 4 : name;
    for (size_t i = 0; i < sizeof utc / sizeof *utc; i++)
        if (strcmp(u, utc[i]) == 0)
            return NULL;
    /* Begun as a POSIX string (an abbreviation, then an offset or a '<'
     * name): say where it breaks off, not only that no file has its name
     * ("ABC+" is no typo of a zone name). */
    const char *p = name;
    bool posix = *p == '<';
    while (isalpha((unsigned char)*p))
        p++;
    posix = posix || (p - name >= 3 &&
                      (*p == '+' || *p == '-' || isdigit((unsigned char)*p)));
    if (posix)
        snprintf(why, size, "TZ '%.200s' names no time zone (no zone file "
                 "%.300s; read as a POSIX TZ string, e.g. JST-9 or "
                 "EST5EDT,M3.2.0,M11.1.0, it wants %s %s%.100s%s): today's "
                 "date would be UTC's, which may be another day; correct TZ "
                 "(or unset it for the system's zone), or give --as-of DATE",
                 tz, path, want ? want : "more", *bad ? "at '" : "at its end",
                 bad, *bad ? "'" : "");
    else
        snprintf(why, size, "TZ '%.200s' names no time zone (%.300s is not "
                 "a zone file): today's date would be UTC's, which may be "
                 "another day; correct TZ (or unset it for the system's "
                 "zone), or give --as-of DATE", tz, path);
    return why;
}

enum { OPT_DB = 256, OPT_KIND, OPT_INBOX, OPT_OUT, OPT_AS_OF, OPT_FROM,
       OPT_BUCKETS, OPT_SUMMARY, OPT_QUIET, OPT_STATEMENTS, OPT_HELP, OPT_VERSION,
       OPT_JSON, OPT_SOURCE, OPT_SCHEMA, OPT_TO, OPT_FROM_SCHEMA,
       OPT_TO_SCHEMA };

_Static_assert(EXPLAIN_MAX_BUCKETS == REPORT_MAX_BUCKETS,
               "explain and report take the same --buckets");

/* Blanks around an identifier do not count (SPEC §2: identifiers are
 * trimmed), as import trims them: a no-break or zero-width space pasted
 * with an id from a workbook made it "not found" (qa79); argv strings may
 * be edited in place. */
static char *trim(char *s)
{
    const char *p = s;
    size_t n = strlen(s);
    feed_trim(&p, &n);
    s += p - s;
    s[n] = '\0';
    return s;
}

/* A SQLite --db ending with '/' names a folder: the folder check then said
 * to create it (mkdir -p 'svc.db'), and the next run failed on a folder
 * (tests/e2e/t8500). 0, or the usage error's exit code. */
static int slash_ended(const char *option, const char *target)
{
    size_t n = target ? strlen(target) : 0;
    if (n == 0 || db_is_server(target) || target[n - 1] != '/')
        return 0;
    char why[900];
    snprintf(why, sizeof why, "%s '%.400s' ends with '/', which names a "
             "folder; give %s the database's file", option, target, option);
    return usage_error("%s", why);
}

/* The option table getopt_long is reading (set before each command's
 * loop), for unknown_option's word on an ambiguous abbreviation. */
static const struct option *parsing_longopts;

/* Every command's long options and the commands that take them, for
 * unknown_option to name an option of another command as run_command
 * does ("report takes no --inbox"): explain and copy called `explain
 * --out` an unknown option (QA pass 59, tests/e2e/t9993). */
static const struct {
    const char *name, *owners;
} command_options[] = {
    {"db", "import, report, run and explain"},
    {"schema", "import, report, run and explain"},
    {"kind", "import"},
    {"inbox", "run"},
    {"out", "report and run"},
    {"as-of", "report, run and explain"},
    {"from", "report and run, and of copy"},
    {"buckets", "report, run and explain"},
    {"summary", "import, report, run and copy"},
    {"quiet", "import, report, run and copy"},
    {"statements", "report and run"},
    {"json", "explain"},
    {"source", "explain"},
    {"to", "copy"},
    {"from-schema", "copy"},
    {"to-schema", "copy"},
};

/* The option of another command that "--name" (n bytes, exactly or as
 * the one option it begins) names; -1 when none. */
static int other_command_option(const char *name, size_t n)
{
    int found = -1, begun = 0;
    for (int k = 0; n > 0 && k < (int)(sizeof command_options /
                                       sizeof command_options[0]); k++) {
        if (strncmp(command_options[k].name, name, n) != 0)
            continue;
        if (command_options[k].name[n] == '\0')
            return k;
        found = k;
        begun++;
    }
    return begun == 1 ? found : -1;
}

/* getopt's '?': a short option ("-x", also inside "-xy") is named by
 * optopt, since argv[optind - 1] may be the argument before it (issue 11,
 * bug 1: `report -xy` named 'report'); a long one by the argument getopt
 * just consumed. */
static int unknown_option(char **argv)
{
    if (optopt > 0 && optopt < 256) {
        char opt[3] = {'-', (char)optopt, '\0'};
        /* A file named with a leading '-' (-dispatches.csv) is read as
         * options: say how to give it (tests/e2e/t8500). */
        struct stat sb;
        for (char **a = argv + 1; *a; a++)
            if ((*a)[0] == '-' && (*a)[1] != '-' && (*a)[1] != '\0' &&
                strchr(*a + 1, optopt) && stat(*a, &sb) == 0) {
                char why[900];
                snprintf(why, sizeof why, "unknown option '%s' (in '%.200s'; "
                         "a file whose name starts with '-': give it after "
                         "--, as in -- %.200s, or as ./%.200s)", opt, *a, *a,
                         *a);
                return usage_error("%s", why);
            }
        return usage_error("unknown option '%s'", opt);
    }
    /* A known long option given a value it does not take ("--quiet=1"):
     * getopt_long sets optopt to its val (tests/e2e/t9993). */
    const char *a = argv[optind - 1], *eq = strchr(a, '=');
    if (optopt >= OPT_DB && strncmp(a, "--", 2) == 0 && eq) {
        char why[900];
        snprintf(why, sizeof why, "option '%.*s' takes no value ('%.300s'); "
                 "give it alone", (int)(eq - a > 300 ? 300 : eq - a), a, a);
        return usage_error("%s", why);
    }
    /* An abbreviation getopt_long could not settle ("--s": --schema,
     * --statements, --summary) came back as unknown, which sent a user to
     * --help for an option that exists (tests/e2e/t9993). */
    if (strncmp(a, "--", 2) == 0 && parsing_longopts) {
        size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        char which[400] = "";
        int matches = 0;
        for (const struct option *o = parsing_longopts; o->name; o++)
            if (n > 0 && strncmp(a + 2, o->name, n) == 0) {
                size_t used = strlen(which);
                snprintf(which + used, sizeof which - used, "%s--%s",
                         matches ? ", " : "", o->name);
                matches++;
            }
        if (matches > 1) {
            char why[900];
            snprintf(why, sizeof why, "option '%.*s' is ambiguous (%s); "
                     "give the whole name", (int)(n + 2 > 300 ? 300 : n + 2),
                     a, which);
            return usage_error("%s", why);
        }
    }
    if (strncmp(a, "--", 2) == 0) {
        size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        int k = other_command_option(a + 2, n);
        if (k >= 0) {
            char why[300];
            snprintf(why, sizeof why, "%.20s takes no --%s (an option of "
                     "%s)", argv[1], command_options[k].name,
                     command_options[k].owners);
            return usage_error("%s", why);
        }
    }
    return usage_error("unknown option '%s'", a);
}

/* "CMD takes no --NAME (an option of ...)", as unknown_option says it, for
 * an option getopt accepted but the command does not take (run_command):
 * "run takes no --kind" named no command that does (qa83). */
static int option_of_another(const char *cmd, const char *name)
{
    int k = other_command_option(name, strlen(name));
    char why[300];
    snprintf(why, sizeof why, "%.20s takes no --%s (an option of %s)", cmd,
             name, k >= 0 ? command_options[k].owners : "another command");
    return usage_error("%s", why);
}

/* The options every command shares: --as-of, --buckets, --help,
 * --version, and getopt's complaints. Returns NOT_COMMON when c is none of
 * them, KEEP_PARSING when it was handled, else the exit code to return. */
enum { NOT_COMMON = -1, KEEP_PARSING = -2 };

/* "--summary -" is stdout, as for other tools, and then exactly as
 * --summary /dev/stdout (its checks, its messages): it wrote a file named
 * "-" in the working folder, stdout empty, exit 0 (tests/e2e/t9900). */
static const char *summary_name(const char *arg)
{
    return strcmp(arg, "-") == 0 ? "/dev/stdout" : arg;
}

static bool summary_was_refused;   /* summary_refused() said why */

/* A usage error about --summary itself: no summary is written there.
 * what: what it names ("the database or one of its files"). */
static int summary_refused(const char **summary_path, const char *what)
{
    char msg[sizeof last_usage];
    summary_was_refused = true;
    snprintf(msg, sizeof msg, "--summary '%s' names %s; give the summary "
             "another name", *summary_path, what);
    *summary_path = NULL;
    return usage_error("%s", msg);
}

static const char SUMMARY_IS_DB[] = "the database or one of its files";

/* --summary naming a folder (`--summary out`, a word left out): the night
 * ran whole, then ended 73, "cannot write summary: Is a directory"
 * (tests/e2e/t8500). */
static int summary_is_folder(const char **summary_path)
{
    struct stat sb;
    if (*summary_path && stat(*summary_path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return summary_refused(summary_path, "a folder");
    return KEEP_PARSING;
}

/* --summary naming an input or an output of import, report or run. */
static int summary_overwrites(struct batch_opts *o)
{
    char what[512];
    if (o->summary_path &&
        summary_path_overwrites(o->summary_path, o, what, sizeof what))
        return summary_refused(&o->summary_path, what);
    return summary_is_folder(&o->summary_path);
}

/* The values given so far, one per entry of an option table (getopt_long
 * reads its argv strings, which live as long as the process). */
#define MAX_OPTIONS 16
struct given {
    const char *value[MAX_OPTIONS];
};

/* An option given an empty value ("--db ''", typically an unset variable
 * in a cron line) is a usage error, whatever the option: an empty --db
 * would open a throw-away database that SQLite deletes on close (the
 * night imported, reported, exit 0, and nothing kept), an empty --out or
 * --summary would fail only after the import (tests/e2e/t7100).
 *
 * So is an option given twice with two values ("--as-of 2026-03-12
 * --as-of 2026-03-13", a crontab typo): getopt keeps the last, and the
 * wrong night would run with exit 0 (tests/e2e/t7200). No option of
 * svcrecon takes several values by repeating: FILE... of import are
 * arguments, --buckets is one list. The same text twice is accepted (it
 * cannot be a mistake that matters); flags (--quiet, --statements,
 * --json) take no value and may repeat. Values are shown as a --db is
 * (db_shown_name: a PostgreSQL URI without its password). */
static int check_value(int c, const struct option *opts, struct given *g)
{
    for (int i = 0; opts[i].name && i < MAX_OPTIONS; i++) {
        if (opts[i].val != c || opts[i].has_arg != required_argument)
            continue;
        if (!*optarg)
            return usage_error("option '--%s' needs a value, not an empty "
                               "string", opts[i].name);
        if (g->value[i] && strcmp(g->value[i], optarg) != 0) {
            char a[256], b[256], msg[sizeof last_usage];
            db_shown_name(g->value[i], a, sizeof a);
            db_shown_name(optarg, b, sizeof b);
            /* Two URIs that differ only in their passwords are shown
             * alike: say where they differ (tests/e2e/t9993). */
            snprintf(msg, sizeof msg, "option '--%s' given twice ('%s' and "
                     "'%s'%s); give it once", opts[i].name, a, b,
                     strcmp(a, b) == 0 ? ", which differ in the password, "
                     "not shown" : "");
            return usage_error("%s", msg);
        }
        g->value[i] = optarg;
    }
    return KEEP_PARSING;
}

static int common_option(int c, char **argv, char as_of[11],
                         int32_t *as_of_day, bool *have_as_of,
                         struct report_opts *r)
{
    switch (c) {
    case OPT_AS_OF:
        if (!set_date(optarg, as_of, as_of_day))
            return usage_error("invalid --as-of date '%s' (YYYY-MM-DD "
                               "or MM/DD/YYYY, from 1900-01-01)", optarg);
        *have_as_of = true;
        return KEEP_PARSING;
    case OPT_BUCKETS: {
        char why[64], msg[sizeof last_usage];
        if (!set_buckets(optarg, r, why, sizeof why)) {
            snprintf(msg, sizeof msg, "invalid --buckets '%s' (%s)", optarg,
                     why);
            return usage_error("%s", msg);
        }
        return KEEP_PARSING;
    }
    case OPT_HELP:
        /* `svcrecon import --help | head -1` as `svcrecon --help | head
         * -1`: a reader gone ends it quietly (SIGPIPE), as explain's
         * output does. import, report, run and copy ignore SIGPIPE before
         * their options are read, and their --help said "Broken pipe"
         * and ended 73 where the same text without a command ended 141
         * quietly (tests/e2e/t9985). */
        signal(SIGPIPE, SIG_DFL);
        fputs(usage_text, stdout);
        fputs(help_text, stdout);
        return stdout_done();
    case OPT_VERSION:
        signal(SIGPIPE, SIG_DFL);       /* as --help, above */
        print_version();
        return stdout_done();
    case ':':
        return usage_error("option '%s' needs an argument", argv[optind - 1]);
    case '?':
        return unknown_option(argv);
    default:
        return NOT_COMMON;
    }
}

/* svcrecon explain --db DB [--as-of DATE] [--buckets LIST] [--json]
 *                  DISPATCH_ID | --source FILE:LINE
 * Its own option table: the options of the other commands are unknown
 * here, and --json/--source unknown to them, as before. */
static int explain_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"schema", required_argument, NULL, OPT_SCHEMA},
        {"as-of", required_argument, NULL, OPT_AS_OF},
        {"buckets", required_argument, NULL, OPT_BUCKETS},
        {"json", no_argument, NULL, OPT_JSON},
        {"source", required_argument, NULL, OPT_SOURCE},
        {"help", no_argument, NULL, OPT_HELP},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    struct explain_opts e = {.version = SVCRECON_VERSION};
    struct report_opts r;
    bool have_as_of = false;
    default_buckets(&r);

    struct given given = {0};
    _Static_assert(sizeof longopts / sizeof longopts[0] <= MAX_OPTIONS,
                   "struct given holds a value per option");
    opterr = 0;
    optind = 2;
    int c;
    parsing_longopts = longopts;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        int bad = check_value(c, longopts, &given);
        if (bad != KEEP_PARSING)
            return bad;
        switch (c) {
        case OPT_DB:   e.db_target = optarg; e.db_path = db_shown(optarg);
                       break;
        case OPT_SCHEMA: e.schema = optarg; break;
        case OPT_JSON: e.json = true; break;
        case OPT_SOURCE:
            if (!explain_parse_source(optarg, &e))
                return usage_error("invalid --source '%s' (FILE:LINE, "
                                   "LINE a number)", optarg);
            break;
        default: {
            int rc = common_option(c, argv, e.as_of, &e.as_of_day,
                                   &have_as_of, &r);
            if (rc != KEEP_PARSING)
                return rc == NOT_COMMON ? unknown_option(argv) : rc;
        }
        }
    }
    if (!have_as_of) {
        today(e.as_of, &e.as_of_day);
        e.as_of_default = true;
    }
    if (!e.db_path)
        return usage_error("%s needs --db DB", "explain");
    if (db_target_problem(e.db_target))
        return usage_error("--db is %s", db_target_problem(e.db_target));
    if (slash_ended("--db", e.db_target))
        return EX_USAGE;
    if (e.schema && !db_is_server(e.db_target))
        return usage_error("%s", SCHEMA_NOT_SQLITE);
    if (e.source) {
        if (optind < argc)
            return usage_error("explain takes a DISPATCH_ID or --source "
                               "FILE:LINE, not both (unexpected '%s')",
                               argv[optind]);
    } else {
        if (optind >= argc)
            return usage_error("%s needs a DISPATCH_ID or --source "
                               "FILE:LINE", "explain");
        if (optind + 1 < argc)
            return usage_error("unexpected argument '%s'", argv[optind + 1]);
        e.dispatch_id = trim(argv[optind]);
        if (e.dispatch_id[0] == '\0')
            return usage_error("%s needs a DISPATCH_ID, not a blank one",
                               "explain");
    }
    e.n_buckets = r.n_buckets;
    memcpy(e.bucket_hi, r.bucket_hi, sizeof e.bucket_hi);
    if (stdout_closed())
        return EX_CANTCREAT;
    struct diag d = {0};
    /* A feed named by mistake: said as import says it, not as a damaged
     * database to restore (tests/e2e/t9900). */
    if (!db_is_server(e.db_target) && batch_check_db_file(e.db_target, "--db", &d)) {
        diag_print(&d);
        return d.exit_code;
    }
    if (explain_run(&e, &d) == 0)
        return 0;
    diag_print(&d);
    return d.exit_code ? d.exit_code : EX_SOFTWARE;
}

/* svcrecon copy --from DB --to DB [--from-schema NAME] [--to-schema NAME]
 *               [--summary FILE] [--quiet]
 * Its own option table, as explain's: --from is a database here. One
 * schema option per side, never a shared --schema: with two servers it
 * could not say which side it meant. */
/* --from s.db --to ./s.db (or a link to it): one SQLite file by two
 * names, refused as the same database (64) as the same spelling is; it
 * was taken for a target holding data (73; qa83). */
static bool same_sqlite_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return !db_is_server(a) && !db_is_server(b) && stat(a, &sa) == 0 &&
           stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

static int parse_copy(int argc, char **argv, struct copy_opts *o)
{
    static const struct option longopts[] = {
        {"from", required_argument, NULL, OPT_FROM},
        {"to", required_argument, NULL, OPT_TO},
        {"from-schema", required_argument, NULL, OPT_FROM_SCHEMA},
        {"to-schema", required_argument, NULL, OPT_TO_SCHEMA},
        {"schema", required_argument, NULL, OPT_SCHEMA},
        {"summary", required_argument, NULL, OPT_SUMMARY},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"help", no_argument, NULL, OPT_HELP},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    struct report_opts unused;
    char as_of[11];
    int32_t day;
    bool dated;
    struct given given = {0};
    _Static_assert(sizeof longopts / sizeof longopts[0] <= MAX_OPTIONS,
                   "struct given holds a value per option");
    opterr = 0;
    optind = 2;
    int c;
    parsing_longopts = longopts;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        int bad = check_value(c, longopts, &given);
        if (bad != KEEP_PARSING)
            return bad;
        switch (c) {
        case OPT_FROM:
            o->from_target = optarg;
            db_shown_name(optarg, o->from_shown, sizeof o->from_shown);
            break;
        case OPT_TO:
            o->to_target = optarg;
            db_shown_name(optarg, o->to_shown, sizeof o->to_shown);
            break;
        case OPT_FROM_SCHEMA: o->from_schema = optarg; break;
        case OPT_TO_SCHEMA:   o->to_schema = optarg; break;
        case OPT_SUMMARY:     o->summary_path = summary_name(optarg); break;
        case OPT_QUIET:       o->quiet = true; break;
        case OPT_SCHEMA:
            return usage_error("%s", "copy takes --from-schema and "
                               "--to-schema, not --schema");
        default: {
            int rc = common_option(c, argv, as_of, &day, &dated, &unused);
            if (rc != KEEP_PARSING)
                return rc == NOT_COMMON ? unknown_option(argv) : rc;
        }
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (!o->from_target || !o->to_target)
        return usage_error("%s", "copy needs --from DB and --to DB");
    if (db_target_problem(o->from_target))
        return usage_error("--from is %s", db_target_problem(o->from_target));
    if (db_target_problem(o->to_target))
        return usage_error("--to is %s", db_target_problem(o->to_target));
    if (slash_ended("--from", o->from_target) ||
        slash_ended("--to", o->to_target))
        return EX_USAGE;
    if (o->from_schema && !db_is_server(o->from_target))
        return usage_error("%s", "--from-schema names a PostgreSQL schema; "
                           "--from is a SQLite file, which has none");
    if (o->to_schema && !db_is_server(o->to_target))
        return usage_error("%s", "--to-schema names a PostgreSQL schema; "
                           "--to is a SQLite file, which has none");
    const char *fs = copy_schema(o->from_target, o->from_schema);
    const char *ts = copy_schema(o->to_target, o->to_schema);
    if ((strcmp(o->from_target, o->to_target) == 0 &&
         (!fs || strcmp(fs, ts) == 0)) ||
        same_sqlite_file(o->from_target, o->to_target))
        return usage_error("%s", "--from and --to name the same database");
    /* --to naming a file SQLite or the run lock keeps beside the source
     * (or --from one beside the target): found empty, it was taken for a
     * new target, the copy went into the source's -wal or .lock, exit 0,
     * and the source's next open deleted or emptied it (qa54). */
    if (summary_path_is_db_companion(o->to_target, o->from_target) ||
        summary_path_is_db_companion(o->from_target, o->to_target))
        return usage_error("%s", "--from and --to name a database and one "
                           "of its own files (-wal, -shm, -journal, .lock): "
                           "name a new file for --to");
    if (o->summary_path &&
        (summary_path_is_database(o->summary_path, o->from_target) ||
         summary_path_is_database(o->summary_path, o->to_target)))
        return summary_refused(&o->summary_path, SUMMARY_IS_DB);
    if (summary_is_folder(&o->summary_path) != KEEP_PARSING)
        return EX_USAGE;
    return KEEP_PARSING;
}

static bool usage_summary_unsafe(const char *summary, int argc, char **argv,
                                 const char *const *db_names,
                                 const char *as_of, bool statements);

/* The long options of any command that take a value, as the scans of the
 * whole line below read them (an abbreviation as getopt takes it). */
static const char *const valued_options[] = {
    "db", "schema", "kind", "inbox", "out", "as-of", "from", "to",
    "from-schema", "to-schema", "buckets", "summary", "source", NULL};

/* Long option argv[*i] ("--name" or "--name=value"): its name's length
 * in *n and, when it takes a value, the value (NULL for a flag, an
 * unknown option or a value missing at the end; *i moves past a value
 * given as the next word). */
static const char *option_value(int argc, char **argv, int *i, size_t *n)
{
    const char *name = argv[*i] + 2, *eq = strchr(name, '=');
    *n = eq ? (size_t)(eq - name) : strlen(name);
    for (int k = 0; valued_options[k]; k++)
        if (strncmp(valued_options[k], name, *n) == 0)
            return eq ? eq + 1 : *i + 1 < argc ? argv[++*i] : NULL;
    return NULL;
}

/* The first --summary FILE of the line, wherever it stands: a usage error
 * met before getopt reached it (`run ... --as-of "$X" --summary FILE`
 * with X unset, as docs/crontab.example puts --summary last) wrote no
 * summary, and monitoring read yesterday's success (QA pass 41). NULL
 * when the line has none, or when it was parsed and refused (a folder,
 * the database: summary_refused() said so, and nothing is written). */
static const char *summary_on_line(int argc, char **argv)
{
    if (summary_was_refused)
        return NULL;
    bool options = true;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!options || strncmp(a, "--", 2) != 0 || !a[2]) {
            options = options && strcmp(a, "--") != 0;
            continue;
        }
        size_t n;
        const char *name = a + 2, *v = option_value(argc, argv, &i, &n);
        struct stat sb;             /* a folder: nothing written, silently
                                       (the line's first error is said) */
        if (v && n >= 2 && strncmp("summary", name, n) == 0)
            /* "--summary ''" was said once; "" names no file to write
             * (it added "svcrecon: : cannot write summary") */
            return !*v ? NULL : stat(v, &sb) == 0 && S_ISDIR(sb.st_mode) ? NULL
                                                             : summary_name(v);
    }
    return NULL;
}

/* An unknown command (`rnu`, a crontab's typo) is a usage error like any
 * other: a --summary FILE on its line gets the usage summary (command
 * null), or monitoring read yesterday's success (qa58, tests/e2e/t9993).
 * Every option that names a database for some command is checked. */
static int unknown_command(int argc, char **argv, const char *cmd)
{
    int rc = usage_error("unknown command '%s'", cmd);
    static const char *const db_names[] = {"db", "from", "to", NULL};
    const char *path = summary_on_line(argc, argv);
    if (!path || usage_summary_unsafe(path, argc, argv, db_names, NULL, false))
        return rc;
    struct batch_opts o = {.summary_path = path};
    return diag_worse(rc, run_summary_usage(&o, NULL, last_usage));
}

static int copy_main(int argc, char **argv)
{
    struct copy_opts o = {0};
    int rc = parse_copy(argc, argv, &o);
    if (rc == KEEP_PARSING)
        return copy_run(&o);
    /* As for the other commands: monitoring never reads yesterday's
     * summary after a copy that did not start. */
    static const char *const db_names[] = {"from", "to", NULL};
    if (rc == EX_USAGE && !o.summary_path)
        o.summary_path = summary_on_line(argc, argv);
    if (rc == EX_USAGE && o.summary_path &&
        !usage_summary_unsafe(o.summary_path, argc, argv, db_names, NULL,
                              false)) {
        struct batch_opts b = {.db_path = o.to_target ? o.to_shown : NULL,
                               .db_target = o.to_target,
                               .schema = o.to_schema,
                               .summary_path = o.summary_path};
        rc = diag_worse(rc, run_summary_usage(&b, "copy", last_usage));
    }
    return rc;
}

/* The first of --as-of, --from, --buckets on the line (report's and run's
 * options), for import to refuse: it took them and ignored them, exit 0
 * (tests/e2e/t9993). */
static const char *report_option;

/* The options of import, report and run into o. KEEP_PARSING when the
 * command may run, else the exit code (64, or 0 after --help). */
static int parse_batch(int argc, char **argv, struct batch_opts *o,
                       bool *have_kind, bool *have_as_of)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"schema", required_argument, NULL, OPT_SCHEMA},
        {"kind", required_argument, NULL, OPT_KIND},
        {"inbox", required_argument, NULL, OPT_INBOX},
        {"out", required_argument, NULL, OPT_OUT},
        {"as-of", required_argument, NULL, OPT_AS_OF},
        {"from", required_argument, NULL, OPT_FROM},
        {"buckets", required_argument, NULL, OPT_BUCKETS},
        {"summary", required_argument, NULL, OPT_SUMMARY},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"statements", no_argument, NULL, OPT_STATEMENTS},
        {"help", no_argument, NULL, OPT_HELP},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    struct report_opts *r = &o->report;
    struct given given = {0};
    _Static_assert(sizeof longopts / sizeof longopts[0] <= MAX_OPTIONS,
                   "struct given holds a value per option");
    opterr = 0;
    optind = 2;
    int c;
    parsing_longopts = longopts;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        int bad = check_value(c, longopts, &given);
        if (bad != KEEP_PARSING)
            return bad;
        if (!report_option)
            report_option = c == OPT_AS_OF ? "--as-of" : c == OPT_FROM ?
                            "--from" : c == OPT_BUCKETS ? "--buckets" : NULL;
        switch (c) {
        case OPT_DB:
            o->db_target = optarg;
            o->db_path = r->db_path = db_shown(optarg);
            break;
        case OPT_SCHEMA:  o->schema = r->schema = optarg; break;
        case OPT_INBOX:   o->inbox = optarg; break;
        case OPT_OUT:     r->out_dir = optarg; break;
        case OPT_SUMMARY: o->summary_path = summary_name(optarg); break;
        case OPT_QUIET:   r->quiet = true; r->progress_bar = false; break;
        case OPT_STATEMENTS: r->statements = true; break;
        case OPT_KIND:
            if (!feed_kind_parse(optarg, &o->kind))
                return usage_error("unknown --kind '%s' (registrations, "
                                   "dispatches or closeouts)", optarg);
            *have_kind = true;
            break;
        case OPT_FROM:
            if (!set_date(optarg, r->from, &r->from_day))
                return usage_error("invalid --from date '%s' (YYYY-MM-DD "
                                   "or MM/DD/YYYY, from 1900-01-01)",
                                   optarg);
            r->has_from = true;
            break;
        default: {
            int rc = common_option(c, argv, r->as_of, &r->as_of_day,
                                   have_as_of, r);
            if (rc != KEEP_PARSING)
                return rc == NOT_COMMON ? unknown_option(argv) : rc;
        }
        }
    }
    return KEEP_PARSING;
}

/* SPEC §5: --from later than --as-of (given or today) is a usage error;
 * it would list nothing. */
static bool as_of_given;            /* --as-of was on the line */

static int check_from(const struct report_opts *r)
{
    char msg[200];
    if (!r->has_from || r->from_day <= r->as_of_day)
        return KEEP_PARSING;
    /* Without --as-of the date is today's: "later than --as-of
     * 2026-03-12" named an option not given (tests/e2e/t9993). */
    snprintf(msg, sizeof msg, "--from %s is later than %s %s%s; --from "
             "must be on or before the as-of date", r->from,
             as_of_given ? "--as-of" : "the as-of date", r->as_of,
             as_of_given ? "" : " (today: --as-of not given)");
    return usage_error("%s", msg);
}

/* run's --out or the database inside its --inbox (any path to it: the
 * same folder through a link, "./in/", a folder in it) is a usage error
 * (README "Decisions": an output folder in the inbox). Every night would
 * find the workbooks, the statements folder, the temporary folder, the
 * database and its lock there, files that match no kind, and warn about
 * them (SPEC §5): a good night would never be silent. Refused, not
 * ignored: svcrecon cannot tell its own files there from a delivery of
 * the same name, and the inbox is where others write (read-only for the
 * systemd unit). */
static int inbox_holds_own_files(const struct batch_opts *o)
{
    char msg[sizeof last_usage];
    if (summary_path_within(o->report.out_dir, o->inbox)) {
        snprintf(msg, sizeof msg, "--out '%s' is the inbox '%s' or a folder "
                 "in it: each night would warn about the workbooks there as "
                 "inbox files that match no kind; give --out a folder "
                 "outside the inbox", o->report.out_dir, o->inbox);
        return usage_error("%s", msg);
    }
    if (summary_path_db_within(o->db_target, o->inbox)) {
        snprintf(msg, sizeof msg, "--db '%s' is in the inbox '%s': each "
                 "night would warn about the database and its lock file as "
                 "inbox files that match no kind; keep the database outside "
                 "the inbox", o->db_path, o->inbox);
        return usage_error("%s", msg);
    }
    return KEEP_PARSING;
}

/* The database named as a workbook of the report, or the database, or
 * run's inbox, inside OUT/statements_A: that folder is
 * the report's to replace whole (--statements) or to remove as stale
 * (without), and the database went with it, exit 0 -- the next night
 * made a new one, the whole history lost -- or the night's feeds did
 * (qa87, tests/e2e/t7500). */
static int statements_hold_own_files(const struct batch_opts *o, bool run)
{
    char msg[sizeof last_usage], folder[4096], name[128];
    /* A workbook's name too: renamed into place, the workbook replaced
     * the database, exit 0 (qa87). */
    for (int k = 0; k < REPORT_N; k++) {
        report_book_name(k, o->report.as_of, name, sizeof name);
        size_t n = strlen(o->report.out_dir);
        if ((size_t)snprintf(folder, sizeof folder, "%s%s%s",
                             o->report.out_dir, n && o->report.out_dir[n - 1]
                             == '/' ? "" : "/", name) >= sizeof folder)
            break;
        if (summary_path_is_database(folder, o->db_target)) {
            snprintf(msg, sizeof msg, "--db '%.300s' is the workbook "
                     "'%.300s' this report writes: the workbook would "
                     "replace the database; give the database another "
                     "name", o->db_path, folder);
            return usage_error("%s", msg);
        }
    }
    if (statements_folder(&o->report, folder, sizeof folder) != 0)
        return KEEP_PARSING;
    /* A link there (to a share) is replaced or removed itself, not what
     * it names: a database or inbox on the share is no usage error. */
    if (summary_path_in_statements(o->db_target, folder, true)) {
        snprintf(msg, sizeof msg, "--db '%.300s' is in the statements folder "
                 "'%.300s', which the report replaces or removes whole: the "
                 "database would go with it; keep the database outside it",
                 o->db_path, folder);
        return usage_error("%s", msg);
    }
    if (run && summary_path_in_statements(o->inbox, folder, false)) {
        snprintf(msg, sizeof msg, "--inbox '%.300s' is in the statements "
                 "folder '%.300s', which the report replaces or removes whole: the "
                 "feeds would go with it; give --inbox a folder outside it",
                 o->inbox, folder);
        return usage_error("%s", msg);
    }
    return KEEP_PARSING;
}

/* A usage error found while parsing stopped getopt where it was: the
 * --db, --inbox, --out and FILEs given after it were never read, nor
 * checked against --summary (summary_overwrites runs once the command
 * line is whole; a usage error found before it -- "run needs --out DIR",
 * --from after --as-of, TZ -- skipped it too). The usage summary, renamed
 * over FILE, then replaced the
 * database ("--db svc.db --summary svc.db --as-of 2026-13-01": the whole
 * history gone, exit 64) or a feed (QA pass 36, tests/e2e/t9960). So
 * before that summary is written, every value the command line gives a
 * database, an inbox or an output folder, and every argument (a FILE of
 * import), is read by hand -- "--name VALUE", "--name=VALUE", an
 * abbreviation as getopt takes it, "--" -- and the summary is not written
 * when it names one of them (that usage error then leaves no summary, as
 * one about --summary itself does). as_of: the night's workbooks' date
 * (empty: today's). */
static bool usage_summary_unsafe(const char *summary, int argc, char **argv,
                                 const char *const *db_names,
                                 const char *as_of, bool statements)
{
    char **files = calloc((size_t)argc, sizeof *files);
    const char **inboxes = calloc((size_t)argc, sizeof *inboxes);
    const char **outs = calloc((size_t)argc, sizeof *outs);
    int n_inboxes = 0, n_outs = 0;
    if (!files || !inboxes || !outs) {
        free(files);
        free(inboxes);
        free(outs);
        return true;
    }
    struct batch_opts t = {0};
    t.report.statements = statements;
    if (as_of && *as_of)
        snprintf(t.report.as_of, sizeof t.report.as_of, "%s", as_of);
    else
        today(t.report.as_of, &t.report.as_of_day);
    bool unsafe = false, options = true;
    char what[512];
    for (int i = 2; i < argc && !unsafe; i++) {
        const char *a = argv[i];
        if (!options || strncmp(a, "--", 2) != 0 || !a[2]) {
            if (options && strcmp(a, "--") == 0)
                options = false;
            else
                files[t.n_files++] = argv[i];
            continue;
        }
        size_t n;
        const char *name = a + 2, *v = option_value(argc, argv, &i, &n);
        if (n >= 2 && strncmp("statements", name, n) == 0)
            t.report.statements = true;
        if (!v)
            continue;   /* a flag, an unknown option, a value missing */
        bool db = false;
        for (int k = 0; db_names[k]; k++)
            if (strncmp(db_names[k], name, n) == 0)
                db = true;
        if (db && summary_path_is_database(summary, v))
            unsafe = true;
        if (strncmp("inbox", name, n) == 0)
            inboxes[n_inboxes++] = v;
        if (strncmp("out", name, n) == 0)
            outs[n_outs++] = v;
        if (strncmp("as-of", name, n) == 0)     /* the workbooks' date */
            set_date(v, t.report.as_of, &t.report.as_of_day);
    }
    t.files = files;
    unsafe = unsafe || summary_path_overwrites(summary, &t, what, sizeof what);
    for (int k = 0; k < n_inboxes + n_outs && !unsafe; k++) {
        struct batch_opts u = t;
        u.n_files = 0;
        if (k < n_inboxes)
            u.inbox = inboxes[k];
        else
            u.report.out_dir = outs[k - n_inboxes];
        unsafe = summary_path_overwrites(summary, &u, what, sizeof what);
    }
    free(files);
    free(inboxes);
    free(outs);
    return unsafe;
}

/* Checks what the command needs and runs it. */
static int run_command(const char *cmd, int argc, char **argv,
                       struct batch_opts *o, bool have_kind)
{
    struct report_opts *r = &o->report;
    if (!o->db_path)
        return usage_error("%s needs --db DB", cmd);
    if (db_target_problem(o->db_target))
        return usage_error("--db is %s", db_target_problem(o->db_target));
    if (slash_ended("--db", o->db_target))
        return EX_USAGE;
    if (o->schema && !db_is_server(o->db_target))
        return usage_error("%s", SCHEMA_NOT_SQLITE);
    if (o->summary_path &&
        summary_path_is_database(o->summary_path, o->db_target))
        return summary_refused(&o->summary_path, SUMMARY_IS_DB);
    if (strcmp(cmd, "import") == 0) {
        if (!have_kind)
            return usage_error("%s needs --kind KIND", cmd);
        if (optind >= argc)
            return usage_error("%s needs at least one FILE", cmd);
        if (o->inbox || r->out_dir || r->statements)
            return option_of_another(cmd, o->inbox ? "inbox" : r->out_dir ?
                                     "out" : "statements");
        if (report_option)
            return usage_error("import takes no %s: it loads files, "
                               "whatever their dates; --as-of, --from and "
                               "--buckets are report's and run's",
                               report_option);
        o->files = argv + optind;
        o->n_files = argc - optind;
        int rc = summary_overwrites(o);
        return rc == KEEP_PARSING ? batch_import(o) : rc;
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (have_kind)
        return option_of_another(cmd, "kind");
    if (!r->out_dir)
        return usage_error("%s needs --out DIR", cmd);
    int rc = check_from(r);
    if (rc != KEEP_PARSING)
        return rc;
    bool report = strcmp(cmd, "report") == 0;
    if (report && o->inbox)
        return option_of_another(cmd, "inbox");
    if (!report && !o->inbox)
        return usage_error("%s needs --inbox DIR", cmd);
    if (!report && (rc = inbox_holds_own_files(o)) != KEEP_PARSING)
        return rc;
    if ((rc = statements_hold_own_files(o, !report)) != KEEP_PARSING)
        return rc;
    rc = summary_overwrites(o);
    if (rc != KEEP_PARSING)
        return rc;
    return report ? batch_report(o) : batch_run(o);
}

int cli_main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("%s", "no command given");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage_text, stdout);
        fputs(help_text, stdout);
        return stdout_done();
    }
    if (strcmp(argv[1], "--version") == 0) {
        /* "--version extra" printed the version and ended 0: a script
         * that meant something else learnt nothing (tests/e2e/t9993).
         * --help, in contrast, answers whatever follows it ("--help
         * import"): the help is the answer to any question after it. */
        if (argc > 2) {
            char why[600];
            snprintf(why, sizeof why, "--version takes nothing after it "
                     "('%.400s')", argv[2]);
            return usage_error("%s", why);
        }
        print_version();
        return stdout_done();
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "explain") == 0)
        return explain_main(argc, argv);
    if (strcmp(cmd, "copy") == 0) {
        /* Its lines on stderr too: a reader gone killed the copy at its
         * first table (exit 141, rolled back, the summary "running");
         * it completes as a night does (below; tests/e2e/t9900). */
        signal(SIGPIPE, SIG_IGN);
        signal(SIGXFSZ, SIG_IGN);         /* as a night, below */
        return copy_main(argc, argv);
    }
    if (strcmp(cmd, "import") != 0 && strcmp(cmd, "report") != 0 &&
        strcmp(cmd, "run") != 0)
        return unknown_command(argc, argv, cmd);
    /* A night's messages go to stderr, which may be a pipe whose reader
     * is gone (`2>&1 | head -1`, a log pipe whose reader died, a dropped
     * ssh session): SIGPIPE's default action killed the run at its next
     * message, between two files, with the night half done. Ignored, the
     * write fails (EPIPE) and the messages are lost, as with stderr closed
     * (main.c); the night completes and --summary says how. explain keeps
     * the default: `explain ... | head` ends quietly, as other tools do. */
    signal(SIGPIPE, SIG_IGN);
    /* A file size limit (ulimit -f, a unit's LimitFSIZE=) raised SIGXFSZ
     * at the first write past it, whose default action killed the night
     * without a word (exit 153, the summary "running", every retry the
     * same). Ignored, the write fails (EFBIG, "File too large") and the
     * run says which output and ends 73, as on a full disk (qa87). */
    signal(SIGXFSZ, SIG_IGN);

    struct batch_opts o = {0};
    bool have_kind = false, have_as_of = false;
    default_buckets(&o.report);
    o.report.version = SVCRECON_VERSION;
    o.report.progress_bar = isatty(STDERR_FILENO);
    int rc = parse_batch(argc, argv, &o, &have_kind, &have_as_of);
    char tz_why[sizeof last_usage];
    if (rc == KEEP_PARSING && !have_as_of && strcmp(cmd, "import") != 0 &&
        tz_problem(tz_why, sizeof tz_why)) {
        /* one line, no usage text: the command line is fine */
        memcpy(last_usage, tz_why, sizeof last_usage);
        say_usage();
        rc = EX_USAGE;
    }
    if (rc == KEEP_PARSING) {
        as_of_given = have_as_of;
        if (!have_as_of)
            today(o.report.as_of, &o.report.as_of_day);
        rc = run_command(cmd, argc, argv, &o, have_kind);
    }
    /* A usage error once --summary FILE was parsed still writes the
     * summary: monitoring must not read yesterday's success. */
    static const char *const db_names[] = {"db", NULL};
    if (rc == EX_USAGE && !o.summary_path)
        o.summary_path = summary_on_line(argc, argv);
    if (rc == EX_USAGE && o.summary_path &&
        !usage_summary_unsafe(o.summary_path, argc, argv, db_names,
                              o.report.as_of, o.report.statements))
        rc = diag_worse(rc, run_summary_usage(&o, cmd, last_usage));
    return rc;
}
