/* Fuzzes the JSONL manifest reader: the input as one record line, then as a whole manifest file
 * (header, records, torn lines) read record by record and loaded whole.
 * Checks what callers rely on: each record's offset and length locate its line in the file
 * (ie_manifest_rewrite copies lines by them), a record we write reads back as a record, and
 * writing what we read back is stable after one round trip. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "imgeda/manifest.h"

/* The input as a file that the reader can open by path, without touching the disk. */
static int memory_file(const uint8_t *data, size_t size, char *path, size_t pathsz)
{
    int fd = memfd_create("manifest", MFD_CLOEXEC);
    if (fd < 0)
        abort();
    for (size_t done = 0; done < size;) {
        ssize_t n = write(fd, data + done, size - done);
        if (n <= 0)
            abort();
        done += (size_t)n;
    }
    snprintf(path, pathsz, "/proc/self/fd/%d", fd);
    return fd;
}

static char *round_trip(const char *json, struct ie_record *r)
{
    ie_record_init(r);
    if (ie_record_from_json(json, strlen(json), r, NULL) != 0) {
        fprintf(stderr, "a record we wrote does not read back:\n%s\n", json);
        abort();
    }
    return ie_record_to_json(r);
}

static void check_record(const struct ie_record *r)
{
    struct ie_record a, b;
    char *s1 = ie_record_to_json(r);
    char *s2 = round_trip(s1, &a);
    char *s3 = round_trip(s2, &b);
    if (strcmp(s2, s3) != 0) {
        fprintf(stderr, "a record changes on a second round trip:\n%s\n%s\n", s2, s3);
        abort();
    }
    free(s1);
    free(s2);
    free(s3);
    ie_record_release(&a);
    ie_record_release(&b);
}

static void read_records(const uint8_t *data, size_t size, const char *path)
{
    struct ie_manifest_reader *rd = NULL;
    struct ie_record rec;
    int64_t offset;
    size_t len;

    ie_record_init(&rec);
    if (ie_manifest_reader_open(path, &rd, NULL) != 0)
        abort();
    while (ie_manifest_reader_next(rd, &rec, &offset, &len, NULL) == 1) {
        if (offset < 0 || (uint64_t)offset + len > size || memchr(data + offset, '\n', len)) {
            fprintf(stderr, "line at %lld, %zu bytes, is not a line of the %zu-byte file\n",
                    (long long)offset, len, size);
            abort();
        }
        check_record(&rec);
    }
    const struct ie_manifest_meta *meta = ie_manifest_reader_meta(rd);
    if (meta->present)
        free(ie_manifest_header_json(meta->input_dir, meta->settings_json, meta->total_files,
                                     meta->created_at));
    ie_record_release(&rec);
    ie_manifest_reader_free(rd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ie_record one;
    struct ie_manifest m;
    char path[64];

    ie_record_init(&one);
    if (ie_record_from_json((const char *)data, size, &one, NULL) == 0)
        check_record(&one);
    ie_record_release(&one);

    int fd = memory_file(data, size, path, sizeof(path));
    read_records(data, size, path);
    ie_manifest_init(&m);
    if (ie_manifest_load(path, &m, NULL) != 0)
        abort(); /* only a read error fails, and a memory file has none */
    ie_manifest_release(&m);
    close(fd);
    return 0;
}
