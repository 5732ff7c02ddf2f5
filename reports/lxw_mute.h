/* lxw_mute.h -- libxlsxwriter's own lines on stderr, kept off it.
 *
 * libxlsxwriter 1.1.4 prints "[ERROR][packager.c:1541]: ..." and
 * "[ERROR] workbook_close(): ..." lines itself, with fprintf(stderr) (its
 * LXW_ERROR and LXW_WARN macros; no API turns them off), when a workbook
 * cannot be written: a full disk, an unwritable temporary folder. svcrecon
 * already says what went wrong in its own line (SPEC §5: one line per
 * problem, nothing else with --quiet), so the calls that print on such a
 * failure (workbook_add_worksheet, workbook_close) run between
 * lxw_mute_begin() and lxw_mute_end(): fd 2 points into a memory file
 * meanwhile, and at the end whatever was written there that is not
 * libxlsxwriter's (a sanitizer's report, say) is passed on to stderr.
 *
 * Threads: fd 2 is the process's, and the report's closer thread runs
 * workbook_close() while the main thread fills the next workbook. So the
 * muting is shared and counted: the first begin points fd 2 at the memory
 * file, the last end puts it back, both under one mutex. svcrecon's own
 * lines that may come while another thread is muted (the progress bar,
 * "wrote ...") go through lxw_mute_say(), which writes them to the real
 * stderr at once. */
#ifndef SVC_LXW_MUTE_H
#define SVC_LXW_MUTE_H

void lxw_mute_begin(void);
void lxw_mute_end(void);

/* fprintf(stderr, fmt, ...), to the real stderr even while muted. */
void lxw_mute_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A status line on the real stderr, a terminal: "\r\033[K" then `line`,
 * or `shorter` (may be NULL) when `line` would not fit the terminal's
 * width, or nothing after the erase when neither does: a line that wraps
 * cannot be erased by the next one (qa83). */
void lxw_mute_status(const char *line, const char *shorter);

#endif
