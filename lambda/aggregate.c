/* Aggregate: the merged manifest's dataset summary, the JSON `imgeda info --json` prints
 * (ie_summary_info_cjson), written to summary/summary.json. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "imgeda/manifest.h"
#include "imgeda/summary.h"
#include "imgeda/util.h"

int lam_aggregate(struct lam_ctx *ctx, const cJSON *event, cJSON **result, struct ie_err *err)
{
    struct lam_run run;
    struct ie_manifest m;
    struct ie_summary s;
    char *url = NULL, *key = NULL, *text = NULL;
    int rc;

    ie_manifest_init(&m);
    ie_summary_init(&s);
    if ((rc = lam_load_manifest(ctx, event, &run, &m, &url, err)) < 0)
        goto out;
    ie_summary_compute(m.recs, m.n, &s);
    cJSON *o = ie_summary_info_cjson(&s, url, &m);
    text = cJSON_Print(o);
    cJSON_Delete(o);
    if (!text)
        abort(); /* cJSON fails only when out of memory */
    key = lam_run_output_key(&run, "summary/summary.json");
    if ((rc = eng_s3_put(ctx->s3, run.output_bucket, key, text, strlen(text), "application/json",
                         err)) < 0)
        goto out;
    cJSON *sum = cJSON_CreateObject();
    cJSON_AddStringToObject(sum, "key", key);
    cJSON_AddNumberToObject(sum, "total_images", (double)s.total_images);
    cJSON_AddNumberToObject(sum, "corrupt_count", (double)s.corrupt_count);
    *result = lam_result_with(event, "summary", sum);
out:
    free(url);
    free(key);
    free(text);
    ie_summary_release(&s);
    ie_manifest_release(&m);
    lam_run_release(&run);
    return rc;
}
