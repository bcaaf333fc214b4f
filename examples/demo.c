/* make demo: until the producer and consumer exist, the demo proves the
 * library builds and links, and prints its version. */
#include <stdio.h>

#include "kfk.h"

int main(void)
{
    printf("kfk %s (version code %d)\n", kfk_version_str(), kfk_version());
    return 0;
}
