/* sql.h -- the SQL of schemas/, compiled in by the Makefile (each file
 * becomes a NUL-terminated array named sql_<file name without .sql>). */
#ifndef SVC_SQL_H
#define SVC_SQL_H

extern const char sql_001_tables[];
extern const char sql_002_report_history[];
extern const char sql_003_report_output[];
extern const char sql_q_report_stamp[];
extern const char sql_q_report_output_get[];
extern const char sql_q_report_output_put[];
extern const char sql_r010_context[];
extern const char sql_rules[];         /* schemas/r0[2-9]*.sql, in order */
extern const char sql_q_insert_registration[];
extern const char sql_q_insert_dispatch[];
extern const char sql_q_insert_closeout[];
extern const char sql_q_earlier_registration[];
extern const char sql_q_earlier_dispatch[];
extern const char sql_q_earlier_closeout[];

/* reports/: the rule context and the workbooks' queries (SPEC §4). */
extern const char sql_q_report_context[];
extern const char sql_q_report_bucket[];
extern const char sql_q_unclosed_listing[];
extern const char sql_q_unclosed_by_bucket[];
extern const char sql_q_unclosed_by_provider[];
extern const char sql_q_noncomp_listing[];
extern const char sql_q_noncomp_by_reason[];
extern const char sql_q_noncomp_by_dealer[];
extern const char sql_q_audit_files[];
extern const char sql_q_audit_warnings[];
extern const char sql_q_audit_rejected[];
extern const char sql_q_audit_reg_exceptions[];

/* reports/: the previous report (README "Changes since the previous
 * report"): TEMP comparison tables, their queries, and the recording. */
extern const char sql_history_changes[];
extern const char sql_history_record[];
extern const char sql_q_changes_listing[];
extern const char sql_q_changes_counts[];

/* etl/explain.c: the story of one call, read from the rule tables. */
extern const char sql_q_explain_source[];
extern const char sql_q_explain_versions[];
extern const char sql_q_explain_standing[];
extern const char sql_q_explain_registrations[];
extern const char sql_q_explain_registration_exceptions[];
extern const char sql_q_explain_closeouts[];
extern const char sql_q_explain_closeout_reasons[];
extern const char sql_q_explain_serial_dispatches[];
extern const char sql_q_explain_rejected[];

#endif
