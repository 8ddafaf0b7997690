/* EXIF fields of a record (SPEC §2) read with libexif from the blob libvips extracts.
 * DESIGN: values follow Pillow's getexif() as imgeda reads it: IFD0 first, then the EXIF
 * sub-IFD; rationals become floats and must be > 0; strings are trimmed, NULs dropped and kept
 * as UTF-8 (Latin-1 bytes are converted, since Pillow decodes EXIF ASCII as Latin-1). */
#include <libexif/exif-data.h>
#include <stdlib.h>
#include <string.h>

#include "imgeda/util.h"
#include "internal.h"

static ExifEntry *find_entry(ExifData *ed, ExifTag tag)
{
    ExifEntry *e = exif_content_get_entry(ed->ifd[EXIF_IFD_0], tag);
    if (!e)
        e = exif_content_get_entry(ed->ifd[EXIF_IFD_EXIF], tag);
    return e;
}

static bool is_valid_utf8(const unsigned char *s, size_t n)
{
    char *t = ie_utf8_sanitize((const char *)s, n);
    bool ok = strlen(t) == n && memcmp(t, s, n) == 0;
    free(t);
    return ok;
}

static char *entry_string(ExifEntry *e)
{
    if (!e || !e->data || e->size == 0)
        return NULL;
    if (e->format != EXIF_FORMAT_ASCII && e->format != EXIF_FORMAT_UNDEFINED &&
        e->format != EXIF_FORMAT_BYTE)
        return NULL;
    unsigned char *t = ie_xmalloc(e->size + 1);
    size_t n = 0;
    for (size_t i = 0; i < e->size; i++)
        if (e->data[i] != 0)
            t[n++] = e->data[i];
    size_t a = 0;
    while (a < n && (t[a] == ' ' || (t[a] >= '\t' && t[a] <= '\r')))
        a++;
    while (n > a && (t[n - 1] == ' ' || (t[n - 1] >= '\t' && t[n - 1] <= '\r')))
        n--;
    char *out = NULL;
    if (n > a) {
        if (is_valid_utf8(t + a, n - a)) {
            out = ie_xstrndup((const char *)t + a, n - a);
        } else {
            struct ie_buf b;
            ie_buf_init(&b);
            for (size_t i = a; i < n; i++) {
                unsigned char c = t[i];
                if (c < 0x80) {
                    ie_buf_addc(&b, (char)c);
                } else {
                    ie_buf_addc(&b, (char)(0xC0 | (c >> 6)));
                    ie_buf_addc(&b, (char)(0x80 | (c & 0x3F)));
                }
            }
            out = ie_buf_detach(&b);
        }
    }
    free(t);
    return out;
}

/* First value of a numeric entry as a double; false if absent, not numeric or x/0. */
static bool entry_number(ExifData *ed, ExifEntry *e, double *out)
{
    if (!e || !e->data || e->components == 0)
        return false;
    ExifByteOrder o = exif_data_get_byte_order(ed);
    size_t need = exif_format_get_size(e->format);
    if (need == 0 || e->size < need)
        return false;
    switch (e->format) {
    case EXIF_FORMAT_BYTE:
        *out = e->data[0];
        return true;
    case EXIF_FORMAT_SBYTE:
        *out = (signed char)e->data[0];
        return true;
    case EXIF_FORMAT_SHORT:
        *out = exif_get_short(e->data, o);
        return true;
    case EXIF_FORMAT_SSHORT:
        *out = exif_get_sshort(e->data, o);
        return true;
    case EXIF_FORMAT_LONG:
        *out = exif_get_long(e->data, o);
        return true;
    case EXIF_FORMAT_SLONG:
        *out = exif_get_slong(e->data, o);
        return true;
    case EXIF_FORMAT_RATIONAL: {
        ExifRational r = exif_get_rational(e->data, o);
        if (r.denominator == 0)
            return false;
        *out = (double)r.numerator / (double)r.denominator;
        return true;
    }
    case EXIF_FORMAT_SRATIONAL: {
        ExifSRational r = exif_get_srational(e->data, o);
        if (r.denominator == 0)
            return false;
        *out = (double)r.numerator / (double)r.denominator;
        return true;
    }
    default:
        return false;
    }
}

static bool positive(ExifData *ed, ExifTag tag, double *out)
{
    double v;
    if (!entry_number(ed, find_entry(ed, tag), &v) || !(v > 0))
        return false;
    *out = v;
    return true;
}

static bool integer(ExifData *ed, ExifEntry *e, int *out)
{
    double v;
    if (!entry_number(ed, e, &v) || v < -2147483648.0 || v > 2147483647.0)
        return false;
    *out = (int)v; /* int() truncates toward zero, like Python's int(IFDRational) */
    return true;
}

void ie__exif_extract(const unsigned char *blob, size_t len, struct ie_record *r)
{
    static const unsigned char header[6] = {'E', 'x', 'i', 'f', 0, 0};
    unsigned char *copy = NULL;
    ExifData *ed = NULL;

    if (!blob || len < 8)
        return;
    /* PNG eXIf and some WebP/HEIF blobs are bare TIFF; libexif wants the Exif header. */
    if ((blob[0] == 'I' && blob[1] == 'I') || (blob[0] == 'M' && blob[1] == 'M')) {
        copy = ie_xmalloc(len + 6);
        memcpy(copy, header, 6);
        memcpy(copy + 6, blob, len);
        blob = copy;
        len += 6;
    }
    ed = exif_data_new();
    if (!ed)
        goto out;
    /* Read what is there: no "fixing" that would invent mandatory tags. */
    exif_data_unset_option(ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
    exif_data_load_data(ed, blob, (unsigned int)IE_MIN(len, 0xFFFFFFF0u));

    r->camera_make = entry_string(exif_content_get_entry(ed->ifd[EXIF_IFD_0], EXIF_TAG_MAKE));
    r->camera_model = entry_string(exif_content_get_entry(ed->ifd[EXIF_IFD_0], EXIF_TAG_MODEL));
    r->has_orientation_tag = integer(
        ed, exif_content_get_entry(ed->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION), &r->orientation_tag);
    r->has_focal_length_mm = positive(ed, EXIF_TAG_FOCAL_LENGTH, &r->focal_length_mm);
    r->has_focal_length_35mm =
        integer(ed, find_entry(ed, EXIF_TAG_FOCAL_LENGTH_IN_35MM_FILM), &r->focal_length_35mm);
    r->has_iso_speed = integer(ed, find_entry(ed, EXIF_TAG_ISO_SPEED_RATINGS), &r->iso_speed);
    r->has_f_number = positive(ed, EXIF_TAG_FNUMBER, &r->f_number);
    r->has_exposure_time_sec = positive(ed, EXIF_TAG_EXPOSURE_TIME, &r->exposure_time_sec);
    r->datetime_original = entry_string(find_entry(ed, EXIF_TAG_DATE_TIME_ORIGINAL));
    r->lens_model = entry_string(find_entry(ed, (ExifTag)0xA434));
    r->has_gps_data = ed->ifd[EXIF_IFD_GPS] && ed->ifd[EXIF_IFD_GPS]->count > 0;
    if (r->has_focal_length_35mm) {
        int f = r->focal_length_35mm;
        ie_record_set_str(&r->distortion_risk, f < 18 ? "high" : f < 24 ? "medium" : "low");
    }
out:
    if (ed)
        exif_data_unref(ed);
    free(copy);
}
