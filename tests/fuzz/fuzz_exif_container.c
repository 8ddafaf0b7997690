/* Fuzzes the container EXIF reader (ie__exif_find, private to the core) as each container
 * format in turn (PNG chunks and text-chunk raw profiles, TIFF IFD0 compaction, WebP chunks,
 * HEIF meta/iinf/iloc), then libexif on whatever it found. */
#include <stdint.h>
#include <stdlib.h>

#include "imgeda/record.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *formats[] = {"PNG", "TIFF", "WEBP", "HEIF"};
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        struct ie_exif_bytes x;
        if (!ie__exif_find(data, size, formats[i], &x))
            continue;
        uintptr_t at = (uintptr_t)x.data, lo = (uintptr_t)data;
        if (x.len == 0 || (!x.owned && (at < lo || x.len > size || at - lo > size - x.len)))
            abort(); /* a found view is never empty and lies inside the input */
        struct ie_record r;
        ie_record_init(&r);
        ie__exif_extract(x.data, x.len, &r);
        free(ie_record_to_json(&r));
        ie_record_release(&r);
        ie__exif_bytes_release(&x);
    }
    return 0;
}
