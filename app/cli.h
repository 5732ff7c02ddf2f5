/* cli.h -- argv to a command, and the command to an exit code. */
#ifndef SVC_CLI_H
#define SVC_CLI_H

#define SVCRECON_VERSION "1.0.0"

/* Bit 1 << fd set for each of stdin, stdout, stderr that was closed when
 * svcrecon started (main() opened /dev/null there). A command whose output
 * goes to stdout (explain, --help, --version, --summary /dev/stdout) then
 * fails with 73 rather than end 0 with its output lost. */
extern int cli_std_closed;

/* Parses argv and runs the command; returns the process exit code. */
int cli_main(int argc, char **argv);

#endif
