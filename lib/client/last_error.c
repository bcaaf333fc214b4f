/* The last-error text of the public handles: per handle and per calling
 * thread, so that a thread reads the reason for its own failed call even
 * while other threads use the same handle. Each thread keeps the texts of
 * the last KLAST_ERROR_SLOTS handles it saw fail, keyed by the handle's
 * serial (never reused, so a destroyed handle's text cannot be mistaken
 * for a new one at the same address). */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

#include "client/client_int.h"

#define KLAST_ERROR_SLOTS 4

typedef struct error_slot {
    uint64_t serial; /* 0: free */
    char text[KLAST_ERROR_MAX];
} error_slot;

static _Thread_local error_slot slots[KLAST_ERROR_SLOTS];
static _Thread_local unsigned next_slot;
/* The client whose call set a text during the call now running on this
 * thread; kclient_error_end keeps that text. */
static _Thread_local const kclient *set_in_call;

static atomic_uint_fast64_t serials;

uint64_t kclient_next_serial(void)
{
    return atomic_fetch_add(&serials, 1) + 1;
}

static error_slot *slot_of(uint64_t serial)
{
    for (int i = 0; i < KLAST_ERROR_SLOTS; i++)
        if (slots[i].serial == serial) return &slots[i];
    return NULL;
}

void kclient_error_set(const kclient *c, const char *fmt, ...)
{
    if (!c) return;
    error_slot *s = slot_of(c->serial);
    if (!s) {
        s = &slots[next_slot++ % KLAST_ERROR_SLOTS];
        s->serial = c->serial;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->text, sizeof(s->text), fmt, ap);
    va_end(ap);
    set_in_call = c;
}

kfk_err kclient_error_end(const kclient *c, kfk_err err)
{
    if (err && set_in_call != c) kclient_error_set(c, "%s", kfk_err_str(err));
    set_in_call = NULL;
    return err;
}

const char *kclient_last_error(const kclient *c)
{
    const error_slot *s = c ? slot_of(c->serial) : NULL;
    return s ? s->text : "";
}
