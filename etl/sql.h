/* sql.h -- the SQL of schemas/, compiled in by the Makefile (each file
 * becomes a NUL-terminated array named sql_<file name without .sql>). */
#ifndef SVC_SQL_H
#define SVC_SQL_H

extern const char sql_001_tables[];
extern const char sql_r010_context[];
extern const char sql_rules[];         /* schemas/r0[2-9]*.sql, in order */
extern const char sql_q_insert_registration[];
extern const char sql_q_insert_dispatch[];
extern const char sql_q_insert_closeout[];
extern const char sql_q_earlier_registration[];
extern const char sql_q_earlier_dispatch[];
extern const char sql_q_earlier_closeout[];

#endif
