/* What several imgeda commands share: loading a manifest with the CLI's messages. */
#include <stdio.h>
#include <sys/stat.h>

#include "cli.h"
#include "imgeda/manifest.h"
#include "imgeda/slim.h"

static void warn_long_lines(const char *path, size_t n_long, size_t first)
{
    char text[160];
    if (!n_long)
        return;
    ie_manifest_long_lines_text(text, sizeof(text), n_long, first);
    cli_error("warning: %s: %s; skipped without reading it whole", path, text);
}

/* A file with neither a header nor a record (zero bytes, blank lines, other text) is not a
 * manifest for any command: says so and returns true. */
static bool not_a_manifest(const char *path, const struct ie_manifest *m)
{
    char text[160];
    if (m->meta.present || m->n)
        return false;
    if (m->long_lines) {
        ie_manifest_long_lines_text(text, sizeof(text), m->long_lines, m->first_long_line);
        cli_error("%s is not an imgeda manifest: %s", path, text);
    } else {
        cli_error("%s is not an imgeda manifest (no header line and no records)", path);
    }
    return true;
}

int cli_load_manifest(const char *path, struct ie_manifest *m, bool warn_skipped)
{
    struct ie_err err = {0};
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        cli_error("%s is a directory, not a manifest", path);
        return -1;
    }
    if (ie_manifest_load(path, m, &err) < 0) {
        cli_error("%s", err.msg);
        return -1;
    }
    if (not_a_manifest(path, m))
        return -1;
    warn_long_lines(path, m->long_lines, m->first_long_line);
    if (warn_skipped && m->skipped_lines)
        cli_error("warning: %s: skipped %zu unreadable line(s) (a torn last line is normal after "
                  "a crash)",
                  path, m->skipped_lines);
    return 0;
}

int cli_load_records(const char *path, struct ie_manifest *m)
{
    struct ie_err err = {0};
    if (ie_manifest_load(path, m, &err) < 0) {
        cli_error("%s", err.msg);
        return -1;
    }
    /* Only a file with nothing at all in it (zero bytes, blank lines): one whose lines were all
     * unreadable or too long goes on with the warnings below, like a header-only one. */
    if (!m->skipped_lines && !m->long_lines && not_a_manifest(path, m))
        return -1;
    warn_long_lines(path, m->long_lines, m->first_long_line);
    if (m->skipped_lines)
        fprintf(stderr, "imgeda: warning: %zu unreadable line%s in %s skipped\n", m->skipped_lines,
                m->skipped_lines == 1 ? "" : "s", path);
    return 0;
}

int cli_check_slim(const char *path, const struct ie_slim_manifest *m, bool allow_empty)
{
    char text[160];
    if (!m->has_header && m->n == 0 && m->long_lines) {
        ie_manifest_long_lines_text(text, sizeof(text), m->long_lines, m->first_long_line);
        cli_error("%s is not a manifest: %s", path, text);
        return -1;
    }
    if (!m->has_header && m->n == 0 && m->skipped_lines > 0) {
        cli_error("%s is not a manifest: none of its %zu line%s is a manifest header or record",
                  path, m->skipped_lines, m->skipped_lines == 1 ? "" : "s");
        return -1;
    }
    if (!m->has_header && m->n == 0 && !allow_empty) {
        cli_error("%s is empty: it has no manifest header and no records", path);
        return -1;
    }
    warn_long_lines(path, m->long_lines, m->first_long_line);
    if (m->skipped_lines)
        fprintf(stderr, "imgeda: warning: %s: skipped %zu line%s that did not parse\n", path,
                m->skipped_lines, m->skipped_lines == 1 ? "" : "s");
    return 0;
}
