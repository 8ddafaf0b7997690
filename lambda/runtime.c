/* The AWS Lambda Runtime API client (runtime.h) on one reused libcurl handle. */
#include "runtime.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imgeda/util.h"

/* Responses and errors are posted to a local endpoint; a minute without an answer means the
 * Runtime API is gone. */
#define POST_TIMEOUT_S 60L

struct body {
    struct ie_buf buf;
    size_t cap;
    bool too_big;
};

struct next_headers {
    struct lam_invocation *inv;
    char trace_id[512];
};

int lam_runtime_init(struct lam_runtime *rt, const char *api, struct ie_err *err)
{
    memset(rt, 0, sizeof(*rt));
    if (!api || !*api)
        return ie_err_set(err, IE_EINVAL,
                          "AWS_LAMBDA_RUNTIME_API is not set: imgeda-lambda runs inside AWS Lambda "
                          "(or a Runtime API emulator)");
    rt->curl = curl_easy_init();
    if (!rt->curl)
        return ie_err_set(err, IE_EIO, "cannot start libcurl");
    size_t n = strlen(api) + 64;
    rt->base = ie_xmalloc(n);
    snprintf(rt->base, n, "http://%s/2018-06-01/runtime", api);
    return 0;
}

void lam_runtime_release(struct lam_runtime *rt)
{
    if (rt->curl)
        curl_easy_cleanup(rt->curl);
    free(rt->base);
    free(rt->header);
    memset(rt, 0, sizeof(*rt));
}

void lam_invocation_release(struct lam_invocation *inv)
{
    free(inv->event);
    memset(inv, 0, sizeof(*inv));
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct body *b = ud;
    size_t len = size * n;
    if (b->buf.len + len > b->cap) {
        /* Keep reading so the connection stays usable, but remember the event is too big. */
        b->too_big = true;
        return len;
    }
    ie_buf_add(&b->buf, p, len);
    return len;
}

/* Copies a header's value (after "Name:", trimmed) into out when the line is that header. */
static void header_value(const char *line, size_t len, const char *name, char *out, size_t n)
{
    size_t nl = strlen(name);
    if (len <= nl || line[nl] != ':' || strncasecmp(line, name, nl) != 0)
        return;
    const char *v = line + nl + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    size_t vl = (size_t)(end - v);
    if (vl >= n)
        vl = n - 1;
    memcpy(out, v, vl);
    out[vl] = '\0';
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct next_headers *h = ud;
    size_t len = size * n;
    char deadline[32] = "";
    header_value(p, len, "Lambda-Runtime-Aws-Request-Id", h->inv->request_id,
                 sizeof(h->inv->request_id));
    header_value(p, len, "Lambda-Runtime-Invoked-Function-Arn", h->inv->function_arn,
                 sizeof(h->inv->function_arn));
    header_value(p, len, "Lambda-Runtime-Trace-Id", h->trace_id, sizeof(h->trace_id));
    header_value(p, len, "Lambda-Runtime-Deadline-Ms", deadline, sizeof(deadline));
    if (*deadline)
        h->inv->deadline_ms = strtoll(deadline, NULL, 10);
    return len;
}

/* Runs the prepared request; fills *status. Returns 0 or IE_EIO naming what and why. */
static int perform(struct lam_runtime *rt, const char *what, long *status, struct ie_err *err)
{
    CURLcode cc = curl_easy_perform(rt->curl);
    if (cc != CURLE_OK)
        return ie_err_set(err, IE_EIO, "Runtime API %s: %s", what, curl_easy_strerror(cc));
    curl_easy_getinfo(rt->curl, CURLINFO_RESPONSE_CODE, status);
    return 0;
}

static void prepare(struct lam_runtime *rt, const char *url, struct body *b)
{
    curl_easy_reset(rt->curl);
    curl_easy_setopt(rt->curl, CURLOPT_URL, url);
    curl_easy_setopt(rt->curl, CURLOPT_NOSIGNAL, 1L);
    /* The Runtime API is local to the sandbox: an HTTP proxy of the function's environment
     * must not see it. */
    curl_easy_setopt(rt->curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(rt->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(rt->curl, CURLOPT_WRITEDATA, b);
}

int lam_runtime_next(struct lam_runtime *rt, struct lam_invocation *inv, struct ie_err *err)
{
    char url[512];
    struct body b = {.cap = LAM_MAX_EVENT_BYTES};
    struct next_headers h = {.inv = inv};
    long status = 0;
    int rc;

    memset(inv, 0, sizeof(*inv));
    ie_buf_init(&b.buf);
    snprintf(url, sizeof(url), "%s/invocation/next", rt->base);
    prepare(rt, url, &b);
    curl_easy_setopt(rt->curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(rt->curl, CURLOPT_HEADERDATA, &h);
    /* No time limit: Lambda freezes the process until an event arrives. */
    curl_easy_setopt(rt->curl, CURLOPT_TIMEOUT, 0L);
    if ((rc = perform(rt, "invocation/next", &status, err)) < 0)
        goto out;
    if (status != 200) {
        rc = ie_err_set(err, IE_EIO, "Runtime API invocation/next answered %ld", status);
        goto out;
    }
    if (!*inv->request_id) {
        rc = ie_err_set(err, IE_EIO, "Runtime API invocation/next sent no request id");
        goto out;
    }
    if (*h.trace_id)
        setenv("_X_AMZN_TRACE_ID", h.trace_id, 1);
    else
        unsetenv("_X_AMZN_TRACE_ID");
    if (b.too_big) {
        rc = ie_err_set(err, IE_ELIMIT, "the event is larger than %u bytes",
                        (unsigned)LAM_MAX_EVENT_BYTES);
        goto out;
    }
    inv->event_len = b.buf.len;
    inv->event = ie_buf_detach(&b.buf);
out:
    ie_buf_release(&b.buf);
    return rc;
}

/* POSTs body to url; 2xx is success, anything else IE_EIO with the API's answer. */
static int post(struct lam_runtime *rt, const char *url, const char *what, const char *body,
                size_t len, struct curl_slist *headers, struct ie_err *err)
{
    struct body answer = {.cap = 4096};
    long status = 0;
    int rc;

    ie_buf_init(&answer.buf);
    prepare(rt, url, &answer);
    curl_easy_setopt(rt->curl, CURLOPT_POST, 1L);
    curl_easy_setopt(rt->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(rt->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(rt->curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(rt->curl, CURLOPT_TIMEOUT, POST_TIMEOUT_S);
    if ((rc = perform(rt, what, &status, err)) < 0)
        goto out;
    if (status < 200 || status > 299) {
        ie_buf_addc(&answer.buf, '\0');
        rc = ie_err_set(err, IE_EIO, "Runtime API %s answered %ld: %.300s", what, status,
                        answer.buf.data);
    }
out:
    ie_buf_release(&answer.buf);
    return rc;
}

int lam_runtime_respond(struct lam_runtime *rt, const char *request_id, const char *json,
                        size_t len, struct ie_err *err)
{
    char url[512];
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    snprintf(url, sizeof(url), "%s/invocation/%s/response", rt->base, request_id);
    int rc = post(rt, url, "invocation response", json, len, headers, err);
    curl_slist_free_all(headers);
    return rc;
}

int lam_runtime_fail(struct lam_runtime *rt, const char *request_id, const char *error_type,
                     const char *message, struct ie_err *err)
{
    char url[512], type_header[200];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "errorMessage", message);
    cJSON_AddStringToObject(o, "errorType", error_type);
    cJSON_AddArrayToObject(o, "stackTrace");
    char *body = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!body)
        abort(); /* cJSON fails only when out of memory */
    if (request_id)
        snprintf(url, sizeof(url), "%s/invocation/%s/error", rt->base, request_id);
    else
        snprintf(url, sizeof(url), "%s/init/error", rt->base);
    snprintf(type_header, sizeof(type_header), "Lambda-Runtime-Function-Error-Type: %s",
             error_type);
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    headers = curl_slist_append(headers, type_header);
    int rc = post(rt, url, request_id ? "invocation error" : "init error", body, strlen(body),
                  headers, err);
    curl_slist_free_all(headers);
    free(body);
    return rc;
}
