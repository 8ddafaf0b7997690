/* UTF-8 helpers: validity, the \xNN escapes scans record file names with, their inverse (the
 * bytes on disk again), and the same escapes inside JSON text. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "imgeda/util.h"

Test(util, utf8_valid_accepts_utf8_and_refuses_the_rest)
{
    cr_expect(ie_utf8_valid("", 0));
    cr_expect(ie_utf8_valid("caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x98\x80", 14));
    cr_expect_not(ie_utf8_valid("caf\xe9", 4), "latin-1");
    cr_expect_not(ie_utf8_valid("\xc3", 1), "cut short");
    cr_expect_not(ie_utf8_valid("\xc0\xaf", 2), "overlong");
    cr_expect_not(ie_utf8_valid("\xed\xa0\x80", 3), "a surrogate");
    cr_expect_not(ie_utf8_valid("\xf4\x90\x80\x80", 4), "above U+10FFFF");
}

Test(util, unsanitize_gives_back_the_bytes_a_scan_escaped)
{
    const char *names[] = {"/d/caf\xe9.jpg", "/d/\xff\xfe\xc3\xa9\xe9", "/d/x\xc3"};
    for (size_t i = 0; i < 3; i++) {
        char *rec = ie_utf8_sanitize(names[i], strlen(names[i]));
        char *back = ie_utf8_unsanitize(rec);
        cr_assert_not_null(back, "%s", rec);
        cr_expect_str_eq(back, names[i]);
        free(rec);
        free(back);
    }
}

Test(util, unsanitize_leaves_text_that_no_scan_would_have_escaped)
{
    cr_expect_null(ie_utf8_unsanitize("/d/plain.jpg"), "nothing to decode");
    cr_expect_null(ie_utf8_unsanitize("/d/caf\\x41.jpg"), "ASCII is never escaped");
    cr_expect_null(ie_utf8_unsanitize("/d/\\xc3\\xa9.jpg"), "these bytes are a valid \xc3\xa9");
    cr_expect_null(ie_utf8_unsanitize("/d/\\xE9.jpg"), "scans write lower-case hex");
    cr_expect_null(ie_utf8_unsanitize("/d/\\xe"), "cut short");
}

Test(util, sanitize_json_escapes_its_backslash_for_json_text)
{
    const char *text = "{\"p\":\"caf\xe9\"}";
    char *s = ie_utf8_sanitize_json(text, strlen(text));
    cr_expect_str_eq(s, "{\"p\":\"caf\\\\xe9\"}");
    free(s);
}

/* The ASCII fast path (eight bytes at a time) still finds a bad byte at every position. */
Test(util, utf8_valid_finds_a_bad_byte_anywhere_in_long_ascii)
{
    char buf[40];
    for (size_t at = 0; at < sizeof(buf); at++) {
        memset(buf, 'a', sizeof(buf));
        cr_assert(ie_utf8_valid(buf, sizeof(buf)));
        buf[at] = (char)0xe9;
        cr_expect_not(ie_utf8_valid(buf, sizeof(buf)), "latin-1 byte at %zu", at);
        if (at + 1 < sizeof(buf)) {
            buf[at] = (char)0xc3;
            buf[at + 1] = (char)0xa9;
            cr_expect(ie_utf8_valid(buf, sizeof(buf)), "UTF-8 pair at %zu", at);
        }
    }
}

/* Floats print as Python's repr does (imgeda's CSV and JSON): the shortest form that reads back,
 * in exponent form below 1e-4 and from 1e16 on, else with a decimal point. */
Test(util, fmt_double_is_pythons_repr)
{
    static const struct {
        double v;
        const char *want;
    } cases[] = {
        {0.0, "0.0"},
        {-0.0, "-0.0"},
        {1.0, "1.0"},
        {0.1, "0.1"},
        {2.0 / 3, "0.6666666666666666"},
        {1717236000.25, "1717236000.25"},
        {1e15, "1000000000000000.0"},
        {9999999999999998.0, "9999999999999998.0"},
        {1e16, "1e+16"},
        {12345678901234567.0, "1.2345678901234568e+16"},
        {1e-4, "0.0001"},
        {1e-5, "1e-05"},
        {1.5e-7, "1.5e-07"},
        {1e100, "1e+100"},
        {5e-324, "5e-324"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {-1234.5, "-1234.5"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[32];
        ie_fmt_double(out, sizeof(out), cases[i].v);
        cr_expect_str_eq(out, cases[i].want, "case %zu", i);
    }
}
