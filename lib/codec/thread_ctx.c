/* The per-thread cache of library contexts; the why is in codec_int.h. */
#include <pthread.h>

#include "codec/codec_int.h"

typedef struct thread_ctxs {
    void *ctx[KCODEC_CTX_COUNT];
    void (*destroy[KCODEC_CTX_COUNT])(void *);
    bool hooked; /* the exit hook below is set for this thread */
} thread_ctxs;

static _Thread_local thread_ctxs tls;

/* One key for the whole module; its value is only a flag that makes the
 * destructor run at thread exit (glibc runs key destructors before it
 * releases the thread's TLS block, so &tls is still valid there). */
static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;
static bool exit_key_ok;

static void free_all(thread_ctxs *t)
{
    for (int i = 0; i < KCODEC_CTX_COUNT; i++) {
        if (t->ctx[i])
            t->destroy[i](t->ctx[i]);
        t->ctx[i] = NULL;
    }
}

static void on_thread_exit(void *p)
{
    thread_ctxs *t = p;
    free_all(t);
    /* glibc has cleared the key's value; a later key destructor that
     * compresses must hook again, or its new contexts would leak. */
    t->hooked = false;
}

static void exit_key_create(void) { exit_key_ok = pthread_key_create(&exit_key, on_thread_exit) == 0; }

void *kcodec_thread_ctx(kcodec_ctx_slot slot, void *(*create)(void), void (*destroy)(void *))
{
    if (tls.ctx[slot])
        return tls.ctx[slot];
    if (!tls.hooked) {
        /* Without the hook a thread's contexts would leak when it exits;
         * better to fail the call than to leak per thread. */
        pthread_once(&exit_key_once, exit_key_create);
        if (!exit_key_ok || pthread_setspecific(exit_key, &tls) != 0)
            return NULL;
        tls.hooked = true;
    }
    void *ctx = create();
    if (!ctx)
        return NULL;
    tls.ctx[slot] = ctx;
    tls.destroy[slot] = destroy;
    return ctx;
}

void kcodec_thread_ctx_drop(kcodec_ctx_slot slot)
{
    if (tls.ctx[slot])
        tls.destroy[slot](tls.ctx[slot]);
    tls.ctx[slot] = NULL;
}

void kcodec_thread_cleanup(void) { free_all(&tls); }
