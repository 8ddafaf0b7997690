/* s3:// entries of scan.allowed_roots (server/bucket.c): confinement by bucket and key prefix on
 * key boundaries, validation at start-up, and no client (so no bucket root) without one. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "bucket.h"
#include "config.h"

static void roots(struct srv_config *c, const char *list)
{
    struct ie_err err = {0};
    srv_config_init(c);
    cr_assert_eq(srv_config_set(c, "scan.allowed_roots", list, &err), 0, "%s", err.msg);
}

Test(bucket, allowed_by_bucket_and_prefix_on_key_boundaries)
{
    struct srv_config c;
    roots(&c, "/data,s3://photos/cats,s3://open");
    cr_assert(srv_bucket_configured(&c));
    cr_assert(srv_bucket_allowed(&c, "s3://photos/cats"));
    cr_assert(srv_bucket_allowed(&c, "s3://photos/cats/"));
    cr_assert(srv_bucket_allowed(&c, "s3://photos/cats/tabby/1.jpg"));
    cr_assert_not(srv_bucket_allowed(&c, "s3://photos/catsup/1.jpg"));
    cr_assert_not(srv_bucket_allowed(&c, "s3://photos/dogs/1.jpg"));
    cr_assert_not(srv_bucket_allowed(&c, "s3://photos"));
    cr_assert_not(srv_bucket_allowed(&c, "s3://photos/cats/../dogs/1.jpg"));
    cr_assert_not(srv_bucket_allowed(&c, "s3://photos-2/cats/1.jpg"));
    cr_assert(srv_bucket_allowed(&c, "s3://open/any/key.png"));
    cr_assert(srv_bucket_allowed(&c, "s3://open"));
    cr_assert_not(srv_bucket_allowed(&c, "/data/x.jpg"), "a file is never an object");
    srv_config_release(&c);
}

/* An allowed root written with a trailing '/' names the same folder: scanning it is allowed. */
Test(bucket, trailing_slash_in_an_allowed_root_names_the_same_folder)
{
    struct srv_config c;
    roots(&c, "s3://photos/cats/");
    cr_assert(srv_bucket_allowed(&c, "s3://photos/cats"));
    cr_assert(srv_bucket_allowed(&c, "s3://photos/cats/1.jpg"));
    cr_assert_not(srv_bucket_allowed(&c, "s3://photos/catsup"));
    srv_config_release(&c);
}

Test(bucket, check_root_refuses_outside_before_any_request)
{
    struct srv_config c;
    struct ie_err err = {0};
    char *resolved = NULL;
    roots(&c, "/data,s3://photos/cats");
    /* No client: nothing is asked of a store; outside roots are refused all the same. */
    cr_assert_eq(srv_bucket_check_root(&c, NULL, "s3://photos/dogs", &resolved, &err), IE_EPERM);
    cr_assert(strstr(err.msg, "outside scan.allowed_roots"), "%s", err.msg);
    cr_assert_eq(srv_bucket_check_root(&c, NULL, "s3://Photos/cats", &resolved, &err), IE_EINVAL);
    cr_assert(strncmp(err.msg, "root: ", 6) == 0, "%s", err.msg);
    cr_assert_null(resolved);
    srv_config_release(&c);
}

Test(bucket, config_validates_s3_entries_and_makes_no_client_without_them)
{
    struct srv_config c;
    struct ie_err err = {0};
    struct eng_s3 *s3 = (struct eng_s3 *)1;
    roots(&c, "/data,s3://No_Such");
    cr_assert_eq(srv_config_validate(&c, &err), IE_EINVAL);
    cr_assert(strstr(err.msg, "scan.allowed_roots") && strstr(err.msg, "bad bucket name"), "%s",
              err.msg);
    srv_config_release(&c);
    roots(&c, "/data");
    cr_assert_eq(srv_config_validate(&c, &err), 0, "%s", err.msg);
    cr_assert_not(srv_bucket_configured(&c));
    cr_assert_eq(srv_bucket_client_new(&c, &s3, &err), 0);
    cr_assert_null(s3);
    srv_config_release(&c);
}
