/* Command-line front end: parses argv, runs the command, returns the process exit code. */
#ifndef SDRS_CLI_H
#define SDRS_CLI_H

int cli_main(int argc, char **argv);

#endif
