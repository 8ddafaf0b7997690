/* s3:// scan roots and images in the daemon (see bucket.h): confinement by bucket and key
 * prefix, the bucket check before a scan is accepted, and image bytes for thumbnails. */
#include <stdlib.h>
#include <string.h>

#include "bucket.h"
#include "imgeda/confine.h"
#include "imgeda/util.h"

bool srv_bucket_configured(const struct srv_config *cfg)
{
    for (int i = 0; i < cfg->n_allowed_roots; i++)
        if (eng_s3_is_url(cfg->allowed_roots[i]))
            return true;
    return false;
}

int srv_bucket_client_new(const struct srv_config *cfg, struct eng_s3 **out, struct ie_err *err)
{
    struct eng_s3_config c;
    *out = NULL;
    if (!srv_bucket_configured(cfg))
        return 0;
    int rc = eng_s3_config_from_env(&c, err);
    if (rc == 0)
        rc = eng_s3_new(&c, out, err);
    eng_s3_config_release(&c);
    return rc;
}

bool srv_bucket_allowed(const struct srv_config *cfg, const char *url)
{
    /* The one confinement check (imgeda/confine.h), for objects only: a file is never one. */
    return eng_s3_is_url(url) && ie_confine_check((const char *const *)cfg->allowed_roots,
                                                  (size_t)cfg->n_allowed_roots, url);
}

int srv_bucket_check_root(const struct srv_config *cfg, struct eng_s3 *client, const char *root,
                          char **resolved, struct ie_err *err)
{
    struct eng_s3_url u;
    struct ie_err e = {0};
    if (eng_s3_url_parse(root, &u, &e) < 0)
        return ie_err_set(err, IE_EINVAL, "root: %s", e.msg);
    size_t n = strlen(u.prefix);
    while (n && u.prefix[n - 1] == '/')
        u.prefix[--n] = '\0';
    struct ie_buf b;
    ie_buf_init(&b);
    ie_buf_addf(&b, "%s%s%s%s", ENG_S3_SCHEME, u.bucket, n ? "/" : "", u.prefix);
    int rc = 0;
    if (!client || !srv_bucket_allowed(cfg, b.data)) {
        rc = ie_err_set(err, IE_EPERM, "root: %s is outside scan.allowed_roots", root);
        goto out;
    }
    /* The scan lists PREFIX as a folder (engine/s3_scan.c): check what it will list. */
    struct ie_buf folder;
    ie_buf_init(&folder);
    ie_buf_addf(&folder, "%s%s", u.prefix, n ? "/" : "");
    rc = eng_s3_check(client, u.bucket, folder.data, &e);
    ie_buf_release(&folder);
    if (rc < 0) {
        /* A bucket that does not exist is the request's mistake (400), not a missing page. */
        rc = ie_err_set(err, rc == IE_ENOENT ? IE_EINVAL : rc, "root: %s", e.msg);
        goto out;
    }
    *resolved = ie_buf_detach(&b);
out:
    ie_buf_release(&b);
    eng_s3_url_release(&u);
    return rc;
}

int srv_bucket_fetch(const struct srv_config *cfg, struct eng_s3 *client, const char *url,
                     size_t max, uint8_t **data, size_t *len, struct ie_err *err)
{
    struct eng_s3_url u;
    if (!client || !srv_bucket_allowed(cfg, url))
        return ie_err_set(err, IE_EPERM, "the image lies outside scan.allowed_roots");
    if (eng_s3_url_parse(url, &u, err) < 0)
        return IE_EINVAL;
    int rc = eng_s3_get(client, u.bucket, u.prefix, max, data, len, err);
    eng_s3_url_release(&u);
    return rc;
}
