/* Plot API: type and format names, options, and rendering one plot into PNG, SVG or PDF bytes
 * with cairo. The drawing itself is in plot_types.c and plot_t_*.c over the layer in plot_draw.c
 * and plot_marks.c.
 * THREADS: every call owns its surface and context; nothing global is written. */
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imgeda/plot.h"
#include "plot_internal.h"

static const struct {
    const char *name, *stem, *title;
} type_names[IE_PLOT_NTYPES] = {
    [IE_PLOT_DIMENSIONS] = {"dimensions", "dimensions", "Dimensions"},
    [IE_PLOT_FILE_SIZE] = {"file-size", "file_size", "File size"},
    [IE_PLOT_ASPECT_RATIO] = {"aspect-ratio", "aspect_ratio", "Aspect ratio"},
    [IE_PLOT_BRIGHTNESS] = {"brightness", "brightness", "Brightness"},
    [IE_PLOT_CHANNELS] = {"channels", "channels", "Colour channels"},
    [IE_PLOT_ARTIFACTS] = {"artifacts", "artifacts", "Border artifacts"},
    [IE_PLOT_DUPLICATES] = {"duplicates", "duplicates", "Duplicates"},
    [IE_PLOT_BLUR] = {"blur", "blur", "Blur"},
    [IE_PLOT_EXIF_CAMERA] = {"exif-camera", "exif_camera", "Cameras (EXIF)"},
    [IE_PLOT_EXIF_FOCAL] = {"exif-focal", "exif_focal_length", "Focal length (EXIF)"},
    [IE_PLOT_EXIF_ISO] = {"exif-iso", "exif_iso", "ISO (EXIF)"},
};

const char *ie_plot_type_name(enum ie_plot_type t)
{
    return (unsigned)t < IE_PLOT_NTYPES ? type_names[t].name : "?";
}

const char *ie_plot_type_file_stem(enum ie_plot_type t)
{
    return (unsigned)t < IE_PLOT_NTYPES ? type_names[t].stem : "?";
}

const char *ie_plot_type_title(enum ie_plot_type t)
{
    return (unsigned)t < IE_PLOT_NTYPES ? type_names[t].title : "?";
}

/* Equal up to '-' versus '_' and case. */
static bool same_name(const char *a, const char *b)
{
    for (;; a++, b++) {
        char x = *a == '_' ? '-' : *a, y = *b == '_' ? '-' : *b;
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (x != y)
            return false;
        if (!x)
            return true;
    }
}

int ie_plot_type_parse(const char *name)
{
    for (int t = 0; t < IE_PLOT_NTYPES; t++)
        if (same_name(name, type_names[t].name) || same_name(name, type_names[t].stem))
            return t;
    return -1;
}

const char *ie_plot_format_ext(enum ie_plot_format f)
{
    return f == IE_PLOT_SVG ? "svg" : f == IE_PLOT_PDF ? "pdf" : "png";
}

int ie_plot_format_parse(const char *name)
{
    if (strcasecmp(name, "png") == 0)
        return IE_PLOT_PNG;
    if (strcasecmp(name, "svg") == 0)
        return IE_PLOT_SVG;
    if (strcasecmp(name, "pdf") == 0)
        return IE_PLOT_PDF;
    return -1;
}

void ie_plot_opts_init(struct ie_plot_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->format = IE_PLOT_PNG;
    o->dpi = 150;
    o->width_in = 9;
    o->height_in = 6;
    o->sample = 0;
    o->seed = IE_PLOT_DEFAULT_SEED;
    o->density_above = 5000;
    o->dark_threshold = 40;
    o->overexposed_threshold = 220;
    o->artifact_threshold = 50;
    o->blur_threshold = 100;
}

void ie_plot_opts_apply_settings(struct ie_plot_opts *o, const char *settings_json)
{
    static const struct {
        const char *key;
        size_t off;
    } keys[] = {
        {"dark_threshold", offsetof(struct ie_plot_opts, dark_threshold)},
        {"overexposed_threshold", offsetof(struct ie_plot_opts, overexposed_threshold)},
        {"artifact_threshold", offsetof(struct ie_plot_opts, artifact_threshold)},
        {"blur_threshold", offsetof(struct ie_plot_opts, blur_threshold)},
    };
    if (!settings_json)
        return;
    cJSON *root = cJSON_Parse(settings_json);
    if (!root)
        return;
    for (size_t i = 0; i < IE_ARRAY_LEN(keys); i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, keys[i].key);
        if (cJSON_IsNumber(v) && isfinite(v->valuedouble))
            *(double *)((char *)o + keys[i].off) = v->valuedouble;
    }
    cJSON_Delete(root);
}

static cairo_status_t write_to_buf(void *closure, const unsigned char *data, unsigned int len)
{
    ie_buf_add(closure, data, len);
    return CAIRO_STATUS_SUCCESS;
}

int ie_plot_render(const struct ie_record *recs, size_t n, enum ie_plot_type type,
                   const struct ie_plot_opts *o, struct ie_buf *out, struct ie_err *err)
{
    struct ie_recsrc s = ie_recsrc_array(recs, n);
    return ie_plot_render_src(&s, type, o, out, err);
}

int ie_plot_render_src(const struct ie_recsrc *src, enum ie_plot_type type,
                       const struct ie_plot_opts *o, struct ie_buf *out, struct ie_err *err)
{
    cairo_surface_t *surf = NULL;
    cairo_t *cr = NULL;
    cairo_font_options_t *fo = NULL;
    struct ie__plot_fig fig;
    size_t old_len = out->len;
    int rc = 0;

    ie__plot_fig_init(&fig, NULL, 0, 0);
    if ((unsigned)type >= IE_PLOT_NTYPES)
        return ie_err_set(err, IE_EINVAL, "unknown plot type %d", (int)type);
    if (!(o->dpi >= IE_PLOT_MIN_DPI && o->dpi <= IE_PLOT_MAX_DPI))
        return ie_err_set(err, IE_EINVAL, "plot dpi %g is outside %d..%d", o->dpi, IE_PLOT_MIN_DPI,
                          IE_PLOT_MAX_DPI);
    if (!(o->width_in >= 2 && o->width_in <= 100 && o->height_in >= 1.5 && o->height_in <= 100))
        return ie_err_set(err, IE_EINVAL, "plot size %gx%g in is outside 2x1.5..100x100",
                          o->width_in, o->height_in);
    double w = o->width_in * 72, h = o->height_in * 72;

    switch (o->format) {
    case IE_PLOT_PNG: {
        double pw = round(o->width_in * o->dpi), ph = round(o->height_in * o->dpi);
        if (pw * ph > (double)IE_PLOT_MAX_PIXELS)
            return ie_err_set(err, IE_ELIMIT,
                              "a %gx%g in plot at %g dpi would be %.0fx%.0f pixels, above the "
                              "limit of %d",
                              o->width_in, o->height_in, o->dpi, pw, ph, IE_PLOT_MAX_PIXELS);
        /* RGB24: an opaque PNG, as a plot on paper is. */
        surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)pw, (int)ph);
        cr = cairo_create(surf);
        cairo_scale(cr, pw / w, ph / h);
        break;
    }
    case IE_PLOT_SVG:
        surf = cairo_svg_surface_create_for_stream(write_to_buf, out, w, h);
        break;
    case IE_PLOT_PDF:
        surf = cairo_pdf_surface_create_for_stream(write_to_buf, out, w, h);
        cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATOR, "imgeda");
        cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_TITLE, ie_plot_type_title(type));
        break;
    default:
        return ie_err_set(err, IE_EINVAL, "unknown plot format %d", (int)o->format);
    }
    if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
        rc = ie_err_set(err, IE_EIO, "cannot create the %s surface: %s",
                        ie_plot_format_ext(o->format),
                        cairo_status_to_string(cairo_surface_status(surf)));
        goto out;
    }
    if (o->format != IE_PLOT_PNG) {
        /* Anything cairo must rasterise in vector output uses the chosen resolution. */
        cairo_surface_set_fallback_resolution(surf, o->dpi, o->dpi);
        cr = cairo_create(surf);
    }

    /* Unhinted metrics: text measures the same at every DPI and in every format, so the
     * layout computed from the measurements holds everywhere. */
    fo = cairo_font_options_create();
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_SLIGHT);
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    cairo_set_font_options(cr, fo);

    ie__plot_set_rgba(cr, IE__PLOT_BG);
    cairo_paint(cr);
    ie__plot_fig_init(&fig, cr, w, h);
    ie__plot_draw(&fig, type, src, o);

    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
        rc = ie_err_set(err, IE_EIO, "drawing the %s plot failed: %s", ie_plot_type_name(type),
                        cairo_status_to_string(cairo_status(cr)));
        goto out;
    }
    cairo_destroy(cr);
    cr = NULL;
    if (o->format == IE_PLOT_PNG) {
        cairo_status_t st = cairo_surface_write_to_png_stream(surf, write_to_buf, out);
        if (st != CAIRO_STATUS_SUCCESS) {
            rc = ie_err_set(err, IE_EIO, "encoding the %s plot as PNG failed: %s",
                            ie_plot_type_name(type), cairo_status_to_string(st));
            goto out;
        }
    }
    cairo_surface_finish(surf);
    if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
        rc = ie_err_set(err, IE_EIO, "writing the %s plot as %s failed: %s",
                        ie_plot_type_name(type), ie_plot_format_ext(o->format),
                        cairo_status_to_string(cairo_surface_status(surf)));
        goto out;
    }
out:
    ie__plot_fig_release(&fig);
    if (fo)
        cairo_font_options_destroy(fo);
    if (cr)
        cairo_destroy(cr);
    if (surf)
        cairo_surface_destroy(surf);
    if (rc < 0 && out->data) {
        out->len = old_len;
        out->data[old_len] = '\0';
    }
    return rc;
}

int ie_plot_render_file(const struct ie_record *recs, size_t n, enum ie_plot_type type,
                        const struct ie_plot_opts *o, const char *path, struct ie_err *err)
{
    struct ie_buf b;
    int rc;
    ie_buf_init(&b);
    rc = ie_plot_render(recs, n, type, o, &b, err);
    if (rc == 0)
        rc = ie_write_file_atomic(path, b.data, b.len, err);
    ie_buf_release(&b);
    return rc;
}
