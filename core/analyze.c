/* Analysis of one image file (SPEC §3): libvips start-up, format sniffing, the working
 * image and the record.
 * DESIGN: each file is read once; the bytes are hashed (XXH3-128) and decoded from the same
 * buffer. The header is checked against max_pixels before any pixel is decoded. The stored
 * image is converted to 8-bit RGB like Pillow's convert("RGB") (grey replicated, palette looked
 * up by the decoder, alpha dropped, CMYK by Pillow's naive formula; 16-bit scaled by >> 8) and
 * resized with Pillow's Lanczos when larger than max_image_dim, so values match imgeda.
 * THREADS: thread-safe after ie_init(); libvips runs one thread per image (our pool provides
 * the parallelism) and its global error buffer is copied and cleared right after a failure. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vips/vips.h>
#include <xxhash.h>

#include "imgeda/analyze.h"
#include "imgeda/util.h"
#include "internal.h"

/* ---- library start-up ---- */

static void quiet_log(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer ud)
{
    (void)domain;
    (void)level;
    (void)msg;
    (void)ud;
}

int ie_init(const char *argv0, struct ie_err *err)
{
    if (VIPS_INIT(argv0 ? argv0 : "imgeda"))
        return ie_err_set(err, IE_EINVAL, "cannot start libvips: %s", vips_error_buffer());
    vips_concurrency_set(1);
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);
    vips_cache_set_max_files(0);
    /* Damaged files are data here: their decoder warnings would only flood the terminal. */
    g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE, quiet_log, NULL);
    return 0;
}

void ie_thread_done(void)
{
    ie__scratch_release();
    vips_thread_shutdown();
}

void ie_shutdown(void)
{
    ie__scratch_release();
    vips_shutdown();
}

/* ---- format sniffing ---- */

struct stored_info {
    const char *format;     /* Pillow-style name */
    const char *color_mode; /* Pillow-style mode */
    int channels;
    int bit_depth;
    int frames;
};

static bool has_prefix(const unsigned char *b, size_t n, const char *p, size_t pl)
{
    return n >= pl && memcmp(b, p, pl) == 0;
}

static const char *sniff_format(const unsigned char *b, size_t n)
{
    if (has_prefix(b, n, "\xFF\xD8\xFF", 3))
        return "JPEG";
    if (has_prefix(b, n, "\x89PNG\r\n\x1A\n", 8))
        return "PNG";
    if (has_prefix(b, n, "GIF87a", 6) || has_prefix(b, n, "GIF89a", 6))
        return "GIF";
    if (n >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0)
        return "WEBP";
    if (has_prefix(b, n, "II*\0", 4) || has_prefix(b, n, "MM\0*", 4) ||
        has_prefix(b, n, "II+\0", 4) || has_prefix(b, n, "MM\0+", 4))
        return "TIFF";
    if (has_prefix(b, n, "BM", 2))
        return "BMP";
    if (has_prefix(b, n, "\xFF\x0A", 2) || has_prefix(b, n, "\0\0\0\x0CJXL \r\n\x87\n", 12))
        return "JXL";
    if (n >= 12 && memcmp(b + 4, "ftyp", 4) == 0) {
        if (memcmp(b + 8, "avif", 4) == 0 || memcmp(b + 8, "avis", 4) == 0)
            return "AVIF";
        return "HEIF";
    }
    return NULL;
}

static uint32_t rd_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t rd_le32(const unsigned char *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* Width and height declared by the container header, read without any decoder, so that a
 * decompression bomb is refused before a library allocates for it. Returns false when the
 * format is not one we parse here (libvips' header is checked later anyway). */
static bool header_dims(const char *format, const unsigned char *b, size_t n, int64_t *w,
                        int64_t *h)
{
    if (strcmp(format, "PNG") == 0 && n >= 24 && memcmp(b + 12, "IHDR", 4) == 0) {
        *w = rd_be32(b + 16);
        *h = rd_be32(b + 20);
        return true;
    }
    if (strcmp(format, "GIF") == 0 && n >= 10) {
        *w = b[6] | b[7] << 8;
        *h = b[8] | b[9] << 8;
        return true;
    }
    if (strcmp(format, "BMP") == 0 && n >= 26) {
        *w = (int32_t)rd_le32(b + 18);
        *h = (int32_t)rd_le32(b + 22);
        *h = *h < 0 ? -*h : *h;
        *w = *w < 0 ? -*w : *w;
        return true;
    }
    if (strcmp(format, "WEBP") == 0 && n >= 30) {
        if (memcmp(b + 12, "VP8X", 4) == 0) {
            *w = 1 + (b[24] | b[25] << 8 | b[26] << 16);
            *h = 1 + (b[27] | b[28] << 8 | b[29] << 16);
            return true;
        }
        if (memcmp(b + 12, "VP8L", 4) == 0 && n >= 25) {
            uint32_t v = rd_le32(b + 21);
            *w = 1 + (v & 0x3FFF);
            *h = 1 + ((v >> 14) & 0x3FFF);
            return true;
        }
        if (memcmp(b + 12, "VP8 ", 4) == 0) {
            *w = (b[26] | b[27] << 8) & 0x3FFF;
            *h = (b[28] | b[29] << 8) & 0x3FFF;
            return true;
        }
        return false;
    }
    if (strcmp(format, "JPEG") == 0) {
        /* Walk the markers to the first SOFn. */
        size_t i = 2;
        while (i + 9 < n) {
            if (b[i] != 0xFF) {
                i++;
                continue;
            }
            unsigned m = b[i + 1];
            if (m == 0xFF) {
                i++;
                continue;
            }
            if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {
                i += 2;
                continue;
            }
            size_t seglen = (size_t)b[i + 2] << 8 | b[i + 3];
            if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
                *h = b[i + 5] << 8 | b[i + 6];
                *w = b[i + 7] << 8 | b[i + 8];
                return true;
            }
            if (m == 0xD9 || m == 0xDA || seglen < 2)
                return false;
            i += 2 + seglen;
        }
        return false;
    }
    return false;
}

static int bmp_bits(const unsigned char *b, size_t n)
{
    if (n < 30)
        return 0;
    return b[28] | (b[29] << 8);
}

static int get_int_meta(VipsImage *im, const char *name, int dflt)
{
    int v;
    if (vips_image_get_typeof(im, name) && vips_image_get_int(im, name, &v) == 0)
        return v;
    return dflt;
}

static int format_bits(VipsBandFormat f)
{
    switch (f) {
    case VIPS_FORMAT_UCHAR:
    case VIPS_FORMAT_CHAR:
        return 8;
    case VIPS_FORMAT_USHORT:
    case VIPS_FORMAT_SHORT:
        return 16;
    case VIPS_FORMAT_UINT:
    case VIPS_FORMAT_INT:
    case VIPS_FORMAT_FLOAT:
        return 32;
    default:
        return 64;
    }
}

/* Pillow's mode for the stored image, from the container and libvips' view of it. */
static void describe_stored(const unsigned char *buf, size_t len, VipsImage *im,
                            struct stored_info *si)
{
    int bands = im->Bands;
    bool cmyk = im->Type == VIPS_INTERPRETATION_CMYK;
    int palette_bits = get_int_meta(im, "palette-bit-depth", 0);
    int bits = get_int_meta(im, "bits-per-sample", format_bits(im->BandFmt));

    si->frames = get_int_meta(im, "n-pages", 1);
    si->bit_depth = palette_bits ? palette_bits : bits;
    if (strcmp(si->format, "PNG") == 0 && len >= 26 && memcmp(buf + 12, "IHDR", 4) == 0) {
        /* The PNG header says what Pillow's mode will be; libvips only keeps the palette's. */
        int depth = buf[24], ctype = buf[25];
        si->bit_depth = depth;
        switch (ctype) {
        case 0:
            si->color_mode = depth == 1 ? "1" : depth == 16 ? "I;16" : "L";
            break;
        case 2:
            si->color_mode = "RGB";
            break;
        case 3:
            si->color_mode = "P";
            break;
        case 4:
            si->color_mode = depth == 16 ? "RGBA" : "LA";
            break;
        default:
            si->color_mode = "RGBA";
            break;
        }
    } else if (strcmp(si->format, "GIF") == 0) {
        si->color_mode = "P";
        si->bit_depth = 8;
    } else if (strcmp(si->format, "BMP") == 0) {
        int bb = bmp_bits(buf, len);
        /* Bits per sample: a palette index's size, else 8 per channel. */
        si->bit_depth = bb > 0 && bb <= 8 ? bb : 8;
        si->color_mode = bb == 1 ? "1" : bb > 0 && bb <= 8 ? "P" : bands == 4 ? "RGBA" : "RGB";
    } else if (palette_bits) {
        si->color_mode = "P";
    } else if (bands == 1 || bands == 2) {
        if (bits == 1)
            si->color_mode = "1";
        else if (im->BandFmt == VIPS_FORMAT_FLOAT || im->BandFmt == VIPS_FORMAT_DOUBLE)
            si->color_mode = "F";
        else if (bits > 8 && bands == 1)
            si->color_mode = im->BandFmt == VIPS_FORMAT_USHORT ? "I;16" : "I";
        else if (bands == 2)
            si->color_mode = bits > 8 ? "RGBA" : "LA";
        else
            si->color_mode = "L";
    } else if (bands == 4 && cmyk) {
        si->color_mode = "CMYK";
    } else if (bands >= 4) {
        si->color_mode = "RGBA";
    } else {
        si->color_mode = "RGB";
    }
    si->channels = strcmp(si->color_mode, "RGBA") == 0 || strcmp(si->color_mode, "CMYK") == 0 ? 4
                   : strcmp(si->color_mode, "RGB") == 0                                       ? 3
                   : strcmp(si->color_mode, "LA") == 0                                        ? 2
                                                                                              : 1;
}

/* ---- decoding to the working image ---- */

/* libvips' error text as one line: its lines joined with "; " (the first is often generic,
 * e.g. "libpng read error", and the next says what was wrong), capped at 300 bytes. */
static char *vips_error_line(const char *fallback)
{
    char *all = vips_error_buffer_copy();
    struct ie_buf b;
    ie_buf_init(&b);
    for (const char *p = all ? all : ""; *p && b.len < 300;) {
        size_t n = strcspn(p, "\n");
        if (n) {
            if (b.len)
                ie_buf_adds(&b, "; ");
            ie_buf_add(&b, p, n);
        }
        p += n;
        if (*p)
            p++;
    }
    g_free(all);
    if (b.len > 300) {
        b.data[297] = b.data[298] = b.data[299] = '.';
        b.data[300] = '\0';
        b.len = 300;
    }
    if (!b.len) {
        ie_buf_release(&b);
        return ie_xstrdup(fallback);
    }
    return ie_buf_detach(&b);
}

static inline uint8_t sample8(const void *data, VipsBandFormat f, size_t i)
{
    switch (f) {
    case VIPS_FORMAT_UCHAR:
        return ((const uint8_t *)data)[i];
    case VIPS_FORMAT_CHAR: {
        int v = ((const int8_t *)data)[i];
        return (uint8_t)(v < 0 ? 0 : v);
    }
    case VIPS_FORMAT_USHORT:
        return (uint8_t)(((const uint16_t *)data)[i] >> 8);
    case VIPS_FORMAT_SHORT: {
        int v = ((const int16_t *)data)[i];
        return (uint8_t)(v < 0 ? 0 : v >> 7);
    }
    case VIPS_FORMAT_UINT:
        return (uint8_t)(((const uint32_t *)data)[i] >> 24);
    case VIPS_FORMAT_INT: {
        int32_t v = ((const int32_t *)data)[i];
        return (uint8_t)(v < 0 ? 0 : v >> 23);
    }
    case VIPS_FORMAT_FLOAT: {
        float v = ((const float *)data)[i];
        return (uint8_t)(v <= 0 ? 0 : v >= 255 ? 255 : (int)v);
    }
    case VIPS_FORMAT_DOUBLE: {
        double v = ((const double *)data)[i];
        return (uint8_t)(v <= 0 ? 0 : v >= 255 ? 255 : (int)v);
    }
    default:
        return 0;
    }
}

/* Pillow's cmyk2rgb: channel = (255 - C) * (255 - K) / 255 with MULDIV255 rounding. */
static inline uint8_t cmyk_channel(unsigned c, unsigned k)
{
    unsigned nk = 255 - k;
    unsigned t = c * nk + 128;
    unsigned m = ((t >> 8) + t) >> 8;
    int v = (int)nk - (int)m;
    return (uint8_t)(v < 0 ? 0 : v);
}

/* Converts decoded pixels (any band count / format) to packed RGB8. */
static void to_rgb8(const void *data, int w, int h, int bands, VipsBandFormat fmt, bool cmyk,
                    uint8_t *out)
{
    size_t n = (size_t)w * (size_t)h;
    if (fmt == VIPS_FORMAT_UCHAR && bands == 3) {
        memcpy(out, data, n * 3);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        size_t b = i * (size_t)bands;
        uint8_t *o = out + i * 3;
        if (bands >= 4 && cmyk) {
            uint8_t c = sample8(data, fmt, b), m = sample8(data, fmt, b + 1),
                    y = sample8(data, fmt, b + 2), k = sample8(data, fmt, b + 3);
            o[0] = cmyk_channel(c, k);
            o[1] = cmyk_channel(m, k);
            o[2] = cmyk_channel(y, k);
        } else if (bands >= 3) {
            o[0] = sample8(data, fmt, b);
            o[1] = sample8(data, fmt, b + 1);
            o[2] = sample8(data, fmt, b + 2);
        } else {
            o[0] = o[1] = o[2] = sample8(data, fmt, b);
        }
    }
}

static void set_corrupt(struct ie_record *r, const char *why)
{
    r->is_corrupt = true;
    ie_record_set_str(&r->error, why);
}

/* The largest JPEG shrink (1, 2, 4, 8) that keeps the longer side >= max_dim. */
static int jpeg_shrink_for(int w, int h, int max_dim)
{
    int longer = w > h ? w : h, s = 1;
    while (s < 8 && longer / (s * 2) >= max_dim)
        s *= 2;
    return s;
}

/* The decoder's own shrink for this file: the fast profile's (JPEG DCT scale, WebP scale; both
 * by the power of two that keeps the longer side >= max_image_dim), the older shrink_on_load
 * (JPEG only), or 1 (decode at full resolution). */
static int load_shrink(const char *format, int W, int H, const struct ie_scan_options *o)
{
    bool jpeg = strcmp(format, "JPEG") == 0, webp = strcmp(format, "WEBP") == 0;
    if ((o->profile == IE_PROFILE_FAST && (jpeg || webp)) || (o->shrink_on_load && jpeg))
        return jpeg_shrink_for(W, H, o->max_image_dim);
    return 1;
}

/* Decodes the first frame and builds the working image. *scale is how many times larger than
 * the compatible working image it is (1, or in [1, 2) with the fast profile, which measures the
 * decoder's shrunk image as it is rather than resampling it). Returns 0 or sets r corrupt. */
static int working_image(const void *buf, size_t len, VipsImage *header, const char *format,
                         const struct ie_scan_options *o, struct ie_rgb *out, double *scale,
                         struct ie_record *r)
{
    VipsImage *im = header;
    int rc = -1;
    int W = header->Xsize, H = header->Ysize;

    *scale = 1.0;
    g_object_ref(im);
    int s = load_shrink(format, W, H, o);
    if (s > 1) {
        /* libvips' jpegload takes "shrink" (DCT scaling), webpload "scale" (libwebp's own
         * scaler); each loader accepts only its own. */
        bool jpeg = strcmp(format, "JPEG") == 0;
        VipsImage *shrunk = jpeg ? vips_image_new_from_buffer(buf, len, "", "shrink", s, "access",
                                                              VIPS_ACCESS_SEQUENTIAL, "fail_on",
                                                              VIPS_FAIL_ON_ERROR, NULL)
                                 : vips_image_new_from_buffer(buf, len, "", "scale", 1.0 / s,
                                                              "access", VIPS_ACCESS_SEQUENTIAL,
                                                              "fail_on", VIPS_FAIL_ON_ERROR, NULL);
        if (!shrunk) {
            char *e = vips_error_line("cannot decode image");
            set_corrupt(r, e);
            free(e);
            goto out;
        }
        g_object_unref(im);
        im = shrunk;
    }
    int w = im->Xsize, h = im->Ysize;
    size_t psize = VIPS_IMAGE_SIZEOF_IMAGE(im);
    /* Decode straight into this thread's reused buffer: vips_image_write_to_memory would hand
     * back a fresh, zeroed, full-size allocation whose every page faults in again. */
    void *pixels = ie__scratch(IE_SCRATCH_DECODE, psize ? psize : 1);
    VipsImage *mem = vips_image_new_from_memory(pixels, psize, w, h, im->Bands, im->BandFmt);
    if (!mem || vips_image_write(im, mem) != 0) {
        char *e = vips_error_line("cannot decode image");
        set_corrupt(r, e);
        free(e);
        if (mem)
            g_object_unref(mem);
        goto out;
    }
    g_object_unref(mem);
    uint8_t *rgb = pixels;
    if (im->BandFmt != VIPS_FORMAT_UCHAR || im->Bands != 3) {
        rgb = ie__scratch(IE_SCRATCH_RGB, (size_t)w * (size_t)h * 3 + 1);
        to_rgb8(pixels, w, h, im->Bands, im->BandFmt, im->Type == VIPS_INTERPRETATION_CMYK, rgb);
    }

    int longer = W > H ? W : H, got = w > h ? w : h;
    if (o->profile == IE_PROFILE_FAST && longer > o->max_image_dim && got < 2 * o->max_image_dim) {
        /* Within an octave of the working size: measured as decoded, no resampling. */
        *scale = (double)got / o->max_image_dim;
    } else if (longer > o->max_image_dim) {
        double ratio = (double)o->max_image_dim / longer;
        int ow = (int)(W * ratio), oh = (int)(H * ratio);
        /* Pillow refuses a zero side; a 1-pixel side keeps such strips analysable. */
        ow = ow < 1 ? 1 : ow;
        oh = oh < 1 ? 1 : oh;
        uint8_t *small = ie__scratch(IE_SCRATCH_WORK, (size_t)ow * (size_t)oh * 3);
        ie__resample_into(rgb, w, h, 3, ow, oh, small);
        rgb = small;
        w = ow;
        h = oh;
    }
    out->w = w;
    out->h = h;
    out->px = rgb;
    rc = 0;
out:
    g_object_unref(im);
    return rc;
}

/* HEIF and AVIF keep their metadata in a meta box read before any image data. */
static bool keeps_metadata(const char *format)
{
    return format && (strcmp(format, "HEIF") == 0 || strcmp(format, "AVIF") == 0);
}

/* Whether an ISOBMFF file's ftyp names a HEIF brand (major or compatible), so that a cut
 * HEIC is told from any other ftyp file (an MP4) that libvips cannot open either. */
static bool heif_brand(const unsigned char *b, size_t n)
{
    static const char brands[][5] = {"mif1", "msf1", "heic", "heix", "heim",
                                     "heis", "hevc", "hevx", "avif", "avis"};
    size_t end = n >= 8 ? IE_MIN((size_t)rd_be32(b), n) : 0;
    for (size_t at = 8; at + 4 <= end; at += at == 8 ? 8 : 4)
        for (size_t i = 0; i < IE_ARRAY_LEN(brands); i++)
            if (memcmp(b + at, brands[i], 4) == 0)
                return true;
    return false;
}

/* libvips hands over no EXIF blob for several containers (PNG eXIf after IDAT or in a text
 * chunk, a TIFF's own IFD0, some WebP and HEIF files): look for it in the file itself. Only
 * formats that can hold one are looked at, and only then, so the common path costs nothing. */
static void exif_from_container(const void *buf, size_t len, const char *format,
                                struct ie_record *r)
{
    struct ie_exif_bytes x;
    if (!ie__exif_find(buf, len, format, &x))
        return;
    ie__exif_extract(x.data, x.len, r);
    ie__exif_bytes_release(&x);
}

/* Pillow's getexif() falls back to XMP's tiff:Orientation (="N" or >N) when EXIF has none,
 * so imgeda reports it; we do the same. */
static void orientation_from_xmp(VipsImage *im, struct ie_record *r)
{
    const void *xmp;
    size_t n;
    if (!vips_image_get_typeof(im, VIPS_META_XMP_NAME) ||
        vips_image_get_blob(im, VIPS_META_XMP_NAME, &xmp, &n) != 0)
        return;
    const char *p = xmp, *end = p + n;
    static const char key[] = "tiff:Orientation";
    while ((p = memmem(p, (size_t)(end - p), key, sizeof(key) - 1))) {
        p += sizeof(key) - 1;
        if (end - p >= 3 && p[0] == '=' && p[1] == '"' && p[2] >= '0' && p[2] <= '9') {
            r->orientation_tag = p[2] - '0';
            r->has_orientation_tag = true;
            return;
        }
        if (end - p >= 2 && p[0] == '>' && p[1] >= '0' && p[1] <= '9') {
            r->orientation_tag = p[1] - '0';
            r->has_orientation_tag = true;
            return;
        }
    }
}

static void analyse_pixels(const struct ie_rgb *img, double scale, const struct ie_scan_options *o,
                           struct ie_record *r)
{
    if (!o->skip_pixel_stats) {
        ie_compute_pixel_stats(img, &r->pixel_stats);
        r->has_pixel_stats = true;
        r->is_dark = r->pixel_stats.mean_brightness < o->dark_threshold;
        r->is_overexposed = r->pixel_stats.mean_brightness > o->overexposed_threshold;
        ie_compute_corner_stats(img, o->corner_patch_fraction, &r->corner_stats);
        r->has_corner_stats = true;
        r->has_border_artifact = r->corner_stats.delta > o->artifact_threshold;
        if (!o->skip_blur) {
            double score = scale > 1.0 ? ie_compute_blur_score_rescaled(img, scale)
                                       : ie_compute_blur_score(img);
            r->blur_score = ie_round(score, 2);
            r->has_blur_score = true;
            r->is_blurry = score < o->blur_threshold;
        }
    }
    if (!o->no_hashes) {
        uint8_t *luma = ie_rgb_to_luma(img);
        ie_compute_phash(luma, img->w, img->h, &r->phash);
        ie_compute_dhash(luma, img->w, img->h, &r->dhash);
        r->has_phash = r->has_dhash = true;
        free(luma);
    }
}

void ie_analyze_buffer(const void *buf, size_t len, const struct ie_scan_options *o,
                       struct ie_record *r)
{
    VipsImage *header = NULL;
    struct ie_rgb img = {0, 0, NULL};
    struct stored_info si = {0};
    char hex[80];

    XXH128_hash_t hh = XXH3_128bits(buf, len);
    snprintf(hex, sizeof(hex), "xxh3_128:%016llx%016llx", (unsigned long long)hh.high64,
             (unsigned long long)hh.low64);
    ie_record_set_str(&r->content_hash, hex);
    ie_record_set_str(&r->analyzer_version, IE_ANALYZER_VERSION);

    if (len == 0) {
        set_corrupt(r, "empty file");
        goto out;
    }
    si.format = sniff_format(buf, len);
    if (!si.format) {
        set_corrupt(r, "not a recognised image format");
        goto out;
    }
    int64_t hw, hh2, px;
    /* A header may declare up to 2^32 - 1 a side (PNG, TIFF): the product can pass INT64_MAX. */
    if (header_dims(si.format, buf, len, &hw, &hh2) &&
        (__builtin_mul_overflow(hw, hh2, &px) || px > o->max_pixels)) {
        char why[160];
        ie_record_set_str(&r->format, si.format);
        snprintf(why, sizeof(why), "exceeds pixel limit: %lldx%lld > %lld pixels", (long long)hw,
                 (long long)hh2, (long long)o->max_pixels);
        set_corrupt(r, why);
        goto out;
    }
    header = vips_image_new_from_buffer(buf, len, "", "access", VIPS_ACCESS_SEQUENTIAL, "fail_on",
                                        VIPS_FAIL_ON_ERROR, NULL);
    if (!header) {
        char *e = vips_error_line("cannot read image header");
        set_corrupt(r, e);
        free(e);
        /* A cut HEIF: libheif refuses it, but its meta box (format, EXIF) may be whole. */
        if (keeps_metadata(si.format) && heif_brand(buf, len))
            ie_record_set_str(&r->format, si.format);
        goto out;
    }
    describe_stored(buf, len, header, &si);
    ie_record_set_str(&r->format, si.format);
    ie_record_set_str(&r->color_mode, si.color_mode);
    r->num_channels = si.channels;
    r->bit_depth = si.bit_depth;
    r->num_frames = si.frames;

    int64_t pixels = (int64_t)header->Xsize * header->Ysize;
    if (pixels > o->max_pixels) {
        char why[160];
        snprintf(why, sizeof(why), "exceeds pixel limit: %dx%d > %lld pixels", header->Xsize,
                 header->Ysize, (long long)o->max_pixels);
        set_corrupt(r, why);
        goto out;
    }
    if (!o->skip_exif) {
        const void *exif;
        size_t exif_len;
        if (vips_image_get_typeof(header, VIPS_META_EXIF_NAME) &&
            vips_image_get_blob(header, VIPS_META_EXIF_NAME, &exif, &exif_len) == 0)
            ie__exif_extract(exif, exif_len, r);
        else
            exif_from_container(buf, len, si.format, r);
    }
    if (!o->skip_exif && !r->has_orientation_tag)
        orientation_from_xmp(header, r);
    double scale;
    if (working_image(buf, len, header, si.format, o, &img, &scale, r) < 0)
        goto out;
    r->width = header->Xsize;
    r->height = header->Ysize;
    r->aspect_ratio = r->height > 0 ? ie_round((double)r->width / r->height, 4) : 0.0;
    analyse_pixels(&img, scale, o, r);
out:
    ie__scratch_trim(IE__SCRATCH_KEEP);
    if (header)
        g_object_unref(header);
    if (r->is_corrupt) {
        /* imgeda leaves every computed field at its default for a corrupt image. */
        int64_t size = r->file_size_bytes;
        double mtime = r->mtime;
        char *path = r->path, *filename = r->filename, *ch = r->content_hash, *err = r->error,
             *fmt = r->format, *mode = r->color_mode;
        r->path = r->filename = r->content_hash = r->error = r->format = r->color_mode = NULL;
        int ch_n = r->num_channels, bits = r->bit_depth, frames = r->num_frames;
        ie_record_release(r);
        r->path = path;
        r->filename = filename;
        r->content_hash = ch;
        r->error = err;
        r->file_size_bytes = size;
        r->mtime = mtime;
        r->is_corrupt = true;
        /* Keep what the header told us: it helps explain the failure (beyond imgeda). */
        r->format = fmt;
        r->color_mode = mode;
        r->num_channels = ch_n;
        r->bit_depth = bits;
        r->num_frames = frames;
        ie_record_set_str(&r->analyzer_version, IE_ANALYZER_VERSION);
        /* pillow-heif reads a HEIF's EXIF from the meta box before any pixel is decoded, so
         * imgeda keeps it when decoding fails: a cut HEIC still tells its camera. */
        if (keeps_metadata(r->format) && !o->skip_exif)
            exif_from_container(buf, len, r->format, r);
    }
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* The record of a file ie_open_confined refused or could not open. Size and mtime are kept
 * where the file may be read (they let a resume keep the verdict), never for one outside the
 * allowed roots. The rare failure path looks the file up again by name, as before the open. */
static void record_unopened(const char *fs_path, const struct ie_scan_options *o,
                            const struct stat *st, const struct ie_err *err, struct ie_record *r)
{
    struct stat again;
    if (err->code == IE_EPERM || !ie_confine_allows_path(o->confine, fs_path)) {
        set_corrupt(r, "refused: the file resolves outside the allowed roots");
        return;
    }
    if (st->st_mode == 0) {
        if (stat(fs_path, &again) < 0) {
            char why[300];
            snprintf(why, sizeof(why), "cannot stat file: %s", strerror(errno));
            set_corrupt(r, why);
            return;
        }
        st = &again;
    }
    r->file_size_bytes = (int64_t)st->st_size;
    r->mtime = (double)st->st_mtim.tv_sec + (double)st->st_mtim.tv_nsec * 1e-9;
    set_corrupt(r, err->msg);
}

void ie_analyze_file(const char *fs_path, const char *record_path, const struct ie_scan_options *o,
                     struct ie_record *r)
{
    char now[40];
    char *buf = NULL;
    size_t len = 0;
    struct stat st;
    struct ie_err err = {0};

    ie_record_set_str(&r->path, record_path);
    ie_record_set_str(&r->filename, base_name(record_path));
    ie_now_iso(now, sizeof(now));
    ie_record_set_str(&r->analyzed_at, now);
    ie_record_set_str(&r->analyzer_version, IE_ANALYZER_VERSION);

    /* The file is opened once; its status comes from the descriptor and, when confined (the
     * daemon), so does its real path: nothing of a file outside the allowed roots is read or
     * recorded, not even its size. Discovery already skipped such files; this catches a link
     * swapped since, without resolving every path twice. */
    int fd = ie_open_confined(fs_path, o->confine, &st, &err);
    if (fd < 0) {
        record_unopened(fs_path, o, &st, &err, r);
        return;
    }
    r->file_size_bytes = (int64_t)st.st_size;
    r->mtime = (double)st.st_mtim.tv_sec + (double)st.st_mtim.tv_nsec * 1e-9;
    int rc = ie_read_fd(fd, fs_path, &st, (size_t)o->max_file_bytes, &buf, &len, &err);
    close(fd);
    if (rc < 0) {
        set_corrupt(r, err.code == IE_ELIMIT ? "file too large" : err.msg);
        return;
    }
    ie_analyze_buffer(buf, len, o, r);
    /* analyzed_at must survive the corrupt-path reset inside ie_analyze_buffer. */
    ie_record_set_str(&r->analyzed_at, now);
    free(buf);
}

void ie_analyze_failed(const char *fs_path, const char *record_path,
                       const struct ie_scan_options *o, const char *why, struct ie_record *r)
{
    char now[40];
    struct stat st;
    ie_record_set_str(&r->path, record_path);
    ie_record_set_str(&r->filename, base_name(record_path));
    ie_now_iso(now, sizeof(now));
    ie_record_set_str(&r->analyzed_at, now);
    ie_record_set_str(&r->analyzer_version, IE_ANALYZER_VERSION);
    /* Size and mtime let a resume keep this verdict instead of retrying the file. */
    if (ie_confine_allows_path(o->confine, fs_path) && stat(fs_path, &st) == 0) {
        r->file_size_bytes = (int64_t)st.st_size;
        r->mtime = (double)st.st_mtim.tv_sec + (double)st.st_mtim.tv_nsec * 1e-9;
    }
    set_corrupt(r, why);
}

/* The fields every record of a fetched file starts with (see ie_analyze_fetched). */
static void fetched_identity(const char *record_path, int64_t size, double mtime, const char *now,
                             struct ie_record *r)
{
    ie_record_set_str(&r->path, record_path);
    ie_record_set_str(&r->filename, base_name(record_path));
    ie_record_set_str(&r->analyzed_at, now);
    ie_record_set_str(&r->analyzer_version, IE_ANALYZER_VERSION);
    r->file_size_bytes = size;
    r->mtime = mtime;
}

void ie_analyze_fetched(const void *buf, size_t len, const char *record_path, int64_t size,
                        double mtime, const struct ie_scan_options *o, struct ie_record *r)
{
    char now[40];
    ie_now_iso(now, sizeof(now));
    fetched_identity(record_path, size, mtime, now, r);
    if (o->max_file_bytes > 0 && (int64_t)len > o->max_file_bytes) {
        set_corrupt(r, "file too large");
        return;
    }
    ie_analyze_buffer(buf, len, o, r);
    /* analyzed_at must survive the corrupt-path reset inside ie_analyze_buffer. */
    ie_record_set_str(&r->analyzed_at, now);
}

void ie_analyze_fetch_failed(const char *record_path, int64_t size, double mtime, const char *why,
                             struct ie_record *r)
{
    char now[40];
    ie_now_iso(now, sizeof(now));
    fetched_identity(record_path, size, mtime, now, r);
    set_corrupt(r, why);
}
