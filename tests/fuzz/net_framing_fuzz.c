/* libFuzzer target for a broker connection's framing and response
 * matching (lib/net/conn_io.c): a real kconn on its own loop thread talks
 * to this process, which plays the broker on loopback and answers with
 * the fuzz input as the byte stream. The first byte picks where the input
 * goes:
 *   bit 0 clear  after a valid ApiVersions answer, as the answers to a
 *                Metadata request (frames, sizes, correlation ids all
 *                the input's);
 *   bit 0 set    as the ApiVersions answer itself.
 * The broker then closes its side. Whatever the bytes, the Metadata
 * request must complete exactly once, well within its deadline, and
 * nothing may crash or leak. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/time.h"
#include "net/conn.h"
#include "proto/api.h"
#include "proto/gen/all.h"

static void check(int ok)
{
    if (!ok) abort();
}

static kloop *loop;
static kconn_group *group;
static kconn_config cfg;
static int listen_fd = -1, port;

static void setup_once(void)
{
    if (loop) return;
    kconn_config_defaults(&cfg);
    cfg.backoff_ms = cfg.backoff_max_ms = 60000; /* one attempt per input */
    cfg.log.level = -1;                          /* quiet */
    loop = kloop_new("fuzz-io", &cfg.log);
    check(loop && kloop_start(loop) == 0);
    group = kconn_group_new(loop, &cfg);
    check(group != NULL);
    listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    check(bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(listen_fd, 8) == 0);
    socklen_t len = sizeof(sa);
    getsockname(listen_fd, (struct sockaddr *)&sa, &len);
    port = ntohs(sa.sin_port);
}

/* --- the request and its completion ------------------------------------------------- */

typedef struct outcome {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int completions;
} outcome;

static void on_done(kreq *r, kfk_err err, void *resp, karena *arena)
{
    (void)err, (void)resp, (void)arena;
    outcome *o = r->opaque;
    pthread_mutex_lock(&o->lock);
    o->completions++;
    pthread_cond_broadcast(&o->cond);
    pthread_mutex_unlock(&o->lock);
}

/* --- the broker's side ---------------------------------------------------------------- */

/* Reads one whole request frame; its correlation id, or -1. */
static int32_t read_request(int fd)
{
    uint8_t head[12];
    size_t have = 0;
    while (have < sizeof(head)) {
        struct pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, 2000) <= 0) return -1;
        ssize_t n = read(fd, head + have, sizeof(head) - have);
        if (n <= 0) return -1;
        have += (size_t)n;
    }
    uint32_t size = (uint32_t)head[0] << 24 | head[1] << 16 | head[2] << 8 | head[3];
    for (uint32_t left = size + 4 - (uint32_t)sizeof(head); left;) { /* drain the rest */
        uint8_t skip[512];
        ssize_t n = read(fd, skip, left < sizeof(skip) ? left : sizeof(skip));
        if (n <= 0) return -1;
        left -= (uint32_t)n;
    }
    return (int32_t)((uint32_t)head[8] << 24 | head[9] << 16 | head[10] << 8 | head[11]);
}

static void write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) return; /* the client gave up: fine */
        p += w;
        n -= (size_t)w;
    }
}

static void api_versions_answer(int fd, int32_t cid)
{
    kp_api_versions_response r;
    kp_api_versions_response_init(&r);
    size_t n;
    const kproto_api *apis = kproto_api_list(&n);
    kp_api_versions_response_api_version keys[128];
    int k = 0;
    for (size_t i = 0; i < n && k < 128; i++)
        keys[k++] = (kp_api_versions_response_api_version){apis[i].key, apis[i].min_version,
                                                           apis[i].max_version};
    r.api_keys = keys;
    r.n_api_keys = k;
    kbuf out = {0};
    check(kproto_write_response(&out, KP_API_VERSIONS_KEY, KP_API_VERSIONS_MAX_VERSION, cid, &r) ==
          0);
    write_all(fd, out.data, out.len);
    kbuf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    setup_once();
    bool as_api_versions = data[0] & 1;
    outcome o = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    kp_metadata_request body;
    kp_metadata_request_init(&body);
    kreq r;
    kreq_init(&r, &kp_metadata_client, &body, ktime_mono_ns() + 5 * KTIME_NS_PER_S, on_done, &o);
    kconn *c = kconn_new(group, 1, "127.0.0.1", port, NULL);
    check(c != NULL);
    kconn_submit(c, &r);

    int fd = accept(listen_fd, NULL, NULL);
    check(fd >= 0);
    int32_t cid = read_request(fd);
    if (cid >= 0) {
        if (!as_api_versions) api_versions_answer(fd, cid);
        write_all(fd, data + 1, size - 1);
    }
    shutdown(fd, SHUT_WR);

    /* Exactly one completion, long before the request's own deadline
     * would matter: a closed stream fails the connection at once. */
    pthread_mutex_lock(&o.lock);
    int64_t deadline = ktime_mono_ns() + 4 * KTIME_NS_PER_S;
    while (o.completions == 0 && ktime_mono_ns() < deadline) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 10 * 1000000;
        if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
        pthread_cond_timedwait(&o.cond, &o.lock, &ts);
    }
    int completions = o.completions;
    pthread_mutex_unlock(&o.lock);
    check(completions == 1);
    kconn_retire(c);
    close(fd);
    return 0;
}
