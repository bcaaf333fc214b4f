#include "net/worker.h"
#include "base/container_of.h"

#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* Who holds a piece of work: the queue, the worker thread, the loop's
 * inbox, or nobody (the loop refused the post while stopping). */
enum { WORK_QUEUED, WORK_RUNNING, WORK_POSTED, WORK_ORPHANED };

struct kworker {
    pthread_mutex_t lock; /* protects everything below and each work's stage */
    pthread_cond_t cond;  /* the queue got work, or stop was set */
    kwork *head, **tail;
    bool started, stop;
    pthread_t thread;
    char name[16];
};

kworker *kworker_new(const char *name)
{
    kworker *w = calloc(1, sizeof(*w));
    if (!w) return NULL;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->tail = &w->head;
    snprintf(w->name, sizeof(w->name), "%s", name);
    return w;
}

/* Loop thread. cancelled is only set on this same thread once posted. */
static void work_deliver(ktask *t)
{
    kwork *work = container_of(t, kwork, task);
    if (work->cancelled)
        work->discard(work);
    else
        work->done(work);
}

static void work_finish(kworker *w, kwork *work)
{
    pthread_mutex_lock(&w->lock);
    if (work->cancelled) {
        pthread_mutex_unlock(&w->lock);
        work->discard(work);
        return;
    }
    work->task.fn = work_deliver;
    /* Posting under the lock keeps cancel from seeing work that is
     * neither here nor in the inbox; once posted, the loop may free it at
     * once, so the stage is set first. */
    work->stage = WORK_POSTED;
    if (kloop_post(work->loop, &work->task) != 0) work->stage = WORK_ORPHANED;
    pthread_mutex_unlock(&w->lock);
}

static void *worker_main(void *arg)
{
    kworker *w = arg;
    pthread_setname_np(pthread_self(), w->name);
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->head && !w->stop)
            pthread_cond_wait(&w->cond, &w->lock);
        if (w->stop) break;
        kwork *work = w->head;
        w->head = work->next;
        if (!w->head) w->tail = &w->head;
        work->stage = WORK_RUNNING;
        pthread_mutex_unlock(&w->lock);
        work->run(work);
        work_finish(w, work);
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int kworker_submit(kworker *w, kwork *work, kloop *loop)
{
    work->loop = loop;
    work->next = NULL;
    work->cancelled = false;
    pthread_mutex_lock(&w->lock);
    if (!w->started) {
        if (pthread_create(&w->thread, NULL, worker_main, w)) {
            pthread_mutex_unlock(&w->lock);
            return -1;
        }
        w->started = true;
    }
    work->stage = WORK_QUEUED;
    *w->tail = work;
    w->tail = &work->next;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    return 0;
}

void kworker_cancel(kworker *w, kwork *work)
{
    bool discard_now = false;
    pthread_mutex_lock(&w->lock);
    switch (work->stage) {
    case WORK_QUEUED:
        for (kwork **p = &w->head; *p; p = &(*p)->next) {
            if (*p == work) {
                *p = work->next;
                if (!*p) w->tail = p;
                break;
            }
        }
        discard_now = true;
        break;
    case WORK_ORPHANED:
        discard_now = true;
        break;
    default: /* running: the worker discards it; posted: work_deliver does */
        work->cancelled = true;
        break;
    }
    pthread_mutex_unlock(&w->lock);
    /* Outside the lock: discard may call the application's code. */
    if (discard_now) work->discard(work);
}

void kworker_free(kworker *w)
{
    if (!w) return;
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_signal(&w->cond);
    bool started = w->started;
    pthread_mutex_unlock(&w->lock);
    if (started) pthread_join(w->thread, NULL);
    while (w->head) { /* only if a caller forgot to cancel */
        kwork *work = w->head;
        w->head = work->next;
        work->discard(work);
    }
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
