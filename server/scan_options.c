/* Scan options as the API takes them (see jobs.h): the core's option table (core/options.c)
 * over the daemon's defaults, within the daemon's caps, and back. */
#include "imgeda/options.h"
#include "jobs.h"

/* What a scan gets before its options apply: the core's defaults, with workers, checkpoints
 * and the pixel limit from the daemon's configuration, and how the daemon runs analyses. */
static void daemon_defaults(const struct srv_config *cfg, struct ie_scan_options *o)
{
    ie_scan_options_init(o);
    o->workers = (int)cfg->workers;
    o->checkpoint_every = (int)cfg->checkpoint_every;
    o->max_pixels = cfg->max_pixels;
    o->isolate = cfg->isolate != 0;
    /* A time limit implies isolation (ie_scan_options_isolated); scan.isolate: false asks for
     * analysis in the daemon's threads, so it sets no limit rather than isolating anyway. */
    o->image_timeout_s = cfg->isolate ? (double)cfg->image_timeout_s : 0;
}

int srv_scan_options_from_json(const char *json, const struct srv_config *cfg,
                               struct ie_scan_options *o, struct ie_err *err)
{
    struct ie_scan_option_caps caps = {.workers = cfg->workers, .max_pixels = cfg->max_pixels};
    daemon_defaults(cfg, o);
    return ie_scan_options_apply_json(json, &caps, o, err);
}

cJSON *srv_scan_options_to_json(const struct ie_scan_options *o)
{
    return ie_scan_options_to_json(o);
}
