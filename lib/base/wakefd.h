/* A wake-up file descriptor an application can wait on (epoll, select,
 * an asyncio loop's add_reader) to learn that a poll has work: an eventfd
 * made on first request, signalled once per batch of work rather than
 * once per item, and cleared by the poll that takes the work. Every call
 * runs under the owner's lock, which also guards the work queue, so a
 * signal never falls between a poll's check and its clear. */
#ifndef KFK_BASE_WAKEFD_H
#define KFK_BASE_WAKEFD_H

#include <stdbool.h>

typedef struct kwakefd {
    int fd;       /* valid when open */
    bool open;    /* the eventfd exists */
    bool pending; /* signalled since the last clear */
} kwakefd;

/* The descriptor, made now if it does not exist yet (readable at once
 * when work_waiting); -1 when no descriptor can be had. */
int kwakefd_get(kwakefd *w, bool work_waiting);
/* Makes the descriptor readable, if there is one. */
void kwakefd_signal(kwakefd *w);
/* Makes it unreadable again. */
void kwakefd_clear(kwakefd *w);
/* Closes it (the owner is being freed). */
void kwakefd_close(kwakefd *w);

#endif
