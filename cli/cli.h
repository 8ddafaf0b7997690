/* The imgeda command: one function per subcommand, each returning the process exit code
 * (0 ok, 1 error, 2 gate failed, 130 interrupted). */
#ifndef IMGEDA_CLI_H
#define IMGEDA_CLI_H

#include <stdbool.h>

int cmd_scan(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_gate(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_annotations(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_marks(int argc, char **argv);

/* Prints "imgeda: <msg>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct ie_manifest;
/* Loads a whole manifest for info and check: a directory, an unreadable file or a file with
 * neither header nor records is an error printed here (returns -1); warn_skipped also reports
 * unreadable lines (check lists flagged paths, so a hidden gap would mislead). */
int cli_load_manifest(const char *path, struct ie_manifest *m, bool warn_skipped);
/* Loads the records for plot and report (a header without records is fine there: the plots and
 * report say "no data"; a file with nothing in it is not a manifest): the error is printed here
 * (returns -1), unreadable lines are warned about. */
int cli_load_records(const char *path, struct ie_manifest *m);
/* Lines over IE_MANIFEST_MAX_LINE are named (the first's number) in both, and an error when
 * they are all a file holds. */

struct ie_slim_manifest;
/* After ie_slim_manifest_load (diff, gate): refuses (prints the error, returns -1) a file with
 * neither header nor record that has lines (a policy or CSV given by mistake) or, unless
 * allow_empty, no lines at all; warns about lines that did not parse. */
int cli_check_slim(const char *path, const struct ie_slim_manifest *m, bool allow_empty);

struct ie_manifest;
struct ie_marks_applied;
/* Applies the marks file to m's records for --marks (gate, info; cmd_marks.c), keepers' groups
 * at threshold; prints the error and returns -1 on failure. a must be initialised. */
int cli_apply_marks(const char *file, const struct ie_manifest *m, int threshold,
                    struct ie_marks_applied *a);
/* One line saying what the marks did. */
void cli_print_marks_line(const struct ie_marks_applied *a);

#endif
