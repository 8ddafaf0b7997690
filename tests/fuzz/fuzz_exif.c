/* Fuzzes the EXIF reader (ie__exif_extract, private to the core) on a blob with or without the
 * "Exif\0\0" header, bare TIFF, or a JPEG holding an APP1 segment (libexif finds it). */
#include <stdint.h>
#include <stdlib.h>

#include "imgeda/record.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ie_record r;
    ie_record_init(&r);
    ie__exif_extract(data, size, &r);
    free(ie_record_to_json(&r));
    ie_record_release(&r);
    return 0;
}
