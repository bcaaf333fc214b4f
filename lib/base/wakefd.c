#include "base/wakefd.h"

#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

int kwakefd_get(kwakefd *w, bool work_waiting)
{
    if (!w->open) {
        int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (fd < 0) return -1;
        w->fd = fd;
        w->open = true;
        w->pending = false;
        if (work_waiting) kwakefd_signal(w);
    }
    return w->fd;
}

void kwakefd_signal(kwakefd *w)
{
    if (!w->open || w->pending) return;
    uint64_t one = 1;
    /* An eventfd write of 1 only fails when the counter would overflow,
     * which one write per clear cannot reach. */
    if (write(w->fd, &one, sizeof(one)) == (ssize_t)sizeof(one)) w->pending = true;
}

void kwakefd_clear(kwakefd *w)
{
    if (!w->open || !w->pending) return;
    uint64_t n;
    if (read(w->fd, &n, sizeof(n)) == (ssize_t)sizeof(n)) w->pending = false;
}

void kwakefd_close(kwakefd *w)
{
    if (w->open) close(w->fd);
    w->open = false;
    w->pending = false;
}
