#include "net/resolver.h"
#include "base/container_of.h"

#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Who holds a job: the resolver's queue, the resolver thread, the loop's
 * inbox, or nobody (the loop refused the post while stopping). */
typedef enum job_stage { JOB_QUEUED, JOB_RUNNING, JOB_POSTED, JOB_ORPHANED } job_stage;

struct kresolve_job {
    ktask task; /* the loop runs it */
    kresolve_job *next;
    kresolver *r;
    kloop *loop;
    kresolve_fn *fn;
    void *opaque;
    job_stage stage; /* under r->lock */
    bool cancelled;  /* under r->lock */
    int gai_err;
    kaddrs addrs;
    int port;
    char host[];
};

struct kresolver {
    pthread_mutex_t lock; /* protects everything below and each job's stage */
    pthread_cond_t cond;  /* the queue got a job, or stop was set */
    kresolve_job *head, **tail;
    bool started, stop;
    pthread_t thread;
    klogger log;
};

kresolver *kresolver_new(const klogger *log)
{
    kresolver *r = calloc(1, sizeof(*r));
    if (!r) return NULL;
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->cond, NULL);
    r->tail = &r->head;
    if (log)
        r->log = *log;
    else
        klogger_init(&r->log, NULL, NULL, KLOG_DEFAULT_LEVEL);
    return r;
}

/* Runs on the loop thread. */
static void job_deliver(ktask *t)
{
    kresolve_job *j = container_of(t, kresolve_job, task);
    /* cancelled is only set on this same thread once the job is posted. */
    if (!j->cancelled) j->fn(j->opaque, j->gai_err, &j->addrs);
    free(j);
}

static void job_finish(kresolver *r, kresolve_job *j)
{
    pthread_mutex_lock(&r->lock);
    if (j->cancelled) {
        free(j);
    } else {
        j->task.fn = job_deliver;
        /* Posting under r->lock keeps cancel from seeing a job that is
         * neither here nor in the inbox. Once posted, the loop thread may
         * deliver and free j at once: set its stage first, never after. */
        j->stage = JOB_POSTED;
        if (kloop_post(j->loop, &j->task) != 0) j->stage = JOB_ORPHANED;
    }
    pthread_mutex_unlock(&r->lock);
}

static void *resolver_main(void *arg)
{
    kresolver *r = arg;
    pthread_setname_np(pthread_self(), "kfk-resolve");
    pthread_mutex_lock(&r->lock);
    for (;;) {
        while (!r->head && !r->stop)
            pthread_cond_wait(&r->cond, &r->lock);
        if (r->stop) break;
        kresolve_job *j = r->head;
        r->head = j->next;
        if (!r->head) r->tail = &r->head;
        j->stage = JOB_RUNNING;
        pthread_mutex_unlock(&r->lock);
        j->gai_err = ksock_resolve(j->host, j->port, 0, &j->addrs);
        job_finish(r, j);
        pthread_mutex_lock(&r->lock);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

kresolve_job *kresolver_lookup(kresolver *r, const char *host, int port, kloop *loop,
                               kresolve_fn *fn, void *opaque)
{
    size_t hl = strlen(host);
    kresolve_job *j = calloc(1, sizeof(*j) + hl + 1);
    if (!j) return NULL;
    memcpy(j->host, host, hl + 1);
    j->port = port;
    j->r = r;
    j->loop = loop;
    j->fn = fn;
    j->opaque = opaque;
    pthread_mutex_lock(&r->lock);
    if (!r->started) {
        if (pthread_create(&r->thread, NULL, resolver_main, r)) {
            pthread_mutex_unlock(&r->lock);
            free(j);
            return NULL;
        }
        r->started = true;
    }
    j->stage = JOB_QUEUED;
    *r->tail = j;
    r->tail = &j->next;
    pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&r->lock);
    return j;
}

void kresolver_cancel(kresolver *r, kresolve_job *j)
{
    pthread_mutex_lock(&r->lock);
    switch (j->stage) {
    case JOB_QUEUED:
        for (kresolve_job **p = &r->head; *p; p = &(*p)->next) {
            if (*p == j) {
                *p = j->next;
                if (!*p) r->tail = p;
                break;
            }
        }
        free(j);
        break;
    case JOB_ORPHANED:
        free(j);
        break;
    case JOB_RUNNING: /* the resolver thread frees it */
    case JOB_POSTED:  /* job_deliver frees it */
        j->cancelled = true;
        break;
    }
    pthread_mutex_unlock(&r->lock);
}

void kresolver_free(kresolver *r)
{
    if (!r) return;
    pthread_mutex_lock(&r->lock);
    r->stop = true;
    pthread_cond_signal(&r->cond);
    bool started = r->started;
    pthread_mutex_unlock(&r->lock);
    if (started) pthread_join(r->thread, NULL);
    while (r->head) { /* only if a caller forgot to cancel */
        kresolve_job *j = r->head;
        r->head = j->next;
        free(j);
    }
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
    free(r);
}
