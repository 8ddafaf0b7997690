/* What several imgeda commands share: loading a manifest with the CLI's messages. */
#include <stdio.h>
#include <sys/stat.h>

#include "cli.h"
#include "imgeda/manifest.h"

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
    if (!m->meta.present && m->n == 0) {
        cli_error("%s is not an imgeda manifest (no header line and no records)", path);
        return -1;
    }
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
    if (m->skipped_lines)
        fprintf(stderr, "imgeda: warning: %zu unreadable line%s in %s skipped\n", m->skipped_lines,
                m->skipped_lines == 1 ? "" : "s", path);
    return 0;
}
