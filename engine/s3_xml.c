/* The S3 client's XML answers (ListObjectsV2 pages and <Error> documents) read with expat.
 * DESIGN: a tiny path-matching reader: the text of a leaf element is collected (capped) and
 * handed over at its end tag together with its parent's name, which is all these flat
 * documents need. Namespaces are ignored (S3 puts every element in its own default one). */
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imgeda/util.h"
#include "engine/s3_internal.h"

#define DEPTH_MAX 16
#define TEXT_MAX  4096 /* keys are at most 1024 bytes; nothing we read is longer */

struct xml_reader {
    XML_Parser p;
    char names[DEPTH_MAX][32]; /* element names on the path from the root */
    int depth;
    struct ie_buf text;
    bool text_over;
    /* The element ending: its name, its parent's name and its text. */
    void (*on_leaf)(struct xml_reader *x, const char *parent, const char *name, const char *text);
    void *ud;
    bool stop;
};

static void on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    (void)attrs;
    struct xml_reader *x = ud;
    if (x->depth < DEPTH_MAX)
        snprintf(x->names[x->depth], sizeof(x->names[0]), "%s", name);
    x->depth++;
    ie_buf_reset(&x->text);
    x->text_over = false;
}

static void on_end(void *ud, const XML_Char *name)
{
    struct xml_reader *x = ud;
    x->depth--;
    if (!x->stop && x->depth >= 1 && x->depth <= DEPTH_MAX && !x->text_over)
        x->on_leaf(x, x->names[x->depth - 1], name, x->text.data ? x->text.data : "");
    ie_buf_reset(&x->text);
    if (x->stop)
        XML_StopParser(x->p, XML_FALSE);
}

static void on_text(void *ud, const XML_Char *s, int len)
{
    struct xml_reader *x = ud;
    if (x->text.len + (size_t)len > TEXT_MAX) {
        x->text_over = true;
        return;
    }
    ie_buf_add(&x->text, s, (size_t)len);
}

/* Parses body with x->on_leaf. Returns 0, IE_ECANCELED (x->stop) or IE_EFORMAT. */
static int xml_read(struct xml_reader *x, const uint8_t *body, size_t len, struct ie_err *err)
{
    int rc = 0;
    x->p = XML_ParserCreate("UTF-8");
    if (!x->p)
        return ie_err_set(err, IE_EFORMAT, "out of memory creating an XML parser");
    ie_buf_init(&x->text);
    XML_SetUserData(x->p, x);
    XML_SetElementHandler(x->p, on_start, on_end);
    XML_SetCharacterDataHandler(x->p, on_text);
    if (len > (size_t)INT32_MAX)
        rc = ie_err_set(err, IE_EFORMAT, "XML document too large");
    else if (XML_Parse(x->p, (const char *)body, (int)len, XML_TRUE) == XML_STATUS_ERROR) {
        if (x->stop)
            rc = IE_ECANCELED;
        else
            rc = ie_err_set(err, IE_EFORMAT, "XML line %lu: %s",
                            (unsigned long)XML_GetCurrentLineNumber(x->p),
                            XML_ErrorString(XML_GetErrorCode(x->p)));
    } else if (x->stop)
        rc = IE_ECANCELED;
    XML_ParserFree(x->p);
    ie_buf_release(&x->text);
    return rc;
}

struct error_doc {
    char *code, *msg;
    size_t code_cap, msg_cap;
};

static void error_leaf(struct xml_reader *x, const char *parent, const char *name, const char *text)
{
    struct error_doc *d = x->ud;
    if (strcmp(parent, "Error") != 0)
        return;
    if (strcmp(name, "Code") == 0)
        snprintf(d->code, d->code_cap, "%s", text);
    else if (strcmp(name, "Message") == 0)
        snprintf(d->msg, d->msg_cap, "%s", text);
}

void s3__xml_error(const uint8_t *body, size_t len, char *code, size_t code_cap, char *msg,
                   size_t msg_cap)
{
    struct error_doc d = {code, msg, code_cap, msg_cap};
    struct xml_reader x = {.on_leaf = error_leaf, .ud = &d};
    struct ie_err ignored;
    code[0] = msg[0] = '\0';
    if (body && len)
        xml_read(&x, body, len, &ignored);
    /* An error message is quoted into one-line messages: no line breaks. */
    for (char *c = msg; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
}

int64_t s3__parse_time(const char *iso)
{
    struct tm tm = {0};
    int y, mo, d, h, mi, s, used = 0;
    if (sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &used) != 6 ||
        used != 19)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return (int64_t)timegm(&tm);
}

struct list_doc {
    eng_s3_list_cb cb;
    void *ud;
    bool truncated;
    char *next_token;
    /* The <Contents> element being read. */
    char *key, *etag;
    int64_t size, mtime;
    bool bad;
    char why[160];
};

static void contents_leaf(struct list_doc *d, const char *name, const char *text)
{
    if (strcmp(name, "Key") == 0) {
        free(d->key);
        d->key = ie_xstrdup(text);
    } else if (strcmp(name, "Size") == 0) {
        char *end;
        long long v = strtoll(text, &end, 10);
        d->size = (*end || v < 0) ? -1 : (int64_t)v;
    } else if (strcmp(name, "LastModified") == 0) {
        d->mtime = s3__parse_time(text);
    } else if (strcmp(name, "ETag") == 0) {
        free(d->etag);
        d->etag = ie_xstrdup(text);
    }
}

static void list_leaf(struct xml_reader *x, const char *parent, const char *name, const char *text)
{
    struct list_doc *d = x->ud;
    if (strcmp(parent, "Contents") == 0) {
        contents_leaf(d, name, text);
        return;
    }
    if (strcmp(parent, "ListBucketResult") != 0)
        return;
    if (strcmp(name, "IsTruncated") == 0)
        d->truncated = strcmp(text, "true") == 0;
    else if (strcmp(name, "NextContinuationToken") == 0) {
        free(d->next_token);
        d->next_token = ie_xstrdup(text);
    } else if (strcmp(name, "Contents") == 0) {
        /* The end of one object: all its fields have been read. */
        if (!d->key || d->size < 0 || d->mtime < 0) {
            d->bad = true;
            snprintf(d->why, sizeof(d->why), "an object without a valid Key, Size or LastModified");
            x->stop = true;
        } else {
            struct eng_s3_object o = {d->key, d->size, d->mtime, d->etag ? d->etag : ""};
            if (d->cb(&o, d->ud))
                x->stop = true;
        }
        free(d->key);
        free(d->etag);
        d->key = d->etag = NULL;
        d->size = d->mtime = -1;
    }
}

int s3__xml_list_page(const uint8_t *body, size_t len, eng_s3_list_cb cb, void *ud, bool *truncated,
                      char **next_token, struct ie_err *err)
{
    struct list_doc d = {.cb = cb, .ud = ud, .size = -1, .mtime = -1};
    struct xml_reader x = {.on_leaf = list_leaf, .ud = &d};
    int rc = xml_read(&x, body, len, err);
    if (rc == IE_ECANCELED && d.bad)
        rc = ie_err_set(err, IE_EFORMAT, "%s", d.why);
    free(d.key);
    free(d.etag);
    *truncated = d.truncated;
    if (rc == 0)
        *next_token = d.next_token;
    else
        free(d.next_token);
    return rc;
}
