/* KIP-848's pure parts: target assignments, the reconciliation plan, the
 * heartbeat's changed fields and member ids (see kip848.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "consumer/kip848.h"

/* --- target assignments ---------------------------------------------------------- */

void k848_target_free(k848_target *t)
{
    for (int32_t i = 0; i < t->n; i++)
        free(t->t[i].parts);
    free(t->t);
    t->t = NULL;
    t->n = 0;
}

int k848_target_copy(k848_target *t, const kp_consumer_group_heartbeat_response_assignment *a)
{
    k848_target_free(t);
    int32_t n = a->n_topic_partitions > 0 ? a->n_topic_partitions : 0;
    if (!n) return 0;
    t->t = calloc((size_t)n, sizeof(*t->t));
    if (!t->t) return -1;
    t->n = n;
    for (int32_t i = 0; i < n; i++) {
        const kp_consumer_group_heartbeat_response_topic_partitions *src = &a->topic_partitions[i];
        int32_t np = src->n_partitions > 0 ? src->n_partitions : 0;
        t->t[i].id = src->topic_id;
        t->t[i].n = np;
        if (!np) continue;
        t->t[i].parts = malloc((size_t)np * sizeof(int32_t));
        if (!t->t[i].parts) {
            k848_target_free(t);
            return -1;
        }
        memcpy(t->t[i].parts, src->partitions, (size_t)np * sizeof(int32_t));
    }
    return 0;
}

/* How many partitions t holds, and whether it holds id/partition. */
static int32_t target_size(const k848_target *t)
{
    int32_t n = 0;
    for (int32_t i = 0; i < t->n; i++)
        n += t->t[i].n;
    return n;
}

static bool target_has(const k848_target *t, const kuuid *id, int32_t partition)
{
    for (int32_t i = 0; i < t->n; i++) {
        if (memcmp(&t->t[i].id, id, sizeof(*id)) != 0) continue;
        for (int32_t j = 0; j < t->t[i].n; j++)
            if (t->t[i].parts[j] == partition) return true;
    }
    return false;
}

bool k848_target_equal(const k848_target *a, const k848_target *b)
{
    /* A broker never repeats a partition, so same size and a within b is equality. */
    if (target_size(a) != target_size(b)) return false;
    for (int32_t i = 0; i < a->n; i++)
        for (int32_t j = 0; j < a->t[i].n; j++)
            if (!target_has(b, &a->t[i].id, a->t[i].parts[j])) return false;
    return true;
}

static int tp_cmp(const void *a, const void *b)
{
    const ktp *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    if (c) return c;
    return (x->partition > y->partition) - (x->partition < y->partition);
}

int k848_resolve(const k848_target *t, k848_lookup_fn *lookup, void *opaque, ktplist *out)
{
    int unresolved = 0;
    ktplist_clear(out);
    for (int32_t i = 0; i < t->n; i++) {
        const char *name = lookup(opaque, &t->t[i].id);
        if (!name) {
            unresolved++;
            continue;
        }
        for (int32_t j = 0; j < t->t[i].n; j++) {
            /* A broker never repeats a partition, but a duplicate would
             * make the core assign it twice. */
            if (ktplist_has(out, name, t->t[i].parts[j])) continue;
            if (ktplist_add(out, name, t->t[i].parts[j]) < 0) return -1;
        }
    }
    if (out->n > 1) qsort(out->v, (size_t)out->n, sizeof(*out->v), tp_cmp);
    return unresolved;
}

/* --- the plan ------------------------------------------------------------------------ */

/* dst gets the partitions of a that b lacks. */
static int minus(const ktplist *a, const ktplist *b, ktplist *dst)
{
    ktplist_clear(dst);
    for (int i = 0; i < a->n; i++) {
        if (ktplist_has(b, a->v[i].topic, a->v[i].partition)) continue;
        if (ktplist_add(dst, a->v[i].topic, a->v[i].partition) < 0) return -1;
    }
    return 0;
}

int k848_plan(const ktplist *owned, const ktplist *target, ktplist *revoke, ktplist *add)
{
    if (minus(owned, target, revoke) < 0) return -1;
    return minus(target, owned, add);
}

/* --- changed fields ------------------------------------------------------------------ */

static bool same_topics(const k848_sent *s, const ktplist *topics)
{
    int n = topics ? topics->n : 0;
    if (n != s->n_topics) return false;
    for (int i = 0; i < n; i++)
        if (strcmp(s->topics[i], topics->v[i].topic) != 0) return false;
    return true;
}

static bool same_regex(const char *a, const char *b)
{
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

k848_fields k848_fields_for(const k848_sent *s, const k848_sub *sub, bool joining)
{
    k848_fields f = {0};
    if (joining || !s->valid) {
        f.topics = f.owned = f.join_fields = true;
        f.regex = sub->regex != NULL || (s->valid && s->regex != NULL);
        return f;
    }
    f.topics = !same_topics(s, sub->topics);
    /* Switching from a regex to names sends "" so the broker drops it. */
    f.regex = !same_regex(s->regex, sub->regex);
    f.owned = s->owned_ver != sub->owned_ver;
    return f;
}

void k848_sent_free(k848_sent *s)
{
    for (int i = 0; i < s->n_topics; i++)
        free(s->topics[i]);
    free(s->topics);
    free(s->regex);
    *s = (k848_sent){0};
}

static int set_topics(k848_sent *s, const ktplist *topics)
{
    for (int i = 0; i < s->n_topics; i++)
        free(s->topics[i]);
    free(s->topics);
    s->topics = NULL;
    s->n_topics = 0;
    int n = topics ? topics->n : 0;
    if (!n) return 0;
    s->topics = calloc((size_t)n, sizeof(char *));
    if (!s->topics) return -1;
    for (int i = 0; i < n; i++) {
        s->topics[i] = strdup(topics->v[i].topic);
        if (!s->topics[i]) return -1;
        s->n_topics++;
    }
    return 0;
}

int k848_sent_update(k848_sent *s, const k848_sub *sub, k848_fields f)
{
    if (f.topics && set_topics(s, sub->topics) < 0) goto oom;
    if (f.regex) {
        free(s->regex);
        s->regex = NULL;
        if (sub->regex && !(s->regex = strdup(sub->regex))) goto oom;
    }
    if (f.owned) s->owned_ver = sub->owned_ver;
    if (f.join_fields) s->valid = true;
    return 0;
oom:
    s->valid = false;
    return -1;
}

/* --- member ids ------------------------------------------------------------------------ */

void k848_member_id(char out[23])
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint8_t u[16];
    if (getrandom(u, sizeof(u), GRND_NONBLOCK) != (ssize_t)sizeof(u)) {
        /* No entropy yet (early boot): time and address still make the
         * id unique enough for one group. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ (uintptr_t)out;
        for (int i = 0; i < 16; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            u[i] = (uint8_t)x;
        }
    }
    u[6] = (uint8_t)((u[6] & 0x0f) | 0x40); /* version 4 */
    u[8] = (uint8_t)((u[8] & 0x3f) | 0x80); /* IETF variant */
    int o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (int i = 0; i < 16; i++) {
        acc = acc << 8 | u[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = b64[(acc >> bits) & 63];
        }
    }
    if (bits) out[o++] = b64[(acc << (6 - bits)) & 63];
    out[o] = '\0';
}
