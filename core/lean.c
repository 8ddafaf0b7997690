/* The lean manifest (see imgeda/lean.h): a manifest's records with only the fields results read. */
#include <stdlib.h>
#include <string.h>

#include "imgeda/lean.h"
#include "imgeda/manifest.h"
#include "imgeda/strmap.h"
#include "imgeda/util.h"
#include "slim_internal.h"

void ie_lean_manifest_init(struct ie_lean_manifest *m)
{
    memset(m, 0, sizeof(*m));
    ie_slim_manifest_init(&m->strings);
}

void ie_lean_manifest_release(struct ie_lean_manifest *m)
{
    free(m->recs);
    free(m->settings_json);
    ie_slim_manifest_release(&m->strings);
    ie_lean_manifest_init(m);
}

/* A copy in the arena; NULL stays NULL (JSON null and a missing key differ from ""). */
static const char *keep(struct ie_lean_manifest *m, const char *s)
{
    return s ? ie__slim_strndup(&m->strings, s, strlen(s)) : NULL;
}

/* One copy per distinct text; NULL stays NULL. */
static const char *intern(struct ie_lean_manifest *m, const char *s)
{
    return s ? ie__slim_intern(&m->strings, s, strlen(s)) : NULL;
}

static uint16_t flags_of(const struct ie_record *r)
{
    return (uint16_t)((r->is_corrupt ? IE_LEAN_F_CORRUPT : 0) | (r->is_dark ? IE_LEAN_F_DARK : 0) |
                      (r->is_overexposed ? IE_LEAN_F_OVEREXPOSED : 0) |
                      (r->has_border_artifact ? IE_LEAN_F_ARTIFACT : 0) |
                      (r->is_blurry ? IE_LEAN_F_BLURRY : 0) | (r->has_phash ? IE_LEAN_F_PHASH : 0) |
                      (r->has_pixel_stats ? IE_LEAN_F_PIXEL_STATS : 0) |
                      (r->has_corner_stats ? IE_LEAN_F_CORNER_STATS : 0) |
                      (r->has_blur_score ? IE_LEAN_F_BLUR_SCORE : 0) |
                      (r->has_iso_speed ? IE_LEAN_F_ISO : 0) |
                      (r->has_focal_length_35mm ? IE_LEAN_F_FOCAL35 : 0) |
                      (r->has_orientation_tag ? IE_LEAN_F_ORIENTATION : 0) |
                      (r->has_gps_data ? IE_LEAN_F_GPS : 0));
}

static void lean_from(struct ie_lean_manifest *m, const struct ie_record *r,
                      struct ie_lean_record *l)
{
    const struct ie_pixel_stats *p = &r->pixel_stats;
    l->path = keep(m, r->path);
    /* The filename is nearly always the path's last part: then it shares the path's bytes. */
    size_t pl = strlen(l->path), fl = r->filename ? strlen(r->filename) : 0;
    if (r->filename && fl <= pl && strcmp(l->path + pl - fl, r->filename) == 0)
        l->filename = l->path + pl - fl;
    else
        l->filename = keep(m, r->filename);
    l->content_hash = keep(m, r->content_hash);
    l->error = keep(m, r->error);
    l->format = intern(m, r->format);
    l->color_mode = intern(m, r->color_mode);
    l->camera_make = intern(m, r->camera_make);
    l->camera_model = intern(m, r->camera_model);
    l->distortion_risk = intern(m, r->distortion_risk);
    l->file_size_bytes = r->file_size_bytes;
    l->aspect_ratio = r->aspect_ratio;
    l->blur_score = r->blur_score;
    l->corner_delta = r->corner_stats.delta;
    l->mean_r = p->mean_r;
    l->mean_g = p->mean_g;
    l->mean_b = p->mean_b;
    l->std_r = p->std_r;
    l->std_g = p->std_g;
    l->std_b = p->std_b;
    l->mean_brightness = p->mean_brightness;
    l->phash = r->phash;
    l->width = r->width;
    l->height = r->height;
    l->iso_speed = r->iso_speed;
    l->focal_length_35mm = r->focal_length_35mm;
    l->orientation_tag = r->orientation_tag;
    l->flags = flags_of(r);
}

int ie_lean_manifest_load(const char *path, struct ie_lean_manifest *m, struct ie_err *err)
{
    struct ie_manifest_reader *rd = NULL;
    struct ie_strmap index;
    struct ie_record rec;
    int rc;

    ie_strmap_init(&index);
    ie_record_init(&rec);
    rc = ie_manifest_reader_open(path, &rd, err);
    if (rc < 0)
        goto out;
    while ((rc = ie_manifest_reader_next(rd, &rec, NULL, NULL, err)) == 1) {
        struct ie_lean_record l;
        size_t at;
        lean_from(m, &rec, &l);
        /* ie_manifest_load's rule: a path seen before keeps its place and takes the new
         * record (the old path text stays in the arena, unused). */
        if (ie_strmap_get(&index, l.path, &at)) {
            m->replaced++;
        } else {
            ie_grow((void **)&m->recs, &m->cap, m->n + 1, sizeof(*m->recs));
            at = m->n++;
        }
        m->recs[at] = l;
        ie_strmap_put(&index, l.path, at);
    }
    if (rc < 0)
        goto out;
    m->skipped_lines = ie_manifest_reader_skipped(rd);
    const char *settings = ie_manifest_reader_meta(rd)->settings_json;
    m->settings_json = settings ? ie_xstrdup(settings) : NULL;
    rc = 0;
out:
    ie_record_release(&rec);
    ie_strmap_release(&index);
    ie_manifest_reader_free(rd);
    return rc;
}

void ie_lean_manifest_record(const struct ie_lean_manifest *m, size_t i, struct ie_record *out)
{
    const struct ie_lean_record *l = &m->recs[i];
    unsigned f = l->flags;
    memset(out, 0, sizeof(*out));
    /* The record's strings are borrowed: the casts drop a const the record type lacks. */
    out->path = (char *)l->path;
    out->filename = (char *)l->filename;
    out->content_hash = (char *)l->content_hash;
    out->error = (char *)l->error;
    out->format = (char *)l->format;
    out->color_mode = (char *)l->color_mode;
    out->camera_make = (char *)l->camera_make;
    out->camera_model = (char *)l->camera_model;
    out->distortion_risk = (char *)l->distortion_risk;
    out->file_size_bytes = l->file_size_bytes;
    out->aspect_ratio = l->aspect_ratio;
    out->width = l->width;
    out->height = l->height;
    out->has_iso_speed = f & IE_LEAN_F_ISO;
    out->iso_speed = l->iso_speed;
    out->has_focal_length_35mm = f & IE_LEAN_F_FOCAL35;
    out->focal_length_35mm = l->focal_length_35mm;
    out->has_orientation_tag = f & IE_LEAN_F_ORIENTATION;
    out->orientation_tag = l->orientation_tag;
    out->has_gps_data = f & IE_LEAN_F_GPS;
    out->has_pixel_stats = f & IE_LEAN_F_PIXEL_STATS;
    out->pixel_stats.mean_r = l->mean_r;
    out->pixel_stats.mean_g = l->mean_g;
    out->pixel_stats.mean_b = l->mean_b;
    out->pixel_stats.std_r = l->std_r;
    out->pixel_stats.std_g = l->std_g;
    out->pixel_stats.std_b = l->std_b;
    out->pixel_stats.mean_brightness = l->mean_brightness;
    out->has_corner_stats = f & IE_LEAN_F_CORNER_STATS;
    out->corner_stats.delta = l->corner_delta;
    out->has_phash = f & IE_LEAN_F_PHASH;
    out->phash = l->phash;
    out->has_blur_score = f & IE_LEAN_F_BLUR_SCORE;
    out->blur_score = l->blur_score;
    out->is_corrupt = f & IE_LEAN_F_CORRUPT;
    out->is_dark = f & IE_LEAN_F_DARK;
    out->is_overexposed = f & IE_LEAN_F_OVEREXPOSED;
    out->has_border_artifact = f & IE_LEAN_F_ARTIFACT;
    out->is_blurry = f & IE_LEAN_F_BLURRY;
}

static const struct ie_record *lean_get(const void *ud, size_t i, struct ie_record *tmp)
{
    ie_lean_manifest_record(ud, i, tmp);
    return tmp;
}

struct ie_recsrc ie_lean_manifest_src(const struct ie_lean_manifest *m)
{
    struct ie_recsrc s = {NULL, m->n, lean_get, m};
    return s;
}
