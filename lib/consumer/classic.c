/* The classic group protocol (JoinGroup/SyncGroup/Heartbeat/LeaveGroup).
 * Placeholder while it is written: it joins nothing. */
#include "consumer/group_int.h"

static int classic_init(kgroup *g)
{
    (void)g;
    return 0;
}

static void classic_nothing(kgroup *g)
{
    (void)g;
}

static void classic_leave(kgroup *g)
{
    kgroup_left(g);
}

const kgroup_proto kgroup_classic = {
    .name = "classic",
    .init = classic_init,
    .subscription_changed = classic_nothing,
    .revoke_done = classic_nothing,
    .leave = classic_leave,
    .poll_timeout = classic_nothing,
    .destroy = classic_nothing,
};
