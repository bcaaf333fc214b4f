#include "kfk.h"

int kfk_version(void)
{
    return KFK_VERSION_MAJOR * 10000 + KFK_VERSION_MINOR * 100 + KFK_VERSION_PATCH;
}

const char *kfk_version_str(void) { return KFK_VERSION_STR; }
