/* summary_path.h -- what --summary FILE must not name (README "Summary
 * JSON"). The summary is written to FILE.tmp and renamed over FILE, so a
 * FILE that is the database, one of the command's input feeds or a
 * workbook it writes would be replaced by the JSON. */
#ifndef SVC_SUMMARY_PATH_H
#define SVC_SUMMARY_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "app/batch.h"

/* True when summary names the SQLite database db (NULL or a PostgreSQL
 * URI: false), or its -wal, -shm, -journal or .lock file, through any
 * path. */
bool summary_path_is_database(const char *summary, const char *db);

/* True when path names one of the SQLite database db's own files (its
 * -wal, -shm, -journal or .lock), not db itself, through any path. */
bool summary_path_is_db_companion(const char *path, const char *db);

/* True when summary names one of o's inputs or outputs: a file of
 * o->files (import), a file in the folder o->inbox (run), a workbook of
 * o->report.out_dir as of o->report.as_of (report, run), or a file of its
 * statements folder (--statements); what then says which, in words for a
 * message ("the input feed 'in/x.csv'"). */
bool summary_path_overwrites(const char *summary, const struct batch_opts *o,
                             char *what, size_t size);

/* True when path is the folder folder itself or lies under it, at any
 * depth, through any path: symbolic links and ".." resolved for the part
 * that exists, "." and "//" taken out; or both exist and are the same
 * folder (a bind mount). Neither need exist. */
bool summary_path_within(const char *path, const char *folder);

/* True when the SQLite database db (NULL or a PostgreSQL URI: false) lies
 * in folder at any depth: the file itself, or the link named --db (its
 * .lock is made beside the file, its journal too). */
bool summary_path_db_within(const char *db, const char *folder);

/* path (the database when db: NULL or a PostgreSQL URI is false) lies in
 * the statements folder, which a report replaces or removes whole. When
 * that folder is a symbolic link (made to a share), the run replaces or
 * removes the link itself, never what it names (README, t8500): only a
 * path given through the link's own name lies in it then, not the same
 * files reached another way. */
bool summary_path_in_statements(const char *path, const char *folder,
                                bool db);

/* The file the symbolic link path names, which the summary replaces (or,
 * the first night, creates) while the link stays: realpath() when that file
 * exists; for a dangling link, its links followed one by one (at most 40),
 * since realpath() fails there and the link would otherwise be replaced by
 * a file, leaving the name monitoring reads never written. NULL when path
 * is not a link, or on a loop or an error (the link is then replaced).
 * Malloc'd. */
char *summary_path_link_target(const char *path);

#endif
