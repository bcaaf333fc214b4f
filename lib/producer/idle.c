/* What an idle producer lets go of: the metadata of topics it no longer
 * writes to, and the memory its last burst freed (below).
 *
 * metadata.max.idle.ms: a producer that once wrote to many topics should
 * not ask for all of them in every metadata refresh forever (Java drops
 * such topics from its Metadata). A topic is idle when no batch opened
 * for it in that time and none of its partitions has a batch queued or
 * in flight (a retry needs fresh leaders). It leaves the client's wanted
 * set; the cache keeps what it knew, and the kptopic stays (application
 * threads may hold it), so the next kfk_produce to it only puts the name
 * back and asks for a refresh (kprod_topic_wake). Checked on kfk-bg after
 * each refresh, which comes at least every metadata.max.age.ms. */
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "base/container_of.h"
#include "base/time.h"
#include "producer/producer_int.h"

static bool busy(kptopic *t)
{
    kpart_array *a = atomic_load(&t->parts);
    for (int32_t i = 0; a && i < a->n; i++) {
        kpart *pp = a->parts[i];
        pthread_mutex_lock(&pp->lock);
        bool b = pp->inflight > 0 || pp->n_unacked > 0;
        pthread_mutex_unlock(&pp->lock);
        if (b || kaccum_part_queued(pp->ap) > 0) return true;
    }
    return false;
}

void kprod_topic_wake_slow(kfk_producer *p, kptopic *t)
{
    pthread_mutex_lock(&p->idle_lock);
    if (atomic_load(&t->idle)) {
        atomic_store_explicit(&t->used_ms, ktime_mono_ms(), memory_order_relaxed);
        const char *name = t->name;
        kclient_want_topics(p->client, &name, 1);
        atomic_store(&t->idle, false);
    }
    pthread_mutex_unlock(&p->idle_lock);
}

void kprod_drop_idle_topics(kfk_producer *p, int64_t now_ms)
{
    pthread_mutex_lock(&p->idle_lock);
    pthread_rwlock_rdlock(&p->topics_lock);
    for (size_t i = 0; i < p->cap_topics; i++) {
        kptopic *t = p->topics[i];
        if (!t || atomic_load(&t->idle)) continue;
        if (now_ms - atomic_load_explicit(&t->used_ms, memory_order_relaxed) < p->max_idle_ms)
            continue;
        if (busy(t)) continue;
        atomic_store(&t->idle, true);
        const char *name = t->name;
        kclient_unwant_topics(p->client, &name, 1);
        klog(kclient_log(p->client), KFK_LOG_DEBUG, "producer",
             "%s: nothing produced for metadata.max.idle.ms (%lld ms); its metadata is no "
             "longer refreshed until the next record",
             t->name, (long long)p->max_idle_ms);
    }
    pthread_rwlock_unlock(&p->topics_lock);
    pthread_mutex_unlock(&p->idle_lock);
}

/* --- giving memory back when quiet ------------------------------------------------- */

/* A burst of records allocates batches on the application's threads and
 * frees them on the I/O threads; glibc's malloc keeps what was freed
 * resident in its per-thread arenas, megabytes after a burst over many
 * partitions. Once the producer has had nothing outstanding for
 * KPROD_QUIET_MS, malloc_trim(0) gives those pages back: once per quiet
 * spell (a producer busy again meanwhile waits for its next), nothing
 * where the C library is not glibc. */
#define KPROD_QUIET_MS 1000

static void on_quiet(ktimer *tm)
{
    kfk_producer *p = container_of(tm, kfk_producer, trim_timer);
    atomic_store(&p->trim_posted, false);
    /* Quiet all along: nothing outstanding now, and nothing produced since. */
    bool quiet = atomic_load(&p->outstanding) == 0 &&
                 atomic_load_explicit(&p->busy_spells, memory_order_relaxed) == p->trim_spells;
    if (quiet) kaccum_trim(p->accum);
#ifdef __GLIBC__
    if (quiet) malloc_trim(0);
#endif
}

static void quiet_arm(ktask *t)
{
    kfk_producer *p = container_of(t, kfk_producer, trim_arm_task);
    if (p->expiry_stopped) {
        atomic_store(&p->trim_posted, false);
        return;
    }
    p->trim_spells = atomic_load_explicit(&p->busy_spells, memory_order_relaxed);
    kloop_timer_arm(kclient_bg_loop(p->client), &p->trim_timer,
                    (ktime_mono_ms() + KPROD_QUIET_MS) * KTIME_NS_PER_MS);
}

void kprod_quiet_note(kfk_producer *p)
{
    /* Destroy serves the last reports after the client (and kfk-bg) is gone. */
    if (atomic_load(&p->closing) || atomic_exchange(&p->trim_posted, true)) return;
    if (kloop_post(kclient_bg_loop(p->client), &p->trim_arm_task) < 0)
        atomic_store(&p->trim_posted, false);
}

void kprod_quiet_init(kfk_producer *p)
{
    p->trim_arm_task.fn = quiet_arm;
    ktimer_init(&p->trim_timer, on_quiet);
}

void kprod_quiet_stop(kfk_producer *p)
{
    kloop_timer_disarm(kclient_bg_loop(p->client), &p->trim_timer);
}
