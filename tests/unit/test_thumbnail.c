/* Thumbnails (core/thumbnail.c) from a file and from memory: the same bytes, the same pixel
 * limit checked before decoding, the same refusal of a damaged image. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "imgeda/analyze.h"
#include "imgeda/thumbnail.h"
#include "imgeda/util.h"

static void setup(void)
{
    cr_assert_eq(ie_init("test_thumbnail", NULL), 0);
}

TestSuite(thumbnail, .init = setup);

static char *fixture(const char *name)
{
    char *dir = th_path(th_fixtures(), "sample");
    char *p = th_path(dir, name);
    free(dir);
    return p;
}

Test(thumbnail, buffer_gives_the_same_jpeg_as_the_file)
{
    char *p = fixture("street.jpg"), *data = NULL;
    size_t n = 0, la = 0, lb = 0;
    void *a = NULL, *b = NULL;
    struct ie_err err = {0};
    cr_assert_eq(ie_read_file(p, 64 << 20, &data, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(ie_thumbnail_jpeg(p, 64, 1 << 30, &a, &la, &err), 0, "%s", err.msg);
    cr_assert_eq(ie_thumbnail_jpeg_buffer(data, n, 64, 1 << 30, &b, &lb, &err), 0, "%s", err.msg);
    cr_assert_eq(la, lb);
    cr_assert_eq(memcmp(a, b, la), 0);
    free(a);
    free(b);
    free(data);
    free(p);
}

Test(thumbnail, buffer_checks_the_pixel_limit_and_refuses_damaged_images)
{
    char *p = fixture("street.jpg"), *bad = fixture("broken.jpg"), *data = NULL;
    size_t n = 0, len = 0;
    void *out = NULL;
    struct ie_err err = {0};
    cr_assert_eq(ie_read_file(p, 64 << 20, &data, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(ie_thumbnail_jpeg_buffer(data, n, 64, 100, &out, &len, &err), IE_ELIMIT);
    cr_assert(strstr(err.msg, "pixel limit"), "%s", err.msg);
    cr_assert_null(out);
    cr_assert_eq(ie_thumbnail_jpeg_buffer(data, n, 0, 1 << 30, &out, &len, &err), IE_EINVAL);
    free(data);
    cr_assert_eq(ie_read_file(bad, 64 << 20, &data, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(ie_thumbnail_jpeg(bad, 64, 1 << 30, &out, &len, &err), IE_EFORMAT);
    cr_assert_eq(ie_thumbnail_jpeg_buffer(data, n, 64, 1 << 30, &out, &len, &err), IE_EFORMAT,
                 "a truncated JPEG fails from memory as from a file");
    cr_assert_null(out);
    cr_assert_eq(ie_thumbnail_jpeg_buffer("not an image", 12, 64, 1 << 30, &out, &len, &err),
                 IE_EFORMAT);
    free(data);
    free(p);
    free(bad);
}
