/* GeneratePlots: the plots `imgeda plot all` renders, as PNG, from the merged manifest (with the
 * thresholds of its header), rendered in memory and written to plots/<type>.png. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "imgeda/manifest.h"
#include "imgeda/plot.h"
#include "imgeda/util.h"

int lam_generate_plots(struct lam_ctx *ctx, const cJSON *event, cJSON **result, struct ie_err *err)
{
    struct lam_run run;
    struct ie_manifest m;
    struct ie_plot_opts po;
    struct ie_buf png;
    char name[96];
    cJSON *keys = cJSON_CreateArray();
    int rc;

    ie_manifest_init(&m);
    ie_buf_init(&png);
    ie_plot_opts_init(&po);
    if ((rc = lam_load_manifest(ctx, event, &run, &m, NULL, err)) < 0)
        goto out;
    if (m.meta.present)
        ie_plot_opts_apply_settings(&po, m.meta.settings_json);
    for (int t = 0; t < IE_PLOT_NTYPES && rc == 0; t++) {
        ie_buf_reset(&png);
        if ((rc = ie_plot_render(m.recs, m.n, (enum ie_plot_type)t, &po, &png, err)) < 0)
            break;
        snprintf(name, sizeof(name), "plots/%s.png", ie_plot_type_file_stem((enum ie_plot_type)t));
        char *key = lam_run_output_key(&run, name);
        rc = eng_s3_put(ctx->s3, run.output_bucket, key, png.data, png.len, "image/png", err);
        cJSON_AddItemToArray(keys, cJSON_CreateString(key));
        free(key);
    }
    if (rc == 0) {
        *result = lam_result_with(event, "plots", keys);
        keys = NULL;
    }
out:
    cJSON_Delete(keys);
    ie_buf_release(&png);
    ie_manifest_release(&m);
    lam_run_release(&run);
    return rc;
}
