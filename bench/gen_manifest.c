/* bench_gen_manifest: writes a synthetic N-record manifest with realistic field values (seeded),
 * and optionally a derived "new" manifest in which a given share of the records is changed,
 * removed and added, for timing diff, gate and info on datasets of 10^6 images and more.
 * With --time-load FILE it instead times the ways of reading a manifest (raw lines, cJSON alone,
 * the slim loader diff and gate use, ie_manifest_load) to show where reading time goes.
 * DESIGN: records are built as struct ie_record and serialised with ie_record_to_json, so the
 * lines are exactly what a real scan writes (same keys, same float formatting, same length). */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdint.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "imgeda/lean.h"
#include "imgeda/manifest.h"
#include "imgeda/options.h"
#include "imgeda/record.h"
#include "imgeda/slim.h"
#include "imgeda/util.h"

static const char gen_usage[] =
    "usage: bench_gen_manifest -n N -o OLD [--new NEW] [--churn PCT] [--seed S]\n"
    "\n"
    "  -n, --records N     records in OLD (default 1000)\n"
    "  -o, --output OLD    manifest to write\n"
    "      --new NEW       also write NEW: OLD with PCT%% of records changed, PCT%% removed\n"
    "                      and PCT%% added (new paths)\n"
    "      --churn PCT     share for --new, in percent (default 1)\n"
    "  -s, --seed S        random seed (default 42); the same seed gives the same files\n"
    "      --time-load F   instead, time reading manifest F: raw lines, cJSON parse only,\n"
    "                      the slim loader (diff, gate), ie_manifest_load (full records)\n"
    "      --part K/N      instead, write OLD as shard K of N of an N*n-record dataset, as\n"
    "                      imgeda scan --shard K/N would: records (K-1)*n.. in path order,\n"
    "                      the scan settings of a default scan with that shard\n";

/* splitmix64: tiny, seedable, good enough for synthetic data. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

static int rng_range(uint64_t *s, int lo, int hi)
{
    return lo + (int)(rng_next(s) % (uint64_t)(hi - lo + 1));
}

/* A per-record generator seeded from (seed, id, version), so that a record can be rebuilt
 * identically for the new manifest or deliberately perturbed (version 1). */
static uint64_t record_seed(uint64_t seed, uint64_t id, uint64_t version)
{
    uint64_t s = seed ^ (id * 0xD1B54A32D192ED03ull) ^ (version * 0x8CB92BA72F3D8DD7ull);
    rng_next(&s);
    return s;
}

struct camera {
    const char *make, *model, *lens;
};
static const struct camera cameras[] = {
    {"Canon", "Canon EOS 5D Mark IV", "EF24-70mm f/2.8L II USM"},
    {"NIKON CORPORATION", "NIKON D850", "AF-S NIKKOR 24-120mm f/4G ED VR"},
    {"SONY", "ILCE-7M3", "FE 24-105mm F4 G OSS"},
    {"Apple", "iPhone 13 Pro", "iPhone 13 Pro back triple camera 5.7mm f/1.5"},
    {"samsung", "SM-G991B", NULL},
    {"FUJIFILM", "X-T4", "XF16-80mmF4 R OIS WR"},
};

static const int sizes[][2] = {
    {640, 480},   {1024, 768}, {1280, 720}, {1920, 1080}, {4032, 3024},
    {3000, 4000}, {512, 512},  {800, 600},  {6000, 4000}, {224, 224},
};

static void fill_hash(uint64_t *s, struct ie_hash256 *h)
{
    for (int i = 0; i < 4; i++)
        h->w[i] = rng_next(s);
}

/* Builds record id (version 0 = as in OLD, 1 = perturbed for NEW). About 2% of the records
 * share a perceptual hash with another one (duplicate groups), 0.5% are corrupt. */
static void make_record(uint64_t seed, uint64_t id, int version, struct ie_record *r)
{
    uint64_t s = record_seed(seed, id, 0);
    char buf[256];

    ie_record_init(r);
    snprintf(buf, sizeof(buf), "/data/datasets/coco_like/train/class_%03u/img_%08llu.%s",
             (unsigned)(id % 80), (unsigned long long)id, id % 7 == 0 ? "png" : "jpg");
    r->path = ie_xstrdup(buf);
    r->filename = ie_xstrdup(strrchr(buf, '/') + 1);
    r->file_size_bytes = 20000 + (int64_t)(rng_next(&s) % 8000000);
    r->mtime = 1700000000.0 + (double)(rng_next(&s) % 50000000) + 0.25;
    r->analyzed_at = ie_xstrdup("2025-06-01T10:00:00.123456+00:00");
    r->analyzer_version = ie_xstrdup(IE_ANALYZER_VERSION);
    snprintf(buf, sizeof(buf), "xxh3_128:%016llx%016llx", (unsigned long long)rng_next(&s),
             (unsigned long long)rng_next(&s));
    r->content_hash = ie_xstrdup(buf);
    r->num_frames = 1;
    r->bit_depth = 8;

    if (rng_unit(&s) < 0.005) {
        r->is_corrupt = true;
        r->error = ie_xstrdup("VipsJpeg: Premature end of JPEG file");
        return;
    }
    const int *wh = sizes[rng_next(&s) % IE_ARRAY_LEN(sizes)];
    r->width = wh[0];
    r->height = wh[1];
    bool png = id % 7 == 0;
    r->format = ie_xstrdup(png ? "PNG" : "JPEG");
    r->color_mode = ie_xstrdup(png && rng_unit(&s) < 0.3 ? "RGBA" : "RGB");
    r->num_channels = strcmp(r->color_mode, "RGBA") == 0 ? 4 : 3;
    r->aspect_ratio = ie_round((double)r->width / r->height, 4);

    if (!png && rng_unit(&s) < 0.6) {
        const struct camera *c = &cameras[rng_next(&s) % IE_ARRAY_LEN(cameras)];
        r->camera_make = ie_xstrdup(c->make);
        r->camera_model = ie_xstrdup(c->model);
        r->lens_model = c->lens ? ie_xstrdup(c->lens) : NULL;
        r->has_focal_length_mm = true;
        r->focal_length_mm = rng_range(&s, 14, 200);
        r->has_focal_length_35mm = true;
        r->focal_length_35mm = (int)(r->focal_length_mm * 1.5);
        r->has_iso_speed = true;
        r->iso_speed = 100 << rng_range(&s, 0, 5);
        r->has_f_number = true;
        r->f_number = rng_range(&s, 14, 160) / 10.0;
        r->has_exposure_time_sec = true;
        r->exposure_time_sec = 1.0 / (1 << rng_range(&s, 2, 12));
        snprintf(buf, sizeof(buf), "20%02d:%02d:%02d %02d:%02d:%02d", rng_range(&s, 10, 24),
                 rng_range(&s, 1, 12), rng_range(&s, 1, 28), rng_range(&s, 0, 23),
                 rng_range(&s, 0, 59), rng_range(&s, 0, 59));
        r->datetime_original = ie_xstrdup(buf);
        r->has_orientation_tag = true;
        r->orientation_tag = rng_unit(&s) < 0.8 ? 1 : 6;
        r->has_gps_data = rng_unit(&s) < 0.2;
        r->distortion_risk = ie_xstrdup(r->focal_length_35mm < 18   ? "high"
                                        : r->focal_length_35mm < 24 ? "medium"
                                                                    : "low");
    }

    struct ie_pixel_stats *p = &r->pixel_stats;
    r->has_pixel_stats = true;
    double b = rng_unit(&s) < 0.03 ? rng_unit(&s) * 40 : 30 + rng_unit(&s) * 200;
    p->mean_r = ie_round(b + rng_unit(&s) * 10 - 5, 4);
    p->mean_g = ie_round(b + rng_unit(&s) * 10 - 5, 4);
    p->mean_b = ie_round(b + rng_unit(&s) * 10 - 5, 4);
    p->std_r = ie_round(20 + rng_unit(&s) * 50, 4);
    p->std_g = ie_round(20 + rng_unit(&s) * 50, 4);
    p->std_b = ie_round(20 + rng_unit(&s) * 50, 4);
    p->mean_brightness = ie_round((p->mean_r + p->mean_g + p->mean_b) / 3, 4);
    p->min_val = rng_range(&s, 0, 20);
    p->max_val = rng_range(&s, 230, 255);
    r->is_dark = p->mean_brightness < 40;
    r->is_overexposed = p->mean_brightness > 220;

    struct ie_corner_stats *c = &r->corner_stats;
    r->has_corner_stats = true;
    c->center_mean = ie_round(b + rng_unit(&s) * 20 - 10, 4);
    c->corner_mean = rng_unit(&s) < 0.02 ? 2.0 : ie_round(b + rng_unit(&s) * 30 - 15, 4);
    c->border_mean = ie_round((c->corner_mean + c->center_mean) / 2, 4);
    c->delta = ie_round(c->corner_mean > c->center_mean ? c->corner_mean - c->center_mean
                                                        : c->center_mean - c->corner_mean,
                        4);
    r->has_border_artifact = c->delta > 50;

    /* Duplicates: 2% of the records take the hash of a record in a small shared pool. */
    r->has_phash = r->has_dhash = true;
    if (rng_unit(&s) < 0.02) {
        uint64_t hs = record_seed(seed ^ 0xD0Bu, id % 5000, 0);
        fill_hash(&hs, &r->phash);
    } else {
        fill_hash(&s, &r->phash);
    }
    fill_hash(&s, &r->dhash);
    r->has_blur_score = true;
    r->blur_score =
        ie_round(rng_unit(&s) < 0.05 ? rng_unit(&s) * 100 : 100 + rng_unit(&s) * 3000, 2);
    r->is_blurry = r->blur_score < 100;

    if (version == 1) {
        /* A re-encoded or edited file: new size and hash, sometimes new flags. */
        uint64_t v = record_seed(seed, id, 1);
        r->file_size_bytes += 1 + (int64_t)(rng_next(&v) % 10000);
        fill_hash(&v, &r->phash);
        if (rng_unit(&v) < 0.3)
            r->is_dark = !r->is_dark;
        if (rng_unit(&v) < 0.1) {
            free(r->format);
            r->format = ie_xstrdup("WEBP");
        }
    }
}

static int write_line(FILE *f, const struct ie_record *r)
{
    char *json = ie_record_to_json(r);
    int rc = fputs(json, f) < 0 || fputc('\n', f) < 0 ? -1 : 0;
    free(json);
    return rc;
}

static FILE *open_manifest(const char *path, const char *input_dir, long long total)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        return NULL;
    }
    char now[40];
    ie_now_iso(now, sizeof(now));
    char *header =
        ie_manifest_header_json(input_dir, "{\"generator\":\"bench_gen_manifest\"}", total, now);
    fputs(header, f);
    fputc('\n', f);
    free(header);
    return f;
}

static long peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

/* Times the ways of reading path, cheapest first (peak RSS only grows, so each figure is the
 * peak so far). */
static int time_load(const char *path)
{
    struct ie_err err = {0};
    char *line = NULL;
    size_t cap = 0, lines = 0;
    ssize_t n;
    double t0, raw, cjson, slim, full;
    FILE *f;

    if (!(f = fopen(path, "rb"))) {
        perror(path);
        return 1;
    }
    t0 = ie_mono_seconds();
    while ((n = getline(&line, &cap, f)) > 0)
        lines++;
    raw = ie_mono_seconds() - t0;
    rewind(f);
    t0 = ie_mono_seconds();
    while ((n = getline(&line, &cap, f)) > 0)
        cJSON_Delete(cJSON_ParseWithLength(line, (size_t)n));
    cjson = ie_mono_seconds() - t0;
    fclose(f);
    free(line);
    printf("%-44s %8.2f s  %9.0f lines/s\n", "read lines (getline)", raw, lines / raw);
    printf("%-44s %8.2f s  %9.0f lines/s\n", "cJSON_ParseWithLength + cJSON_Delete", cjson,
           lines / cjson);

    struct ie_slim_manifest sm;
    ie_slim_manifest_init(&sm);
    t0 = ie_mono_seconds();
    if (ie_slim_manifest_load(path, &sm, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    slim = ie_mono_seconds() - t0;
    printf("%-44s %8.2f s  %9.0f records/s  peak RSS %ld MB\n",
           "ie_slim_manifest_load (diff, gate)", slim, sm.n / slim, peak_rss_mb());
    ie_slim_manifest_release(&sm);

    /* The daemon's way: through a snapshot beside it, written by the first load. */
    char snap[4096];
    snprintf(snap, sizeof(snap), "%s.slimsnap", path);
    unlink(snap);
    for (int pass = 0; pass < 2; pass++) {
        ie_slim_manifest_init(&sm);
        t0 = ie_mono_seconds();
        if (ie_slim_manifest_load_cached(path, snap, &sm, &err) < 0) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        double t = ie_mono_seconds() - t0;
        printf("%-44s %8.2f s  %9.0f records/s  peak RSS %ld MB\n",
               pass ? "ie_slim_manifest_load_cached, from snapshot"
                    : "ie_slim_manifest_load_cached, writing it",
               t, sm.n / t, peak_rss_mb());
        ie_slim_manifest_release(&sm);
    }
    unlink(snap);

    /* The daemon's results read this (the lean manifest, imgeda/lean.h). */
    struct ie_lean_manifest lm;
    ie_lean_manifest_init(&lm);
    t0 = ie_mono_seconds();
    if (ie_lean_manifest_load(path, &lm, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    double lean = ie_mono_seconds() - t0;
    printf("%-44s %8.2f s  %9.0f records/s  peak RSS %ld MB\n",
           "ie_lean_manifest_load (daemon results)", lean, lm.n / lean, peak_rss_mb());
    ie_lean_manifest_release(&lm);

    struct ie_manifest m;
    ie_manifest_init(&m);
    t0 = ie_mono_seconds();
    if (ie_manifest_load(path, &m, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    full = ie_mono_seconds() - t0;
    printf("%-44s %8.2f s  %9.0f records/s  peak RSS %ld MB\n",
           "ie_manifest_load (cJSON + ie_record)", full, m.n / full, peak_rss_mb());
    printf("cJSON parsing is %.0f%% of ie_manifest_load; the slim loader takes %.0f%% of "
           "ie_manifest_load's time\n",
           100 * cjson / full, 100 * slim / full);
    ie_manifest_release(&m);
    return 0;
}

static int cmp_line_path(const void *a, const void *b)
{
    /* Every generated line starts with {"path":"...", and no path holds a quote. */
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One part of a sharded scan (bench/merge): what imgeda scan --shard K/N writes, records in
 * path order under the header of a default scan with that shard. */
static int write_part(const char *path, uint64_t seed, long long n, const char *part)
{
    struct ie_scan_options o;
    struct ie_record r;
    char **lines = ie_xcalloc(n ? (size_t)n : 1, sizeof(char *));
    char now[40];
    int rc = 1;
    FILE *f = NULL;

    ie_scan_options_init(&o);
    o.workers = 2;
    if (ie_shard_parse(part, IE_SHARD_MAX, &o.shard) < 0) {
        fprintf(stderr, "--part needs K/N, not '%s'\n", part);
        goto out;
    }
    for (long long i = 0; i < n; i++) {
        make_record(seed, (uint64_t)((long long)(o.shard.index - 1) * n + i), 0, &r);
        lines[i] = ie_record_to_json(&r);
        ie_record_release(&r);
    }
    qsort(lines, (size_t)n, sizeof(char *), cmp_line_path);
    char *settings = ie_scan_options_settings_json(&o);
    ie_now_iso(now, sizeof(now));
    char *header = ie_manifest_header_json("/data/datasets/coco_like", settings, n, now);
    free(settings);
    if ((f = fopen(path, "wb"))) {
        fprintf(f, "%s\n", header);
        for (long long i = 0; i < n; i++)
            fprintf(f, "%s\n", lines[i]);
        rc = fclose(f) == 0 ? 0 : 1;
    } else {
        perror(path);
    }
    free(header);
out:
    for (long long i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"records", required_argument, NULL, 'n'},
        {"output", required_argument, NULL, 'o'},
        {"new", required_argument, NULL, 'N'},
        {"churn", required_argument, NULL, 'c'},
        {"seed", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {"time-load", required_argument, NULL, 'T'},
        {"part", required_argument, NULL, 'P'},
        {NULL, 0, NULL, 0},
    };
    long long n = 1000;
    uint64_t seed = 42;
    double churn = 1.0;
    const char *old_path = NULL, *new_path = NULL, *part = NULL;
    FILE *fo = NULL, *fn = NULL;
    struct ie_record r;
    int c, rc = 1;

    while ((c = getopt_long(argc, argv, "n:o:s:h", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            n = atoll(optarg);
            break;
        case 'o':
            old_path = optarg;
            break;
        case 'N':
            new_path = optarg;
            break;
        case 'c':
            churn = atof(optarg);
            break;
        case 's':
            seed = strtoull(optarg, NULL, 10);
            break;
        case 'h':
            fputs(gen_usage, stdout);
            return 0;
        case 'T':
            return time_load(optarg);
        case 'P':
            part = optarg;
            break;
        default:
            fputs(gen_usage, stderr);
            return 1;
        }
    }
    if (!old_path || n < 0 || churn < 0 || churn > 30) {
        fputs(gen_usage, stderr);
        return 1;
    }
    if (part)
        return write_part(old_path, seed, n, part);
    /* Every record id falls in one churn class: 0 = kept, 1 = changed, 2 = removed; ids from
     * n upwards are the added ones. */
    uint64_t threshold = (uint64_t)(churn / 100.0 * 1e6);
    long long added = (long long)((double)n * churn / 100.0);
    fo = open_manifest(old_path, "/data/datasets/coco_like", n);
    if (!fo)
        goto out;
    if (new_path && !(fn = open_manifest(new_path, "/data/datasets/coco_like", n)))
        goto out;
    ie_record_init(&r);
    for (long long id = 0; id < n; id++) {
        uint64_t cs = record_seed(seed ^ 0xC4u, (uint64_t)id, 0);
        uint64_t cls = rng_next(&cs) % 1000000;
        int kind = cls < threshold ? 1 : cls < 2 * threshold ? 2 : 0;
        make_record(seed, (uint64_t)id, 0, &r);
        if (write_line(fo, &r) < 0)
            goto write_failed;
        if (fn && kind != 2) {
            if (kind == 1) {
                ie_record_release(&r);
                make_record(seed, (uint64_t)id, 1, &r);
            }
            if (write_line(fn, &r) < 0)
                goto write_failed;
        }
        ie_record_release(&r);
    }
    for (long long id = n; fn && id < n + added; id++) {
        make_record(seed, (uint64_t)id, 0, &r);
        if (write_line(fn, &r) < 0)
            goto write_failed;
        ie_record_release(&r);
    }
    rc = 0;
    goto out;
write_failed:
    perror("write");
    ie_record_release(&r);
out:
    if (fo && fclose(fo) != 0)
        rc = 1;
    if (fn && fclose(fn) != 0)
        rc = 1;
    return rc;
}
