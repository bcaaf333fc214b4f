#include "codec/codec_int.h"

kfk_err ksink_room(ksink *s, size_t want, uint8_t **dst, size_t *room)
{
    kbuf *out = s->out;
    size_t left = ksink_left(s);
    if (left == 0)
        return KFK_ERR_TOO_LARGE;
    size_t target = want == 0 ? 1 : want;
    if (target > left)
        target = left;
    size_t avail = out->cap - out->len;
    if (avail < target) {
        /* kbuf_grow doubles, so repeated calls cost O(log n) reallocs. */
        if (kbuf_reserve(out, target))
            return KFK_ERR_NO_MEMORY;
        avail = out->cap - out->len;
    }
    *dst = out->data + out->len;
    *room = avail < left ? avail : left;
    return KFK_OK;
}
