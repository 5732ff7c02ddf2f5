/* test_feed.c -- etl/feed.c: header mapping and every row rejection reason
 * of SPEC §2 that needs no database (the in-file key repeat is tested end
 * to end), table-driven: kind, header, row, and the expected outcome (NULL:
 * loads; else a piece of the reason). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "etl/feed.h"

#define REG_HDR "dealer_id,dealer_name,model,serial_number,registered_on," \
                "wmp_selected,removed_on"
#define DSP_HDR "dispatch_id,dispatched_at,model,serial_number,provider_id," \
                "customer_name,customer_postal_code,problem_code,status"
#define CLO_HDR "dealer_id,submitted_at,dispatch_id,serial_number,model," \
                "completed_on,technician,labor_hours,resolution_code,parts"

static const struct {
    enum feed_kind kind;
    const char *header, *row;
    const char *why;        /* NULL: the row loads */
} row_cases[] = {
    {FEED_REGISTRATIONS, REG_HDR, "D1,Acme,iPF8400S,AB1,2026-01-05,Y,", NULL},
    {FEED_REGISTRATIONS, REG_HDR, "D1,,iPF8400S,AB1,01/05/2026,,", NULL},
    {FEED_REGISTRATIONS, REG_HDR, " D1 ,,m,s,2026-01-05,no,2026-01-05", NULL},
    {FEED_REGISTRATIONS, REG_HDR, ",Acme,m,s,2026-01-05,Y,",
     "required dealer_id is blank"},
    {FEED_REGISTRATIONS, REG_HDR, "D1,Acme,  ,s,2026-01-05,Y,",
     "required model is blank"},
    {FEED_REGISTRATIONS, REG_HDR, "D1,Acme,m,,2026-01-05,Y,",
     "required serial_number is blank"},
    {FEED_REGISTRATIONS, REG_HDR, "D1,Acme,m,s,,Y,",
     "required registered_on is blank"},
    {FEED_REGISTRATIONS, REG_HDR, "D1,Acme,m,s,2026-02-30,Y,",
     "registered_on '2026-02-30' is not a valid date"},
    {FEED_REGISTRATIONS, REG_HDR, "D1,Acme,m,s,2026-01-05,maybe,",
     "wmp_selected 'maybe' is not a flag"},
    {FEED_REGISTRATIONS, REG_HDR, "D1,Acme,m,s,2026-01-05,Y,2026-01-04",
     "removed_on 2026-01-04 precedes registered_on 2026-01-05"},
    {FEED_REGISTRATIONS, REG_HDR, "D1,Acme,m,s,2026-01-05,Y,13/01/2026",
     "removed_on '13/01/2026' is not a valid date"},
    {FEED_REGISTRATIONS, REG_HDR, "D1,Acme,m,s,2026-01-05,Y",
     "has 6 fields, the header has 7"},
    {FEED_REGISTRATIONS, REG_HDR, "D1,Acme,m,s,2026-01-05,Y,,extra",
     "has 8 fields, the header has 7"},
    {FEED_DISPATCHES, DSP_HDR, "C1,2026-03-08 09:30,m,s,D1,Bob,10001,P1,open",
     NULL},
    {FEED_DISPATCHES, DSP_HDR, "C1,03/08/2026T09:30:00,m,s,,,,,", NULL},
    {FEED_DISPATCHES, DSP_HDR, "C1,2026-03-08,m,s,,,,,Cancelled", NULL},
    {FEED_DISPATCHES, DSP_HDR, "C1,2026-03-08 25:00,m,s,,,,,",
     "dispatched_at '2026-03-08 25:00' is not a valid date-time"},
    {FEED_DISPATCHES, DSP_HDR, "C1,2026-03-08,m,s,,,,,closed",
     "status 'closed' is not OPEN or CANCELLED"},
    {FEED_DISPATCHES, DSP_HDR, ",2026-03-08,m,s,,,,,",
     "required dispatch_id is blank"},
    {FEED_DISPATCHES, DSP_HDR, "C1,2026-03-08,m,s,,\"Caf\xC3\xA9\",,,", NULL},
    {FEED_DISPATCHES, DSP_HDR, "C1,2026-03-08,m,s,,Caf\xE9,,,",
     "customer_name is not valid UTF-8"},
    {FEED_DISPATCHES, DSP_HDR, "C1,2026-03-08,m,s,,\xC0\xAF,,,",
     "not valid UTF-8"},                               /* overlong */
    {FEED_DISPATCHES, DSP_HDR, "C1,2026-03-08,m,s,,\xED\xA0\x80,,,",
     "not valid UTF-8"},                               /* surrogate */
    /* A BOM starting a value that is not the file's start (issue 16);
     * each row here is read as a file of its own, whose first bytes csvin
     * strips of a BOM: hence a quote or a blank before it. */
    {FEED_DISPATCHES, DSP_HDR, "\"\xEF\xBB\xBF" "C1\",2026-03-08,m,s,,,,,",
     "dispatch_id starts with a byte-order mark (U+FEFF)"},
    {FEED_DISPATCHES, DSP_HDR, " \xEF\xBB\xBF" "C1,2026-03-08,m,s,,,,,",
     "dispatch_id starts with a byte-order mark"},
    {FEED_DISPATCHES, DSP_HDR, "C1,2026-03-08,m,s,,\xEF\xBB\xBF" "Bob,,,",
     "customer_name starts with a byte-order mark"},
    {FEED_DISPATCHES, DSP_HDR, "C1,2026-03-08,m,s,,Bob\xEF\xBB\xBF,,,", NULL},
    {FEED_DISPATCHES, DSP_HDR, "C1,2026-03-08,m,s,,\"=HYPERLINK(\"\"x\"\")\",,,",
     NULL},
    {FEED_CLOSEOUTS, CLO_HDR,
     "D1,2026-03-09 10:00,C1,s,m,2026-03-09,Tech,1.5,R1,", NULL},
    {FEED_CLOSEOUTS, CLO_HDR, "D1,2026-03-09,,,,,,,,", NULL},  /* Section 2
                                                     blanks load */
    {FEED_CLOSEOUTS, CLO_HDR, "D1,2026-03-09,C1,s,m,2026-03-09,T,0,R,", NULL},
    {FEED_CLOSEOUTS, CLO_HDR, "D1,2026-03-09,C1,s,m,2026-03-09,T,24,R,",
     NULL},
    {FEED_CLOSEOUTS, CLO_HDR, "D1,2026-03-09,C1,s,m,2026-03-09,T,24.01,R,",
     "labor_hours '24.01' is above 24"},
    {FEED_CLOSEOUTS, CLO_HDR, "D1,2026-03-09,C1,s,m,2026-03-09,T,-1,R,",
     "labor_hours '-1' is negative"},
    {FEED_CLOSEOUTS, CLO_HDR, "D1,2026-03-09,C1,s,m,2026-03-09,T,1h,R,",
     "labor_hours '1h' is not a decimal number"},
    {FEED_CLOSEOUTS, CLO_HDR, "D1,2026-03-09,C1,s,m,03/32/2026,T,1,R,",
     "completed_on '03/32/2026' is not a valid date"},
    {FEED_CLOSEOUTS, CLO_HDR, ",2026-03-09,C1,s,m,2026-03-09,T,1,R,",
     "required dealer_id is blank"},
    {FEED_CLOSEOUTS, CLO_HDR, "D1,,C1,s,m,2026-03-09,T,1,R,",
     "required submitted_at is blank"},
};

static struct csvin_record *record_of(const char *line, FILE **fp,
                                      struct csvin **r)
{
    const struct csvin_record *rec;
    struct diag d = {0};
    *fp = fmemopen((void *)line, strlen(line), "rb");
    *r = csvin_new(*fp, "t.csv", 0, NULL, NULL);
    assert_int_equal(csvin_next(*r, &rec, &d), 1);
    return (struct csvin_record *)rec;
}

static void test_rows(void **state)
{
    (void)state;
    struct feed_row *row = malloc(sizeof *row);
    for (size_t i = 0; i < sizeof row_cases / sizeof row_cases[0]; i++) {
        FILE *hf, *rf;
        struct csvin *hr, *rr;
        struct feed_header h;
        char why[512] = "", unknown[256];
        struct csvin_record *hdr = record_of(row_cases[i].header, &hf, &hr);
        if (feed_map_header(row_cases[i].kind, hdr, &h, why, sizeof why,
                            unknown, sizeof unknown) != 0)
            fail_msg("case %zu: header refused: %s", i, why);
        struct csvin_record *rec = record_of(row_cases[i].row, &rf, &rr);
        int rc = feed_check(&h, rec, row, why, sizeof why);
        if (row_cases[i].why == NULL && rc != 0)
            fail_msg("case %zu '%s': rejected: %s", i, row_cases[i].row, why);
        if (row_cases[i].why && (rc == 0 || !strstr(why, row_cases[i].why)))
            fail_msg("case %zu '%s': want '%s', got rc=%d '%s'", i,
                     row_cases[i].row, row_cases[i].why, rc, why);
        csvin_free(hr);
        csvin_free(rr);
        fclose(hf);
        fclose(rf);
    }
    free(row);
}

static void test_values(void **state)
{
    (void)state;
    struct feed_row *row = malloc(sizeof *row);
    FILE *hf, *rf;
    struct csvin *hr, *rr;
    struct feed_header h;
    char why[512], unknown[256];
    struct csvin_record *hdr = record_of(
        " STATUS ,Serial_Number,dispatch_id,Model,dispatched_at,Notes", &hf,
        &hr);
    assert_int_equal(feed_map_header(FEED_DISPATCHES, hdr, &h, why,
                                     sizeof why, unknown, sizeof unknown), 0);
    assert_string_equal(unknown, "'Notes'");
    assert_int_equal(h.col[DSP_STATUS], 0);
    assert_int_equal(h.col[DSP_PROVIDER], -1);
    struct csvin_record *rec = record_of(
        "cancelled,\" ipf-84 00s \",C9,TM-300,03/08/2026 09:30,n", &rf, &rr);
    assert_int_equal(feed_check(&h, rec, row, why, sizeof why), 0);
    const struct feed_value *serial = &row->v[DSP_SERIAL];
    assert_int_equal(serial->len, strlen("ipf-84 00s"));
    assert_memory_equal(serial->text, "ipf-84 00s", serial->len);
    assert_int_equal(serial->norm_len, strlen("IPF8400S"));
    assert_memory_equal(serial->norm, "IPF8400S", serial->norm_len);
    assert_string_equal(row->v[DSP_AT].iso, "2026-03-08 09:30:00");
    assert_true(row->v[DSP_STATUS].flag);           /* cancelled */
    assert_true(row->v[DSP_PROVIDER].blank);        /* column absent */
    csvin_free(hr);
    csvin_free(rr);
    fclose(hf);
    fclose(rf);
    free(row);
}

static const struct {
    enum feed_kind kind;
    const char *header, *why;
} header_cases[] = {
    {FEED_DISPATCHES, "dispatch_id,model,serial_number",
     "lacks required column 'dispatched_at'"},
    {FEED_CLOSEOUTS, "dealer_id,submitted_at,dispatch_id,serial_number,"
     "completed_on,technician,labor_hours",
     "lacks required column 'resolution_code'"},
    {FEED_CLOSEOUTS, "dealer_id,submitted_at",
     "lacks required columns 'dispatch_id', 'serial_number'"},
    {FEED_REGISTRATIONS, "dealer_id,model,MODEL,serial_number,registered_on",
     "names column 'model' twice"},
};

static void test_headers(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof header_cases / sizeof header_cases[0];
         i++) {
        FILE *hf;
        struct csvin *hr;
        struct feed_header h;
        char why[512] = "", unknown[256];
        struct csvin_record *hdr = record_of(header_cases[i].header, &hf, &hr);
        int rc = feed_map_header(header_cases[i].kind, hdr, &h, why,
                                 sizeof why, unknown, sizeof unknown);
        if (rc == 0 || !strstr(why, header_cases[i].why))
            fail_msg("case %zu: want '%s', got rc=%d '%s'", i,
                     header_cases[i].why, rc, why);
        csvin_free(hr);
        fclose(hf);
    }
}

static void test_long_field(void **state)
{
    (void)state;
    /* 32,767 bytes load; 32,768 are rejected (SPEC §2). */
    for (size_t n = FEED_MAX_FIELD_BYTES; n <= FEED_MAX_FIELD_BYTES + 1;
         n++) {
        size_t len = strlen("C1,2026-03-08,m,s,,") + n + 4;
        char *line = malloc(len + 1);
        int k = snprintf(line, len + 1, "C1,2026-03-08,m,s,,");
        memset(line + k, 'x', n);
        memcpy(line + k + n, ",,,", 4);
        struct feed_row *row = malloc(sizeof *row);
        FILE *hf, *rf;
        struct csvin *hr, *rr;
        struct feed_header h;
        char why[512] = "", unknown[64];
        feed_map_header(FEED_DISPATCHES, record_of(DSP_HDR, &hf, &hr), &h,
                        why, sizeof why, unknown, sizeof unknown);
        int rc = feed_check(&h, record_of(line, &rf, &rr), row, why,
                            sizeof why);
        if (n == FEED_MAX_FIELD_BYTES)
            assert_int_equal(rc, 0);
        else
            assert_non_null(strstr(why, "customer_name is 32768 bytes"));
        csvin_free(hr);
        csvin_free(rr);
        fclose(hf);
        fclose(rf);
        free(row);
        free(line);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_long_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
