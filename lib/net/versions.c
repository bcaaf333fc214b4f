#include "net/versions.h"

#include <string.h>

#include "proto/api.h"

void kversions_clear(kversions *vs)
{
    for (int k = 0; k < KVERSIONS_MAX_KEYS; k++) {
        vs->lo[k] = 0;
        vs->hi[k] = -1;
    }
    vs->txn_version = 0;
}

/* Intersects the broker's [bmin, bmax] for key with ours; -1 if disjoint. */
static int common_range(int16_t key, int16_t bmin, int16_t bmax, int16_t *lo, int16_t *hi)
{
    const kproto_api *api = kproto_api_get(key);
    if (!api) return -1;
    int16_t l = bmin > api->min_version ? bmin : api->min_version;
    int16_t h = bmax < api->max_stable_version ? bmax : api->max_stable_version;
    if (l > h) return -1;
    *lo = l;
    *hi = h;
    return 0;
}

void kversions_from_response(kversions *vs, const kp_api_versions_response *resp)
{
    kversions_clear(vs);
    for (int32_t i = 0; i < resp->n_api_keys; i++) {
        const kp_api_versions_response_api_version *a = &resp->api_keys[i];
        if (a->api_key < 0 || a->api_key >= KVERSIONS_MAX_KEYS) continue;
        int16_t lo, hi;
        if (common_range(a->api_key, a->min_version, a->max_version, &lo, &hi) == 0) {
            vs->lo[a->api_key] = lo;
            vs->hi[a->api_key] = hi;
        }
    }
    static const char tv[] = "transaction.version";
    for (int32_t i = 0; i < resp->n_finalized_features; i++) {
        const kp_api_versions_response_finalized_feature_key *f = &resp->finalized_features[i];
        if (f->name.len == sizeof(tv) - 1 && memcmp(f->name.ptr, tv, sizeof(tv) - 1) == 0)
            vs->txn_version = f->max_version_level;
    }
}

int16_t kversions_pick(const kversions *vs, int16_t key, int16_t min, int16_t max)
{
    if (key < 0 || key >= KVERSIONS_MAX_KEYS || vs->hi[key] < 0) return -1;
    int16_t lo = vs->lo[key] > min ? vs->lo[key] : min;
    int16_t hi = max >= 0 && max < vs->hi[key] ? max : vs->hi[key];
    return lo <= hi ? hi : -1;
}

int16_t kversions_api_versions_retry(const kp_api_versions_response *v0)
{
    for (int32_t i = 0; i < v0->n_api_keys; i++) {
        const kp_api_versions_response_api_version *a = &v0->api_keys[i];
        int16_t lo, hi;
        if (a->api_key == KP_API_VERSIONS_KEY &&
            common_range(a->api_key, a->min_version, a->max_version, &lo, &hi) == 0)
            return hi;
    }
    /* A broker that lists nothing still speaks v0, which every broker
     * since 0.10 answers. */
    return v0->n_api_keys == 0 ? 0 : -1;
}
