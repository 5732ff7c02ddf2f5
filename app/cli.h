/* cli.h -- argv to a command, and the command to an exit code. */
#ifndef SVC_CLI_H
#define SVC_CLI_H

#define SVCRECON_VERSION "1.0.0"

/* Parses argv and runs the command; returns the process exit code. */
int cli_main(int argc, char **argv);

#endif
