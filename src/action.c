#include "action.h"

#include <string.h>

static const struct action_spec specs[] = {
    {"failover", "failover-server-group", false, "failing-over", NULL, "failed-over",
     "error-failing-over", NULL, true, "failed-over", true,
     "the group is failed-over, production moves to the other site and replication stops "
     "(sdrs-api.md §1.4, §6.1)",
     "enable-protection",
     "replication has stopped: the data is unprotected until protection is enabled again (the "
     "servers at the new DR site must be stopped first)"},
    {"planned-failover", "reverse-server-group", true, "reversing", NULL, "protected",
     "error-reversing", NULL, true, "protected", false,
     "the group is protected again with production at the other site, replicating the other way "
     "(sdrs-api.md §1.4, §6.1)",
     "failover", "the group protects the new production site; check it before it is needed"},
    {"enable-protection", "start-server-group", false, "starting", "reprotecting", "protected",
     "error-starting", "error-reprotecting", false, "protected", false,
     "the group is protected, production where it was (sdrs-api.md §1.4, §6.1)", "failover",
     "the group is protected; check that it can fail over"},
    {"disable-protection", "stop-server-group", false, "stopping", NULL, "available",
     "error-stopping", NULL, false, "available", true,
     "the group is available: protection is disabled and replication stops (sdrs-api.md §1.4, "
     "§6.1)",
     "enable-protection",
     "replication has stopped: the data is unprotected until protection is "
     "enabled again"},
};

const struct action_spec *action_spec(const char *action)
{
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        if (action && strcmp(specs[i].action, action) == 0)
            return &specs[i];
    return NULL;
}

const char *action_other_station(const char *station)
{
    if (station && strcmp(station, "source") == 0)
        return "target";
    if (station && strcmp(station, "target") == 0)
        return "source";
    return NULL;
}
