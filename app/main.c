/* main.c -- svcrecon: nightly reconciliation of CITS dispatches, dealer
 * closeouts and ASCR registrations (see README.md and svcrecon(1)). */
#include <stdlib.h>

#include "app/cli.h"

int main(int argc, char **argv)
{
    exit(cli_main(argc, argv));
}
