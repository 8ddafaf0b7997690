/* Fuzzes the daemon's query-string parameters as the handlers use them: the input is a query
 * string ("flag=dark&sort=-blur_score&limit=20"), split at '&' and '=' as libmicrohttpd hands
 * the values over (already decoded, so any bytes but NUL), then
 *   - GET .../images: limit and cursor (srv_api_parse_int), flag, q, format and sort, run by
 *     srv_store_query_images on a migrated in-memory database holding one indexed manifest;
 *   - GET /api/v1/scans: status, limit and cursor through srv_store_list_scans;
 *   - size, threshold, dpi, sample and an image id: srv_api_parse_int with the handlers' ranges.
 * Checks: a number is accepted only in its range; a page is JSON with at most limit records and
 * a total; a refused flag or sort is IE_EINVAL naming the parameter. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_text.h"
#include "api_internal.h"
#include "db.h"
#include "imgeda/duplicates.h"
#include "imgeda/util.h"
#include "store.h"

#define SCAN_ID    "00112233445566778899aabbccddeeff"
#define MAX_PARAMS 16

static sqlite3 *db;

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "%s:\n%s\n", what, detail);
    abort();
}

/* A scan row with the fixture manifest tests/fixtures/manifests/mixed.jsonl indexed. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct ie_err err = {0};
    struct srv_scan_row row = {0};
    (void)argc;
    (void)argv;
    if (srv_db_open(":memory:", &db, &err) < 0 || srv_db_migrate(db, &err) < 0)
        fail("cannot make the database", err.msg);
    row.id = ie_xstrdup(SCAN_ID);
    row.name = ie_xstrdup("fuzz");
    row.root = ie_xstrdup("/ds");
    row.status = ie_xstrdup("succeeded");
    row.options_json = ie_xstrdup("{}");
    row.manifest_path = ie_xstrdup(IE_FIXTURES "/manifests/mixed.jsonl");
    row.created_at = ie_xstrdup("2025-06-01T10:00:00.000000+00:00");
    row.seq = 1;
    if (srv_store_insert_scan(db, &row, &err) < 0 ||
        srv_store_index_manifest(db, SCAN_ID, row.manifest_path, NULL, NULL, &err) < 0)
        fail("cannot index the fixture manifest", err.msg);
    srv_scan_row_release(&row);
    return 0;
}

struct params {
    char *key[MAX_PARAMS], *value[MAX_PARAMS];
    size_t n;
};

/* The last value given for key (as MHD_lookup_connection_value), or NULL. */
static const char *param(const struct params *p, const char *key)
{
    const char *v = NULL;
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->key[i], key) == 0)
            v = p->value[i];
    return v;
}

/* srv_api_parse_int, checked: accepted only within lo..hi, and an absent value leaves *out. */
static bool parse_int(const char *s, long long lo, long long hi, long long *out)
{
    long long before = *out;
    bool ok = srv_api_parse_int(s, lo, hi, out);
    if ((ok && (*out < lo || *out > hi) && s) || (!s && (!ok || *out != before)) ||
        (!ok && *out != before))
        fail("srv_api_parse_int broke its contract on", s ? s : "(absent)");
    return ok;
}

/* A page of JSON: an object with an array under list of at most limit entries and, for images,
 * a total at least as large as what the page shows past the cursor. */
static void check_page(const char *json, const char *list, long long limit)
{
    cJSON *o = cJSON_Parse(json);
    cJSON *items = cJSON_GetObjectItemCaseSensitive(o, list);
    if (!cJSON_IsArray(items) || cJSON_GetArraySize(items) > limit)
        fail("a page that is not JSON or holds more than its limit", json);
    cJSON *total = cJSON_GetObjectItemCaseSensitive(o, "total");
    if (total && (!cJSON_IsNumber(total) || total->valuedouble < 0))
        fail("a page with a bad total", json);
    cJSON_Delete(o);
}

static void check_refused_param(const struct ie_err *err, int rc)
{
    if (rc != IE_EINVAL ||
        (strncmp(err->msg, "flag: ", 6) != 0 && strncmp(err->msg, "sort: ", 6) != 0))
        fail("a refused page names neither flag nor sort", err->msg);
}

static void fuzz_images(const struct params *p)
{
    long long limit = 50, cursor = 0;
    struct ie_err err = {0};
    char *out = NULL;
    size_t len = 0;
    if (!parse_int(param(p, "limit"), 1, 1000, &limit) ||
        !parse_int(param(p, "cursor"), 0, LLONG_MAX, &cursor))
        return;
    struct srv_image_query q = {.flag = param(p, "flag"),
                                .q = param(p, "q"),
                                .format = param(p, "format"),
                                .sort = param(p, "sort"),
                                .limit = (int)limit,
                                .cursor = cursor};
    int rc = srv_store_query_images(db, SCAN_ID, &q, &out, &len, &err);
    if (rc < 0)
        check_refused_param(&err, rc);
    else if (strlen(out) != len)
        fail("a page's length is not its text's", out);
    else
        check_page(out, "images", limit);
    free(out);
}

static void fuzz_scan_list(const struct params *p)
{
    long long limit = 50, cursor = LLONG_MAX;
    struct ie_err err = {0};
    cJSON *out = NULL;
    if (!parse_int(param(p, "limit"), 1, 500, &limit) ||
        !parse_int(param(p, "cursor"), 0, LLONG_MAX, &cursor))
        return;
    if (srv_store_list_scans(db, param(p, "status"), (int)limit, cursor, &out, &err) < 0)
        fail("listing scans failed", err.msg);
    char *text = cJSON_PrintUnformatted(out);
    check_page(text, "scans", limit);
    free(text);
    cJSON_Delete(out);
}

static void fuzz_numbers(const struct params *p)
{
    long long v = 0;
    parse_int(param(p, "size"), 16, 1024, &v);
    parse_int(param(p, "threshold"), 0, IE_HASH_INDEX_MAX_THRESHOLD, &v);
    parse_int(param(p, "dpi"), 30, 600, &v);
    parse_int(param(p, "sample"), 0, 100000000, &v);
    parse_int(param(p, "id"), 1, LLONG_MAX, &v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct params p = {0};
    /* Values reach the handlers as C strings: a NUL ends the query. */
    char *text = fuzz_text(data, size), *save = NULL;
    for (char *kv = strtok_r(text, "&", &save); kv && p.n < MAX_PARAMS;
         kv = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            continue; /* a key without '=' has no value: the handlers see it as absent */
        *eq = '\0';
        p.key[p.n] = kv;
        p.value[p.n++] = eq + 1;
    }
    fuzz_images(&p);
    fuzz_scan_list(&p);
    fuzz_numbers(&p);
    free(text);
    return 0;
}
