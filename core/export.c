/* Manifest export to CSV and JSONL, and the column model shared with the SQLite exporter (see
 * imgeda/export.h).
 * DESIGN: two passes over the manifest. The first (ie_manifest_reader) keeps, per path (as a
 * 128-bit hash, core/path_index.c: ~36 bytes a path in all), the offset and length of its
 * latest record line; the second reads exactly those lines back with
 * pread, in first-seen order, so an export never holds more than one record, and a manifest
 * that a scan is still appending to exports consistently (appends never move earlier bytes).
 * JSONL copies the lines as written (unknown keys survive); CSV re-parses each line into a
 * record so missing keys get their defaults. The CSV's column order and names are imgeda's
 * (csv_order and csv_renamed below); SQLite keeps the record's flattened key names (columns). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "imgeda/export.h"
#include "imgeda/parquet.h"
#include "internal.h"

const char *ie_export_format_name(enum ie_export_format f)
{
    switch (f) {
    case IE_EXPORT_CSV:
        return "csv";
    case IE_EXPORT_JSONL:
        return "jsonl";
    case IE_EXPORT_SQLITE:
        return "sqlite";
    case IE_EXPORT_PARQUET:
        return "parquet";
    }
    return "?";
}

int ie_export_format_parse(const char *s, enum ie_export_format *out, struct ie_err *err)
{
    static const enum ie_export_format all[] = {IE_EXPORT_CSV, IE_EXPORT_JSONL, IE_EXPORT_SQLITE,
                                                IE_EXPORT_PARQUET};
    for (size_t i = 0; i < IE_ARRAY_LEN(all); i++) {
        if (strcasecmp(s, ie_export_format_name(all[i])) == 0) {
            *out = all[i];
            return 0;
        }
    }
    return ie_err_set(err, IE_EINVAL, "unknown export format '%s' (csv, jsonl, sqlite, parquet)",
                      s);
}

/* ---- columns ---- */

enum col_id {
    C_PATH,
    C_FILENAME,
    C_FILE_SIZE_BYTES,
    C_MTIME,
    C_WIDTH,
    C_HEIGHT,
    C_FORMAT,
    C_COLOR_MODE,
    C_NUM_CHANNELS,
    C_ASPECT_RATIO,
    C_CAMERA_MAKE,
    C_CAMERA_MODEL,
    C_LENS_MODEL,
    C_FOCAL_LENGTH_MM,
    C_FOCAL_LENGTH_35MM,
    C_ISO_SPEED,
    C_F_NUMBER,
    C_EXPOSURE_TIME_SEC,
    C_DATETIME_ORIGINAL,
    C_ORIENTATION_TAG,
    C_HAS_GPS_DATA,
    C_DISTORTION_RISK,
    C_BLUR_SCORE,
    C_IS_BLURRY,
    C_PHASH,
    C_DHASH,
    C_IS_CORRUPT,
    C_IS_DARK,
    C_IS_OVEREXPOSED,
    C_HAS_BORDER_ARTIFACT,
    C_ANALYZED_AT,
    C_ANALYZER_VERSION,
    C_PS_MEAN_R,
    C_PS_MEAN_G,
    C_PS_MEAN_B,
    C_PS_STD_R,
    C_PS_STD_G,
    C_PS_STD_B,
    C_PS_MEAN_BRIGHTNESS,
    C_PS_MIN_VAL,
    C_PS_MAX_VAL,
    C_CS_CORNER_MEAN,
    C_CS_CENTER_MEAN,
    C_CS_BORDER_MEAN,
    C_CS_DELTA,
    C_CONTENT_HASH,
    C_ERROR,
    C_BIT_DEPTH,
    C_NUM_FRAMES,
    C_COUNT
};

static const struct ie_export_column columns[C_COUNT] = {
    [C_PATH] = {"path", IE_EXPORT_TEXT},
    [C_FILENAME] = {"filename", IE_EXPORT_TEXT},
    [C_FILE_SIZE_BYTES] = {"file_size_bytes", IE_EXPORT_INT},
    [C_MTIME] = {"mtime", IE_EXPORT_REAL},
    [C_WIDTH] = {"width", IE_EXPORT_INT},
    [C_HEIGHT] = {"height", IE_EXPORT_INT},
    [C_FORMAT] = {"format", IE_EXPORT_TEXT},
    [C_COLOR_MODE] = {"color_mode", IE_EXPORT_TEXT},
    [C_NUM_CHANNELS] = {"num_channels", IE_EXPORT_INT},
    [C_ASPECT_RATIO] = {"aspect_ratio", IE_EXPORT_REAL},
    [C_CAMERA_MAKE] = {"camera_make", IE_EXPORT_TEXT},
    [C_CAMERA_MODEL] = {"camera_model", IE_EXPORT_TEXT},
    [C_LENS_MODEL] = {"lens_model", IE_EXPORT_TEXT},
    [C_FOCAL_LENGTH_MM] = {"focal_length_mm", IE_EXPORT_REAL},
    [C_FOCAL_LENGTH_35MM] = {"focal_length_35mm", IE_EXPORT_INT},
    [C_ISO_SPEED] = {"iso_speed", IE_EXPORT_INT},
    [C_F_NUMBER] = {"f_number", IE_EXPORT_REAL},
    [C_EXPOSURE_TIME_SEC] = {"exposure_time_sec", IE_EXPORT_REAL},
    [C_DATETIME_ORIGINAL] = {"datetime_original", IE_EXPORT_TEXT},
    [C_ORIENTATION_TAG] = {"orientation_tag", IE_EXPORT_INT},
    [C_HAS_GPS_DATA] = {"has_gps_data", IE_EXPORT_BOOL},
    [C_DISTORTION_RISK] = {"distortion_risk", IE_EXPORT_TEXT},
    [C_BLUR_SCORE] = {"blur_score", IE_EXPORT_REAL},
    [C_IS_BLURRY] = {"is_blurry", IE_EXPORT_BOOL},
    [C_PHASH] = {"phash", IE_EXPORT_TEXT},
    [C_DHASH] = {"dhash", IE_EXPORT_TEXT},
    [C_IS_CORRUPT] = {"is_corrupt", IE_EXPORT_BOOL},
    [C_IS_DARK] = {"is_dark", IE_EXPORT_BOOL},
    [C_IS_OVEREXPOSED] = {"is_overexposed", IE_EXPORT_BOOL},
    [C_HAS_BORDER_ARTIFACT] = {"has_border_artifact", IE_EXPORT_BOOL},
    [C_ANALYZED_AT] = {"analyzed_at", IE_EXPORT_TEXT},
    [C_ANALYZER_VERSION] = {"analyzer_version", IE_EXPORT_TEXT},
    [C_PS_MEAN_R] = {"pixel_stats_mean_r", IE_EXPORT_REAL},
    [C_PS_MEAN_G] = {"pixel_stats_mean_g", IE_EXPORT_REAL},
    [C_PS_MEAN_B] = {"pixel_stats_mean_b", IE_EXPORT_REAL},
    [C_PS_STD_R] = {"pixel_stats_std_r", IE_EXPORT_REAL},
    [C_PS_STD_G] = {"pixel_stats_std_g", IE_EXPORT_REAL},
    [C_PS_STD_B] = {"pixel_stats_std_b", IE_EXPORT_REAL},
    [C_PS_MEAN_BRIGHTNESS] = {"pixel_stats_mean_brightness", IE_EXPORT_REAL},
    [C_PS_MIN_VAL] = {"pixel_stats_min_val", IE_EXPORT_INT},
    [C_PS_MAX_VAL] = {"pixel_stats_max_val", IE_EXPORT_INT},
    [C_CS_CORNER_MEAN] = {"corner_stats_corner_mean", IE_EXPORT_REAL},
    [C_CS_CENTER_MEAN] = {"corner_stats_center_mean", IE_EXPORT_REAL},
    [C_CS_BORDER_MEAN] = {"corner_stats_border_mean", IE_EXPORT_REAL},
    [C_CS_DELTA] = {"corner_stats_delta", IE_EXPORT_REAL},
    [C_CONTENT_HASH] = {"content_hash", IE_EXPORT_TEXT},
    [C_ERROR] = {"error", IE_EXPORT_TEXT},
    [C_BIT_DEPTH] = {"bit_depth", IE_EXPORT_INT},
    [C_NUM_FRAMES] = {"num_frames", IE_EXPORT_INT},
};

const struct ie_export_column *ie_export_columns(size_t *n)
{
    *n = C_COUNT;
    return columns;
}

static void v_text(struct ie_export_value *v, const char *s, bool nullable)
{
    v->null = !s && nullable;
    v->s = s ? s : (nullable ? NULL : "");
}

static void v_int(struct ie_export_value *v, bool has, int64_t i)
{
    v->null = !has;
    v->i = i;
}

static void v_real(struct ie_export_value *v, bool has, double d)
{
    v->null = !has;
    v->d = d;
}

/* File and image facts. */
static void value_file(const struct ie_record *r, enum col_id col, struct ie_export_value *v)
{
    switch (col) {
    case C_PATH:
        v_text(v, r->path, false);
        break;
    case C_FILENAME:
        v_text(v, r->filename, false);
        break;
    case C_FILE_SIZE_BYTES:
        v_int(v, true, r->file_size_bytes);
        break;
    case C_MTIME:
        v_real(v, true, r->mtime);
        break;
    case C_WIDTH:
        v_int(v, true, r->width);
        break;
    case C_HEIGHT:
        v_int(v, true, r->height);
        break;
    case C_FORMAT:
        v_text(v, r->format, false);
        break;
    case C_COLOR_MODE:
        v_text(v, r->color_mode, false);
        break;
    case C_NUM_CHANNELS:
        v_int(v, true, r->num_channels);
        break;
    case C_ASPECT_RATIO:
        v_real(v, true, r->aspect_ratio);
        break;
    default:
        break;
    }
}

/* EXIF facts. */
static void value_exif(const struct ie_record *r, enum col_id col, struct ie_export_value *v)
{
    switch (col) {
    case C_CAMERA_MAKE:
        v_text(v, r->camera_make, true);
        break;
    case C_CAMERA_MODEL:
        v_text(v, r->camera_model, true);
        break;
    case C_LENS_MODEL:
        v_text(v, r->lens_model, true);
        break;
    case C_FOCAL_LENGTH_MM:
        v_real(v, r->has_focal_length_mm, r->focal_length_mm);
        break;
    case C_FOCAL_LENGTH_35MM:
        v_int(v, r->has_focal_length_35mm, r->focal_length_35mm);
        break;
    case C_ISO_SPEED:
        v_int(v, r->has_iso_speed, r->iso_speed);
        break;
    case C_F_NUMBER:
        v_real(v, r->has_f_number, r->f_number);
        break;
    case C_EXPOSURE_TIME_SEC:
        v_real(v, r->has_exposure_time_sec, r->exposure_time_sec);
        break;
    case C_DATETIME_ORIGINAL:
        v_text(v, r->datetime_original, true);
        break;
    case C_ORIENTATION_TAG:
        v_int(v, r->has_orientation_tag, r->orientation_tag);
        break;
    case C_HAS_GPS_DATA:
        v_int(v, true, r->has_gps_data);
        break;
    case C_DISTORTION_RISK:
        v_text(v, r->distortion_risk, true);
        break;
    default:
        break;
    }
}

/* Pixel and corner statistics. */
static void value_stats(const struct ie_record *r, enum col_id col, struct ie_export_value *v)
{
    const struct ie_pixel_stats *ps = &r->pixel_stats;
    const struct ie_corner_stats *cs = &r->corner_stats;
    bool hp = r->has_pixel_stats, hc = r->has_corner_stats;
    switch (col) {
    case C_PS_MEAN_R:
        v_real(v, hp, ps->mean_r);
        break;
    case C_PS_MEAN_G:
        v_real(v, hp, ps->mean_g);
        break;
    case C_PS_MEAN_B:
        v_real(v, hp, ps->mean_b);
        break;
    case C_PS_STD_R:
        v_real(v, hp, ps->std_r);
        break;
    case C_PS_STD_G:
        v_real(v, hp, ps->std_g);
        break;
    case C_PS_STD_B:
        v_real(v, hp, ps->std_b);
        break;
    case C_PS_MEAN_BRIGHTNESS:
        v_real(v, hp, ps->mean_brightness);
        break;
    case C_PS_MIN_VAL:
        v_int(v, hp, ps->min_val);
        break;
    case C_PS_MAX_VAL:
        v_int(v, hp, ps->max_val);
        break;
    case C_CS_CORNER_MEAN:
        v_real(v, hc, cs->corner_mean);
        break;
    case C_CS_CENTER_MEAN:
        v_real(v, hc, cs->center_mean);
        break;
    case C_CS_BORDER_MEAN:
        v_real(v, hc, cs->border_mean);
        break;
    case C_CS_DELTA:
        v_real(v, hc, cs->delta);
        break;
    default:
        break;
    }
}

/* Flags, hashes, verdicts and bookkeeping. */
static void value_quality(const struct ie_record *r, enum col_id col, struct ie_export_value *v)
{
    switch (col) {
    case C_BLUR_SCORE:
        v_real(v, r->has_blur_score, r->blur_score);
        break;
    case C_IS_BLURRY:
        v_int(v, true, r->is_blurry);
        break;
    case C_PHASH:
    case C_DHASH: {
        bool has = col == C_PHASH ? r->has_phash : r->has_dhash;
        if (has) {
            ie_hash256_to_hex(col == C_PHASH ? &r->phash : &r->dhash, v->buf);
            v->s = v->buf;
        } else {
            v->null = true;
        }
        break;
    }
    case C_IS_CORRUPT:
        v_int(v, true, r->is_corrupt);
        break;
    case C_IS_DARK:
        v_int(v, true, r->is_dark);
        break;
    case C_IS_OVEREXPOSED:
        v_int(v, true, r->is_overexposed);
        break;
    case C_HAS_BORDER_ARTIFACT:
        v_int(v, true, r->has_border_artifact);
        break;
    case C_ANALYZED_AT:
        v_text(v, r->analyzed_at, false);
        break;
    case C_ANALYZER_VERSION:
        v_text(v, r->analyzer_version, false);
        break;
    case C_CONTENT_HASH:
        v_text(v, r->content_hash, true);
        break;
    case C_ERROR:
        v_text(v, r->error, true);
        break;
    case C_BIT_DEPTH:
        v_int(v, true, r->bit_depth);
        break;
    case C_NUM_FRAMES:
        v_int(v, true, r->num_frames);
        break;
    case C_COUNT:
        v->null = true;
        break;
    default:
        break;
    }
}

void ie_export_value(const struct ie_record *r, size_t col, struct ie_export_value *v)
{
    enum col_id c = (enum col_id)col;
    memset(v, 0, sizeof(*v));
    if (c <= C_ASPECT_RATIO)
        value_file(r, c, v);
    else if (c <= C_DISTORTION_RISK)
        value_exif(r, c, v);
    else if (c >= C_PS_MEAN_R && c <= C_CS_DELTA)
        value_stats(r, c, v);
    else
        value_quality(r, c, v);
}

/* ---- CSV ---- */

void ie_export_csv_field(struct ie_buf *b, const char *s, size_t n)
{
    bool quote = false;
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (!quote) {
        ie_buf_add(b, s, n);
        return;
    }
    ie_buf_addc(b, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            ie_buf_addc(b, '"');
        ie_buf_addc(b, s[i]);
    }
    ie_buf_addc(b, '"');
}

/* The CSV's columns: imgeda's csv_io.py columns first, in its order and with its names (its
 * pixel and corner statistics unprefixed, the corner delta as corner_delta), so code written
 * against imgeda's CSV keeps working; then the record keys imgeda's CSV leaves out, with
 * pixel_stats min/max named as imgeda names its other pixel statistics. */
static const enum col_id csv_order[] = {
    C_PATH, C_FILENAME, C_FILE_SIZE_BYTES, C_MTIME, C_WIDTH, C_HEIGHT, C_FORMAT, C_COLOR_MODE,
    C_NUM_CHANNELS, C_ASPECT_RATIO, C_CAMERA_MAKE, C_CAMERA_MODEL, C_LENS_MODEL, C_FOCAL_LENGTH_MM,
    C_FOCAL_LENGTH_35MM, C_ISO_SPEED, C_F_NUMBER, C_EXPOSURE_TIME_SEC, C_DATETIME_ORIGINAL,
    C_HAS_GPS_DATA, C_DISTORTION_RISK, C_BLUR_SCORE, C_IS_BLURRY, C_PHASH, C_DHASH, C_IS_CORRUPT,
    C_IS_DARK, C_IS_OVEREXPOSED, C_HAS_BORDER_ARTIFACT, C_ANALYZED_AT, C_PS_MEAN_R, C_PS_MEAN_G,
    C_PS_MEAN_B, C_PS_STD_R, C_PS_STD_G, C_PS_STD_B, C_PS_MEAN_BRIGHTNESS, C_CS_CORNER_MEAN,
    C_CS_CENTER_MEAN, C_CS_BORDER_MEAN, C_CS_DELTA,
    /* Ours, after imgeda's 41. */
    C_ORIENTATION_TAG, C_ANALYZER_VERSION, C_PS_MIN_VAL, C_PS_MAX_VAL, C_CONTENT_HASH, C_ERROR,
    C_BIT_DEPTH, C_NUM_FRAMES};

/* The CSV's names where they are not the record's flattened key. */
static const char *const csv_renamed[C_COUNT] = {
    [C_PS_MEAN_R] = "mean_r",
    [C_PS_MEAN_G] = "mean_g",
    [C_PS_MEAN_B] = "mean_b",
    [C_PS_STD_R] = "std_r",
    [C_PS_STD_G] = "std_g",
    [C_PS_STD_B] = "std_b",
    [C_PS_MEAN_BRIGHTNESS] = "mean_brightness",
    [C_PS_MIN_VAL] = "min_val",
    [C_PS_MAX_VAL] = "max_val",
    [C_CS_CORNER_MEAN] = "corner_mean",
    [C_CS_CENTER_MEAN] = "center_mean",
    [C_CS_BORDER_MEAN] = "border_mean",
    [C_CS_DELTA] = "corner_delta",
};

/* Every record key is in the CSV exactly once (the unit tests check that no column repeats). */
_Static_assert(IE_ARRAY_LEN(csv_order) == C_COUNT, "every column once in the CSV");

const char *ie_export_csv_column(size_t i)
{
    if (i >= IE_ARRAY_LEN(csv_order))
        return NULL;
    return csv_renamed[csv_order[i]] ? csv_renamed[csv_order[i]] : columns[csv_order[i]].name;
}

void ie_export_csv_header(struct ie_buf *b)
{
    for (size_t i = 0; i < IE_ARRAY_LEN(csv_order); i++) {
        if (i)
            ie_buf_addc(b, ',');
        ie_buf_adds(b, ie_export_csv_column(i));
    }
    ie_buf_adds(b, "\r\n");
}

void ie_export_csv_row(const struct ie_record *r, struct ie_buf *b)
{
    struct ie_export_value v;
    char num[40];
    for (size_t i = 0; i < IE_ARRAY_LEN(csv_order); i++) {
        enum col_id col = csv_order[i];
        if (i)
            ie_buf_addc(b, ',');
        ie_export_value(r, col, &v);
        if (v.null)
            continue; /* imgeda writes None as an empty field */
        switch (columns[col].type) {
        case IE_EXPORT_TEXT:
            ie_export_csv_field(b, v.s, strlen(v.s));
            break;
        case IE_EXPORT_INT:
            ie_buf_addf(b, "%lld", (long long)v.i);
            break;
        case IE_EXPORT_REAL:
            /* Non-finite values cannot come from a JSON manifest; ie_fmt_double would print
             * "null", which is not a number: leave the field empty instead. */
            ie_fmt_double(num, sizeof(num), v.d);
            if (strcmp(num, "null") != 0)
                ie_buf_adds(b, num);
            break;
        case IE_EXPORT_BOOL:
            ie_buf_adds(b, v.i ? "True" : "False");
            break;
        }
    }
    ie_buf_adds(b, "\r\n");
}

/* ---- the source: pass 1 indexes, pass 2 reads back ---- */

struct ie_export_source {
    int fd;
    struct ie_manifest_meta meta;
    char *header_line;
    size_t header_len;
    struct ie__path_index paths; /* distinct paths, first-seen order, as hashes */
    struct ie_line_ref *lines;   /* by entry of paths: the latest record line */
    size_t n, cap;
    size_t next;
    size_t skipped, replaced;
    struct ie_buf line;
};

static char *dup_or_null(const char *s)
{
    return s ? ie_xstrdup(s) : NULL;
}

/* Finds the header line the reader used: the first line that parses as JSON when it is a
 * header, else the first later line that is one. Returns 0 (*out NULL when there is none). */
static int find_header_line(const char *path, char **out, size_t *out_len, struct ie_err *err)
{
    struct ie_manifest_lines lines;
    struct ie_manifest_line ln;
    bool checked = false;
    int rc;
    *out = NULL;
    rc = ie_manifest_lines_open(&lines, path, err);
    while (rc >= 0 && (rc = ie_manifest_lines_next(&lines, &ln, err)) > 0) {
        size_t len = ln.len;
        if (rc == IE_MANIFEST_LINE_TOO_LONG)
            continue;
        while (len > 0 && ln.text[len - 1] == '\r')
            len--;
        if (len == 0)
            continue;
        if (checked && !memmem(ln.text, len, "__manifest_meta__", 17))
            continue;
        cJSON *o = cJSON_ParseWithLength(ln.text, len);
        if (!o)
            continue;
        checked = true;
        bool meta = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "__manifest_meta__"));
        cJSON_Delete(o);
        if (meta) {
            *out = ie_xstrndup(ln.text, len);
            *out_len = len;
            break;
        }
    }
    ie_manifest_lines_close(&lines);
    return rc < 0 ? rc : 0;
}

int ie_export_source_open(const char *manifest_path, struct ie_export_source **out,
                          struct ie_err *err)
{
    struct ie_export_source *s = ie_xcalloc(1, sizeof(*s));
    struct ie_manifest_reader *rd = NULL;
    struct ie_record rec;
    struct stat st, st2;
    int64_t off;
    size_t len, first_long;
    int rc;

    ie__path_index_init(&s->paths);
    ie_record_init(&rec);
    ie_buf_init(&s->line);
    s->fd = open(manifest_path, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0) {
        rc = ie_err_set(err, errno == ENOENT ? IE_ENOENT : IE_EIO, "cannot open manifest %s: %s",
                        manifest_path, strerror(errno));
        goto out;
    }
    if (fstat(s->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        rc = ie_err_set(err, IE_EINVAL, "%s is not a manifest file", manifest_path);
        goto out;
    }
    rc = ie_manifest_reader_open(manifest_path, &rd, err);
    if (rc < 0)
        goto out;
    while ((rc = ie_manifest_reader_next(rd, &rec, &off, &len, err)) == 1) {
        size_t at;
        if (ie__path_index_add(&s->paths, rec.path, &at)) {
            s->lines[at].offset = off;
            s->lines[at].len = (uint32_t)len;
            s->replaced++;
            continue;
        }
        if (s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 1024;
            s->lines = ie_xrealloc(s->lines, s->cap * sizeof(*s->lines));
        }
        s->lines[s->n].offset = off;
        s->lines[s->n].len = (uint32_t)len;
        s->n++;
    }
    if (rc < 0)
        goto out;
    s->skipped = ie_manifest_reader_skipped(rd);
    const struct ie_manifest_meta *m = ie_manifest_reader_meta(rd);
    s->meta.present = m->present;
    s->meta.input_dir = dup_or_null(m->input_dir);
    s->meta.schema_version = m->schema_version;
    s->meta.settings_json = dup_or_null(m->settings_json);
    s->meta.total_files = m->total_files;
    s->meta.created_at = dup_or_null(m->created_at);
    if (!s->meta.present && s->n == 0) {
        char why[160];
        size_t n_long = ie_manifest_reader_long_lines(rd, &first_long);
        ie_manifest_long_lines_text(why, sizeof(why), n_long, first_long);
        if (n_long)
            rc =
                ie_err_set(err, IE_EFORMAT, "%s is not an imgeda manifest: %s", manifest_path, why);
        else
            rc = ie_err_set(err, IE_EFORMAT,
                            "%s is not an imgeda manifest (no header line and no records)",
                            manifest_path);
        goto out;
    }
    if (s->meta.present) {
        rc = find_header_line(manifest_path, &s->header_line, &s->header_len, err);
        if (rc < 0)
            goto out;
    }
    /* The reader opened the path again: make sure both opens saw the same file. */
    if (stat(manifest_path, &st2) < 0 || st2.st_ino != st.st_ino || st2.st_dev != st.st_dev) {
        rc = ie_err_set(err, IE_EIO, "manifest %s was replaced during the export; try again",
                        manifest_path);
        goto out;
    }
    rc = 0;
out:
    ie_record_release(&rec);
    ie_manifest_reader_free(rd);
    if (rc < 0) {
        ie_export_source_free(s);
        s = NULL;
    }
    *out = s;
    return rc;
}

const struct ie_manifest_meta *ie_export_source_meta(const struct ie_export_source *s)
{
    return &s->meta;
}

const char *ie_export_source_header_line(const struct ie_export_source *s, size_t *len)
{
    if (len)
        *len = s->header_len;
    return s->header_line;
}

size_t ie_export_source_records(const struct ie_export_source *s)
{
    return s->n;
}

size_t ie_export_source_skipped(const struct ie_export_source *s)
{
    return s->skipped;
}

size_t ie_export_source_replaced(const struct ie_export_source *s)
{
    return s->replaced;
}

int ie_export_source_next(struct ie_export_source *s, struct ie_record *rec, const char **line,
                          size_t *len, struct ie_err *err)
{
    if (s->next >= s->n)
        return 0;
    const struct ie_line_ref *ref = &s->lines[s->next];
    size_t want = ref->len, have = 0;
    ie_buf_reset(&s->line);
    ie_grow((void **)&s->line.data, &s->line.cap, want + 1, 1);
    while (have < want) {
        ssize_t r = pread(s->fd, s->line.data + have, want - have, ref->offset + (off_t)have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return ie_err_set(err, IE_EIO, "cannot read manifest: %s", strerror(errno));
        if (r == 0)
            return ie_err_set(err, IE_EIO, "manifest was truncated during the export");
        have += (size_t)r;
    }
    s->line.data[want] = '\0';
    s->line.len = want;
    if (rec) {
        ie_record_release(rec);
        if (ie_record_from_json(s->line.data, want, rec, NULL) < 0 ||
            !ie__path_index_is(&s->paths, s->next, rec->path))
            return ie_err_set(err, IE_EIO, "manifest was rewritten during the export; try again");
    }
    s->next++;
    if (line)
        *line = s->line.data;
    if (len)
        *len = want;
    return 1;
}

void ie_export_source_free(struct ie_export_source *s)
{
    if (!s)
        return;
    if (s->fd >= 0)
        close(s->fd);
    ie_manifest_meta_release(&s->meta);
    free(s->header_line);
    ie__path_index_release(&s->paths);
    free(s->lines);
    ie_buf_release(&s->line);
    free(s);
}

/* ---- the pull reader ---- */

struct ie_export_reader {
    struct ie_export_source *src;
    enum ie_export_format f;
    struct ie_buf chunk; /* bytes produced but not yet handed out */
    size_t pos;
    bool started, done;
    struct ie_record rec;
    size_t records;
};

int ie_export_reader_open(const char *manifest_path, enum ie_export_format f,
                          struct ie_export_reader **out, struct ie_err *err)
{
    struct ie_export_source *src = NULL;
    *out = NULL;
    if (f != IE_EXPORT_CSV && f != IE_EXPORT_JSONL)
        return ie_err_set(err, IE_EINVAL, "%s export is not a text stream",
                          ie_export_format_name(f));
    int rc = ie_export_source_open(manifest_path, &src, err);
    if (rc < 0)
        return rc;
    struct ie_export_reader *r = ie_xcalloc(1, sizeof(*r));
    r->src = src;
    r->f = f;
    ie_buf_init(&r->chunk);
    ie_record_init(&r->rec);
    *out = r;
    return 0;
}

/* Produces the next piece (header, or one record) into r->chunk. Returns 1, 0 at the end, or
 * a negative code. */
static int reader_fill(struct ie_export_reader *r, struct ie_err *err)
{
    ie_buf_reset(&r->chunk);
    r->pos = 0;
    if (!r->started) {
        r->started = true;
        if (r->f == IE_EXPORT_CSV) {
            ie_export_csv_header(&r->chunk);
        } else {
            size_t len;
            const char *h = ie_export_source_header_line(r->src, &len);
            if (h) {
                ie_buf_add(&r->chunk, h, len);
                ie_buf_addc(&r->chunk, '\n');
            }
        }
        if (r->chunk.len)
            return 1;
    }
    const char *line;
    size_t len;
    int rc =
        ie_export_source_next(r->src, r->f == IE_EXPORT_CSV ? &r->rec : NULL, &line, &len, err);
    if (rc <= 0)
        return rc;
    r->records++;
    if (r->f == IE_EXPORT_CSV) {
        ie_export_csv_row(&r->rec, &r->chunk);
    } else {
        ie_buf_add(&r->chunk, line, len);
        ie_buf_addc(&r->chunk, '\n');
    }
    return 1;
}

ssize_t ie_export_reader_read(struct ie_export_reader *r, void *buf, size_t max, struct ie_err *err)
{
    size_t copied = 0;
    while (copied < max && !r->done) {
        if (r->pos >= r->chunk.len) {
            int rc = reader_fill(r, err);
            if (rc < 0)
                return rc;
            if (rc == 0) {
                r->done = true;
                break;
            }
        }
        size_t take = IE_MIN(max - copied, r->chunk.len - r->pos);
        memcpy((char *)buf + copied, r->chunk.data + r->pos, take);
        r->pos += take;
        copied += take;
    }
    return (ssize_t)copied;
}

void ie_export_reader_stats(const struct ie_export_reader *r, struct ie_export_stats *st)
{
    st->records = r->records;
    st->skipped_lines = ie_export_source_skipped(r->src);
    st->replaced = ie_export_source_replaced(r->src);
}

void ie_export_reader_free(struct ie_export_reader *r)
{
    if (!r)
        return;
    ie_export_source_free(r->src);
    ie_buf_release(&r->chunk);
    ie_record_release(&r->rec);
    free(r);
}

/* ---- writers ---- */

static int write_all(int fd, const char *p, size_t n, struct ie_err *err)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return ie_err_set(err, IE_EIO, "cannot write the export: %s", strerror(errno));
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Streams the export through write_all or fwrite (exactly one of fd >= 0 / f). */
static int export_to(const char *manifest_path, enum ie_export_format f, int fd, FILE *out,
                     struct ie_export_stats *st, struct ie_err *err)
{
    struct ie_export_reader *r = NULL;
    char *buf = ie_xmalloc(1u << 16);
    int rc = ie_export_reader_open(manifest_path, f, &r, err);
    if (rc < 0)
        goto out;
    for (;;) {
        ssize_t n = ie_export_reader_read(r, buf, 1u << 16, err);
        if (n < 0) {
            rc = (int)n;
            goto out;
        }
        if (n == 0)
            break;
        if (fd >= 0) {
            rc = write_all(fd, buf, (size_t)n, err);
            if (rc < 0)
                goto out;
        } else if (fwrite(buf, 1, (size_t)n, out) != (size_t)n) {
            rc = ie_err_set(err, IE_EIO, "cannot write the export: %s", strerror(errno));
            goto out;
        }
    }
    if (out && fflush(out) != 0) {
        rc = ie_err_set(err, IE_EIO, "cannot write the export: %s", strerror(errno));
        goto out;
    }
    if (st)
        ie_export_reader_stats(r, st);
    rc = 0;
out:
    ie_export_reader_free(r);
    free(buf);
    return rc;
}

int ie_export_write_fd(const char *manifest_path, enum ie_export_format f, int fd,
                       struct ie_export_stats *st, struct ie_err *err)
{
    return export_to(manifest_path, f, fd, NULL, st, err);
}

int ie_export_write_stream(const char *manifest_path, enum ie_export_format f, FILE *out,
                           struct ie_export_stats *st, struct ie_err *err)
{
    return export_to(manifest_path, f, -1, out, st, err);
}

int ie_export_check_output(const char *manifest_path, const char *out_path, char **tmp,
                           struct ie_err *err)
{
    struct stat a, b;
    *tmp = NULL;
    if (!*out_path)
        return ie_err_set(err, IE_EINVAL, "the output path is empty");
    if (stat(out_path, &b) == 0) {
        if (S_ISDIR(b.st_mode))
            return ie_err_set(err, IE_EINVAL, "%s is a directory", out_path);
        if (stat(manifest_path, &a) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
            return ie_err_set(err, IE_EINVAL, "%s is the manifest itself; choose another output",
                              out_path);
    }
    struct ie_buf t;
    ie_buf_init(&t);
    ie_buf_addf(&t, "%s.tmp", out_path);
    if (stat(t.data, &a) == 0 && stat(manifest_path, &b) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino) {
        ie_buf_release(&t);
        return ie_err_set(err, IE_EINVAL, "%s.tmp is the manifest itself; choose another output",
                          out_path);
    }
    *tmp = ie_buf_detach(&t);
    return 0;
}

int ie_export_commit_tmp(const char *tmp, const char *out_path, struct ie_err *err)
{
    int fd = open(tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        unlink(tmp);
        return ie_err_set(err, IE_EIO, "cannot sync %s: %s", tmp, strerror(e));
    }
    close(fd);
    if (rename(tmp, out_path) < 0) {
        int e = errno;
        unlink(tmp);
        return ie_err_set(err, IE_EIO, "cannot rename %s to %s: %s", tmp, out_path, strerror(e));
    }
    /* Make the rename itself durable; a failure here loses nothing already written. */
    char *copy = ie_xstrdup(out_path);
    int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    free(copy);
    return 0;
}

int ie_export_write_path(const char *manifest_path, enum ie_export_format f, const char *out_path,
                         struct ie_export_stats *st, struct ie_err *err)
{
    char *tmp = NULL;
    int fd = -1;
    if (f == IE_EXPORT_PARQUET)
        return ie_parquet_write_path(manifest_path, out_path, st, err);
    int rc = ie_export_check_output(manifest_path, out_path, &tmp, err);
    if (rc < 0)
        goto out;
    if (f != IE_EXPORT_CSV && f != IE_EXPORT_JSONL) {
        rc = ie_err_set(err, IE_EINVAL, "%s export is written by the SQLite exporter",
                        ie_export_format_name(f));
        goto out;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = ie_err_set(err, IE_EIO, "cannot create %s: %s", tmp, strerror(errno));
        goto out;
    }
    rc = ie_export_write_fd(manifest_path, f, fd, st, err);
    if (close(fd) < 0 && rc == 0)
        rc = ie_err_set(err, IE_EIO, "cannot write %s: %s", tmp, strerror(errno));
    fd = -1;
    if (rc < 0) {
        unlink(tmp);
        goto out;
    }
    rc = ie_export_commit_tmp(tmp, out_path, err);
out:
    if (fd >= 0)
        close(fd);
    free(tmp);
    return rc;
}
