/* Declarations shared between core modules but not part of the public API. */
#ifndef IMGEDA_INTERNAL_H
#define IMGEDA_INTERNAL_H

#include <stddef.h>

#include "imgeda/record.h"

/* Fills the EXIF fields of r from an EXIF blob (with or without the "Exif\0\0" header).
 * A broken blob leaves the fields at their defaults. Thread-safe. */
void ie__exif_extract(const unsigned char *blob, size_t len, struct ie_record *r);

#endif
