/* Fuzzes the per-image pipeline on bytes in memory (ie_analyze_buffer): format sniffing, header
 * pixel limits, decoding through libvips, statistics, hashes and EXIF. Small limits (4 Mpx, a
 * 256-pixel working image) keep each input fast; problems must become a corrupt record. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "imgeda/analyze.h"

static struct ie_scan_options options;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct ie_err err = {0};
    (void)argc;
    if (ie_init((*argv)[0], &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        abort();
    }
    ie_scan_options_init(&options);
    options.max_pixels = 4000000;
    options.max_image_dim = 256;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ie_record r;
    ie_record_init(&r);
    ie_analyze_buffer(data, size, &options, &r);
    /* A corrupt record says why; a good one has no error. */
    if (r.is_corrupt != (r.error != NULL)) {
        fprintf(stderr, "is_corrupt %d with error %s\n", r.is_corrupt, r.error ? r.error : "null");
        abort();
    }
    free(ie_record_to_json(&r));
    ie_record_release(&r);
    return 0;
}
