/* Share sessions (KIP-932): one member's ShareFetch context on one broker,
 * keyed by (group, member, broker), with the partitions its requests named
 * and the epoch its next request must carry. Closing a session releases
 * the records it acquired. Loop thread, mc->lock held. */
#include <stdlib.h>
#include <string.h>

#include "mock/share.h"

static void session_free(mock_share_session *s)
{
    free(s->member_id);
    free(s->tps);
    free(s);
}

mock_share_session *mock_share_session_find(mock_share_group *sg, kslice member_id,
                                            int32_t broker_id)
{
    for (size_t i = 0; i < sg->n_sessions; i++) {
        mock_share_session *s = sg->sessions[i];
        if (s->broker_id == broker_id && strlen(s->member_id) == member_id.len &&
            memcmp(s->member_id, member_id.ptr, member_id.len) == 0)
            return s;
    }
    return NULL;
}

void mock_share_session_close(mock_cluster *mc, mock_share_group *sg, mock_share_session *s)
{
    mock_share_release_owner(mc, sg, s->id);
    mock_share_waits_poke(mc);
    for (size_t i = 0; i < sg->n_sessions; i++)
        if (sg->sessions[i] == s) {
            sg->sessions[i] = sg->sessions[--sg->n_sessions];
            break;
        }
    session_free(s);
}

mock_share_session *mock_share_session_open(mock_cluster *mc, mock_share_group *sg,
                                            kslice member_id, int32_t broker_id)
{
    if (sg->n_sessions == sg->cap_sessions) {
        size_t c = sg->cap_sessions ? 2 * sg->cap_sessions : 4;
        mock_share_session **v = realloc(sg->sessions, c * sizeof(*v));
        if (!v) return NULL;
        sg->sessions = v;
        sg->cap_sessions = c;
    }
    mock_share_session *s = calloc(1, sizeof(*s));
    if (!s || !(s->member_id = mock_strdup_slice(member_id))) {
        free(s);
        return NULL;
    }
    s->id = mc->next_share_session_id++;
    s->broker_id = broker_id;
    s->next_epoch = 1;
    sg->sessions[sg->n_sessions++] = s;
    return s;
}

void mock_share_member_gone(mock_cluster *mc, mock_group *g, const char *member_id)
{
    mock_share_group *sg = mock_share_group_of(g);
    if (!sg) return;
    for (size_t i = sg->n_sessions; i-- > 0;)
        if (strcmp(sg->sessions[i]->member_id, member_id) == 0)
            mock_share_session_close(mc, sg, sg->sessions[i]);
}

static bool session_has(const mock_share_session *s, const kuuid *id, int32_t partition)
{
    for (int32_t i = 0; i < s->n_tps; i++)
        if (s->tps[i].partition == partition && !memcmp(s->tps[i].topic_id.b, id->b, 16))
            return true;
    return false;
}

int mock_share_session_add(mock_share_session *s, const kuuid *id, int32_t partition)
{
    if (session_has(s, id, partition)) return 0;
    if (s->n_tps == s->cap_tps) {
        int32_t c = s->cap_tps ? 2 * s->cap_tps : 8;
        mock_share_tp *v = realloc(s->tps, (size_t)c * sizeof(*v));
        if (!v) return -1;
        s->tps = v;
        s->cap_tps = c;
    }
    s->tps[s->n_tps++] = (mock_share_tp){*id, partition};
    return 0;
}

void mock_share_session_forget(mock_share_session *s, const kuuid *id, int32_t partition)
{
    for (int32_t i = 0; i < s->n_tps; i++)
        if (s->tps[i].partition == partition && !memcmp(s->tps[i].topic_id.b, id->b, 16)) {
            s->tps[i] = s->tps[--s->n_tps];
            return;
        }
}

/* The session epoch that follows e. */
int32_t mock_share_epoch_next(int32_t e)
{
    return e == INT32_MAX ? 1 : e + 1;
}

/* The group and member a request names, or its error. */
kfk_err mock_share_group_check(mock_req *req, kslice group_id, kslice member_id,
                               mock_share_group **sg)
{
    if (!group_id.len || !member_id.len) return KFK_ERR_INVALID_REQUEST;
    /* A partition leader does not ask the coordinator who is a member:
     * Kafka serves a member id the group does not know. */
    mock_group *g = mock_group_find(req->mc, group_id);
    if (!g || g->type != MOCK_GROUP_SHARE) return KFK_ERR_GROUP_ID_NOT_FOUND;
    *sg = mock_share_group_of(g);
    return *sg ? KFK_OK : KFK_ERR_NO_MEMORY;
}

/* Finds the session for a request of epoch epoch (0 opens one): its error
 * in *err, else the session (NULL for epoch 0 until it opens). */
kfk_err mock_share_session_for(mock_req *req, mock_share_group *sg, kslice member_id, int32_t epoch,
                               mock_share_session **out)
{
    *out = mock_share_session_find(sg, member_id, req->broker->id);
    if (epoch == 0) return KFK_OK;
    if (!*out) return KFK_ERR_SHARE_SESSION_NOT_FOUND;
    if (epoch != -1 && epoch != (*out)->next_epoch) return KFK_ERR_INVALID_SHARE_SESSION_EPOCH;
    return KFK_OK;
}
