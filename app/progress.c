/* progress.c -- see progress.h. */
#include "app/progress.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/utf8.h"

static int shown;              /* a bar is on the terminal's last line */

static int term_width(void)
{
    struct winsize ws;
    /* A terminal that says its width is that wide, however narrow. */
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

void progress_format(char *out, size_t size, int width, const char *name,
                     int nth, int of, double pct, unsigned long rows,
                     double mb_per_s)
{
    const char *base = strrchr(name, '/');
    char shown[UTF8_PATH_SHOWN];
    base = utf8_show_path(base ? base + 1 : name, shown, sizeof shown);
    char head[48], tail[96], speed[32];
    snprintf(head, sizeof head, "  file %d of %d", nth, of);
    snprintf(tail, sizeof tail, "  %5.1f%%  %lu rows", pct, rows);
    snprintf(speed, sizeof speed, "  %.1f MB/s", mb_per_s);
    size_t room = width > 1 ? (size_t)width - 1 : 0;
    size_t need = strlen(head) + strlen(tail);
    if (need > room) {
        /* Too narrow for the essentials: drawn, the line would wrap, and
         * each redraw would erase only its last row. */
        if (size)
            out[0] = '\0';
        return;
    }
    bool with_speed = need + strlen(speed) <= room;
    if (with_speed)
        need += strlen(speed);
    bool with_name = need + 2 + strlen(base) <= room;
    snprintf(out, size, "%s%s%s%s%s", head, with_name ? "  " : "",
             with_name ? base : "", tail, with_speed ? speed : "");
}

static void draw(const struct progress *p, unsigned long rows,
                 unsigned long long done)
{
    double secs = clock_seconds_since(&p->t0);
    double pct = p->total ? 100.0 * (double)done / (double)p->total : 100.0;
    if (pct > 100.0)
        pct = 100.0;
    char line[512];
    progress_format(line, sizeof line, term_width(), p->path, p->nth, p->of,
                    pct, rows, secs > 0 ? (double)done / 1e6 / secs : 0.0);
    if (!line[0]) {
        progress_clear();          /* the terminal may have been narrowed */
        return;
    }
    fprintf(stderr, "\r\033[K%s", line);
    fflush(stderr);
    shown = 1;
}

void progress_start(struct progress *p, const char *path, int nth, int of)
{
    p->path = path;
    p->nth = nth;
    p->of = of;
    p->total = 0;
    /* The size from stat, never by opening the file: the bar is drawn
     * before the loader looks at what the file is, and opening a FIFO in
     * the inbox blocked for ever on a terminal (tests/e2e/t8500). */
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0)
        p->total = (unsigned long long)sb.st_size;
    clock_gettime(CLOCK_MONOTONIC, &p->t0);
    draw(p, 0, 0);
}

void progress_file(void *ctx, const struct load_result *r,
                   unsigned long long bytes_done)
{
    draw(ctx, r->rows_read, bytes_done);
}

void progress_done(struct progress *p, const struct load_result *r)
{
    draw(p, r->rows_read, p->total);
}

void progress_clear(void)
{
    if (!shown)
        return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    shown = 0;
}
