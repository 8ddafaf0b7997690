/* The imgeda command: one function per subcommand, each returning the process exit code
 * (0 ok, 1 error, 2 gate failed, 130 interrupted). */
#ifndef IMGEDA_CLI_H
#define IMGEDA_CLI_H

int cmd_scan(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_gate(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_annotations(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* Prints "imgeda: <msg>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
