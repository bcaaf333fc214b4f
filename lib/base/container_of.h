/* From an embedded member back to the struct that holds it: a loop hands
 * a callback the ktask, ktimer or I/O handle its owner embeds, and the
 * callback needs the owner. */
#ifndef KFK_BASE_CONTAINER_OF_H
#define KFK_BASE_CONTAINER_OF_H

#include <stddef.h>

/* The type whose member is at ptr. The unevaluated comparison makes the
 * compiler check that ptr points to something of member's type. */
#define container_of(ptr, type, member)                                                            \
    ((type *)(void *)((char *)(ptr)-offsetof(type, member) +                                       \
                      0 * sizeof((ptr) == &((type *)0)->member)))

#endif
