/* sdrs-preflight: everything lives in the library; main only hands over argv. */
#include "cli.h"

#include <signal.h>

int main(int argc, char **argv)
{
    /* A peer closing a connection must be an error code, not a signal: curl runs with NOSIGNAL. */
    signal(SIGPIPE, SIG_IGN);
    return cli_main(argc, argv);
}
