/* testhook.c -- see testhook.h. */
#include "lib/testhook.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void test_pause(const char *point, unsigned seconds)
{
    const char *at = getenv("SVCRECON_TEST_PAUSE");
    if (at && strcmp(at, point) == 0)
        sleep(seconds);
}
