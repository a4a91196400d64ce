#include "vocab.h"

#include <string.h>

#define V(v, c)                                                                                    \
    {                                                                                              \
        v, VOCAB_##c, NULL                                                                         \
    }
#define VT(v, c, t)                                                                                \
    {                                                                                              \
        v, VOCAB_##c, t                                                                            \
    }
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* sdrs-api.md §1.4 (OTC appendix "Protection Group Status", identical on Huawei Cloud). */
static const struct vocab_value group_status[] = {
    V("creating", PROGRESS),        V("available", FINE),
    V("protected", FINE),           V("deleting", PROGRESS),
    V("error-deleting", WARNS),     V("error", BLOCKS), /* creation failed */
    V("starting", PROGRESS),        V("error-starting", WARNS),
    V("reprotecting", PROGRESS),    V("error-reprotecting", WARNS),
    V("stopping", PROGRESS),        V("error-stopping", WARNS),
    V("reversing", PROGRESS),       V("error-reversing", WARNS),
    V("failing-over", PROGRESS),    V("failed-over", FINE),
    V("error-failing-over", WARNS),
};

/* sdrs-api.md §2.3 (OTC appendix "Protected Instance Status"). invalid: a server of the instance
 * was deleted, which blocks every operation (§6.1). */
static const struct vocab_value instance_status[] = {
    V("creating", PROGRESS),
    V("available", FINE),
    V("deleting", PROGRESS),
    V("error-deleting", WARNS),
    V("error", WARNS),
    V("nic-creating", PROGRESS),
    V("nic-deleting", PROGRESS),
    V("starting", PROGRESS),
    V("error-starting", WARNS),
    V("protected", FINE),
    V("reversing", PROGRESS),
    V("failing-over", PROGRESS),
    V("failed-over", FINE),
    V("reprotecting", PROGRESS),
    V("stopping", PROGRESS),
    V("error-stopping", WARNS),
    V("error-reversing", WARNS),
    V("error-failing-over", WARNS),
    V("error-reprotecting", WARNS),
    V("resizing", PROGRESS),
    V("error-resizing", WARNS),
    VT("invalid", BLOCKS, "server deleted"),
    VT("fault", WARNS, "replication abnormal"),
};

/* sdrs-api.md §3.3 (OTC appendix "Replication Pair Status"). invalid: a disk of the pair was
 * deleted; fault: sync abnormal. */
static const struct vocab_value pair_status[] = {
    V("creating", PROGRESS),
    V("available", FINE),
    V("deleting", PROGRESS),
    V("error-deleting", WARNS),
    V("error", WARNS),
    V("extending", PROGRESS),
    V("error-extending", WARNS),
    V("starting", PROGRESS),
    V("error-starting", WARNS),
    V("protected", FINE),
    V("reversing", PROGRESS),
    V("failing-over", PROGRESS),
    V("failed-over", FINE),
    V("reprotecting", PROGRESS),
    V("stopping", PROGRESS),
    V("error-stopping", WARNS),
    V("error-reversing", WARNS),
    V("error-failing-over", WARNS),
    V("error-reprotecting", WARNS),
    VT("invalid", WARNS, "disk deleted"),
    VT("fault", WARNS, "replication abnormal"),
    V("attaching", PROGRESS),
    V("detaching", PROGRESS),
    V("error-attaching", WARNS),
    V("error-detaching", WARNS),
};

/* sdrs-api.md §4 (OTC SDRS API, DR drill status). */
static const struct vocab_value drill_status[] = {
    V("creating", PROGRESS),    V("available", FINE), V("deleting", PROGRESS),
    V("error-deleting", WARNS), V("error", WARNS),
};

/* sdrs-api.md §3.2 and §1.3: active = synchronised; copying = synchronising; inactive and
 * active-stopped = not synchronised. */
static const struct vocab_value replication_status[] = {
    V("active", FINE),
    V("inactive", WARNS),
    V("copying", PROGRESS),
    V("active-stopped", WARNS),
};

/* sdrs-api.md §3.2 (OTC sdrs_05_0604): "0" no fault; "2" the current production disk has no
 * read/write permission, a failover is recommended; "5" the replication link is broken, a failover
 * is not allowed. The reader turns "5" and 5 into the integer; the table holds its decimal form. */
static const struct vocab_value fault_level[] = {
    V("0", FINE),
    VT("2", WARNS, "failover recommended"),
    VT("5", BLOCKS, "link broken"),
};

/* sdrs-api.md §1.3, §2.2, §3.2: the current production side. */
static const struct vocab_value priority_station[] = {
    V("source", FINE),
    V("target", FINE),
};

/* sdrs-api.md §1.3: normal / abnormal, null for newer groups; the Huawei Cloud SDK also lists the
 * literal string "null". */
static const struct vocab_value health_status[] = {
    V("normal", FINE),
    V("abnormal", WARNS),
    VT("null", FINE, "not reported"),
};

/* OTC ECS API, appendix "ECS Statuses" (en-us_topic_0178420672), Table 1; Nova adds PAUSED,
 * SOFT_DELETED and SUSPENDED (sdrs-api.md §9.1, §9.2). SDRS refuses servers that are not active or
 * shutoff (SDRS.1333, §7.3). */
static const struct vocab_value server_status[] = {
    V("ACTIVE", FINE),
    V("SHUTOFF", FINE),
    V("BUILD", PROGRESS),
    V("REBOOT", PROGRESS),
    V("HARD_REBOOT", PROGRESS),
    V("REBUILD", PROGRESS),
    V("MIGRATING", PROGRESS),
    V("RESIZE", PROGRESS),
    V("REVERT_RESIZE", PROGRESS),
    V("VERIFY_RESIZE", PROGRESS),
    V("ERROR", BLOCKS),
    VT("DELETED", BLOCKS, "gone"),
    VT("SOFT_DELETED", BLOCKS, "gone"),
    V("SHELVED", BLOCKS),
    V("SHELVED_OFFLOADED", BLOCKS),
    V("UNKNOWN", BLOCKS),
    V("PAUSED", BLOCKS),
    V("SUSPENDED", BLOCKS),
};

/* OTC ECS API, appendix "ECS Statuses", Table 3; null: no task. Every task is an operation in
 * progress. */
static const struct vocab_value task_state[] = {
    V("scheduling", PROGRESS),
    V("block_device_mapping", PROGRESS),
    V("networking", PROGRESS),
    V("spawning", PROGRESS),
    V("rebooting", PROGRESS),
    V("reboot_pending", PROGRESS),
    V("reboot_started", PROGRESS),
    V("rebooting_hard", PROGRESS),
    V("reboot_pending_hard", PROGRESS),
    V("reboot_started_hard", PROGRESS),
    V("rebuilding", PROGRESS),
    V("rebuild_block_device_mapping", PROGRESS),
    V("rebuild_spawning", PROGRESS),
    V("migrating", PROGRESS),
    V("resize_prep", PROGRESS),
    V("resize_migrating", PROGRESS),
    V("resize_migrated", PROGRESS),
    V("resize_finish", PROGRESS),
    V("resize_reverting", PROGRESS),
    V("powering-off", PROGRESS),
    V("powering-on", PROGRESS),
    V("deleting", PROGRESS),
    V("shelving", PROGRESS),
    V("shelving_offloading", PROGRESS),
    V("shelving_image_pending_upload", PROGRESS),
    V("shelving_image_uploading", PROGRESS),
    V("unshelving", PROGRESS),
};

/* OTC ECS API, appendix "ECS Statuses", Table 2; Nova adds paused, suspended, rescued and
 * soft_deleted (sdrs-api.md §9.2). */
static const struct vocab_value vm_state[] = {
    V("active", FINE),
    V("stopped", FINE),
    V("building", PROGRESS),
    V("resized", PROGRESS),
    V("error", BLOCKS),
    VT("deleted", BLOCKS, "gone"),
    VT("soft_deleted", BLOCKS, "gone"),
    V("shelved", BLOCKS),
    V("shelved_offloaded", BLOCKS),
    V("paused", BLOCKS),
    V("suspended", BLOCKS),
    V("rescued", BLOCKS),
};

/* sdrs-api.md §9.1 (ECS metadata EcmResStatus): normal, or freeze for a frozen server; absent
 * means not frozen. */
static const struct vocab_value ecm_res_status[] = {
    V("normal", FINE),
    V("freeze", BLOCKS),
};

/* sdrs-api.md §5.1 (OTC sdrs_05_0101): the status of an SDRS job. */
static const struct vocab_value job_status[] = {
    V("SUCCESS", FINE),
    V("FAIL", BLOCKS),
    V("RUNNING", PROGRESS),
    VT("INIT", PROGRESS, "initializing"),
};

/* readiness-api.md §1.4 (OTC EVS API appendix "EVS Disk Status", evs_04_0040): the 18 statuses of
 * an EVS disk, exact case and separators (in-use, restoring-backup, backing-up and
 * awaiting-transfer have hyphens, the error_* values underscores). in-use (attached) and available
 * (not attached) are the states a pair's disk is used in; the transient ones mean an operation is
 * running on the disk; the error ones are failed operations, which SDRS refuses (SDRS.1801,
 * SDRS.1816-1818). */
static const struct vocab_value volume_status[] = {
    V("creating", PROGRESS),
    V("available", FINE),
    V("in-use", FINE),
    V("error", BLOCKS),
    V("attaching", PROGRESS),
    V("detaching", PROGRESS),
    V("restoring-backup", PROGRESS),
    V("backing-up", PROGRESS),
    V("error_restoring", BLOCKS),
    V("uploading", PROGRESS),
    V("downloading", PROGRESS),
    V("extending", PROGRESS),
    V("error_extending", BLOCKS),
    V("deleting", PROGRESS),
    V("error_deleting", BLOCKS),
    V("rollbacking", PROGRESS),
    V("error_rollbacking", BLOCKS),
    V("awaiting-transfer", PROGRESS),
};

/* readiness-api.md §2.1 (OTC ECS API en-us_topic_0020212656, os_extra_specs cond:operation:status
 * and cond:operation:az): the sale status of a flavor in a zone. normal (commercial), promotion
 * (recommended, commercial like normal) and obt (open beta) are on sale; sellout (sold out),
 * obt_sellout (open-beta resources sold out) and abandon (taken offline) are not. Documented for
 * purchase, not for starting a stopped server (§2.3): a risk indicator, never a blocker. */
static const struct vocab_value flavor_sale_status[] = {
    V("normal", FINE), VT("abandon", WARNS, "not on sale"),     VT("sellout", WARNS, "not on sale"),
    V("obt", FINE),    VT("obt_sellout", WARNS, "not on sale"), V("promotion", FINE),
};

static const struct vocab_field fields[] = {
    {"server_group.status", "sdrs-api.md §1.4 (OTC SDRS API appendix: protection group status)",
     false, group_status, N(group_status)},
    {"protected_instance.status",
     "sdrs-api.md §2.3 (OTC SDRS API appendix: protected instance status)", false, instance_status,
     N(instance_status)},
    {"replication.status", "sdrs-api.md §3.3 (OTC SDRS API appendix: replication pair status)",
     false, pair_status, N(pair_status)},
    {"disaster_recovery_drill.status", "sdrs-api.md §4 (OTC SDRS API: DR drill status)", false,
     drill_status, N(drill_status)},
    {"replication.replication_status", "sdrs-api.md §3.2 (OTC SDRS API sdrs_05_0604)", false,
     replication_status, N(replication_status)},
    {"replication.fault_level", "sdrs-api.md §3.2 (OTC SDRS API sdrs_05_0604)", false, fault_level,
     N(fault_level)},
    {"priority_station", "sdrs-api.md §1.3, §2.2, §3.2 (OTC SDRS API)", false, priority_station,
     N(priority_station)},
    {"server_group.health_status", "sdrs-api.md §1.3 (OTC SDRS API sdrs_05_0403; Huawei Cloud SDK)",
     true, health_status, N(health_status)},
    {"server.status",
     "OTC ECS API appendix 'ECS Statuses' (Table 1) and Nova; sdrs-api.md §9.1, §9.2", false,
     server_status, N(server_status)},
    {"server.OS-EXT-STS:task_state", "OTC ECS API appendix 'ECS Statuses' (Table 3)", true,
     task_state, N(task_state)},
    {"server.OS-EXT-STS:vm_state",
     "OTC ECS API appendix 'ECS Statuses' (Table 2) and Nova; sdrs-api.md §9.1, §9.2", false,
     vm_state, N(vm_state)},
    {"server.metadata.EcmResStatus",
     "sdrs-api.md §9.1 (OTC ECS API: querying details about an ECS)", true, ecm_res_status,
     N(ecm_res_status)},
    {"job.status", "sdrs-api.md §5.1 (OTC SDRS API sdrs_05_0101)", false, job_status,
     N(job_status)},
    {"volume.status", "readiness-api.md §1.4 (OTC EVS API appendix 'EVS Disk Status', evs_04_0040)",
     false, volume_status, N(volume_status)},
    {"flavor.sale_status",
     "readiness-api.md §2.1 (OTC ECS API en-us_topic_0020212656: os_extra_specs "
     "cond:operation:status, cond:operation:az)",
     false, flavor_sale_status, N(flavor_sale_status)},
};

static const char *const allow_failover[] = {"protected", "error-failing-over", "error-reversing",
                                             NULL};
static const char *const allow_planned[] = {"protected", "error-reversing", NULL};
static const char *const allow_enable[] = {"available", "error-starting", "failed-over",
                                           "error-reprotecting", NULL};
static const char *const allow_disable[] = {"protected", "error-stopping", NULL};
static const char *const allow_drill[] = {
    "available",          "protected",          "failed-over",
    "error-starting",     "error-stopping",     "error-reversing",
    "error-reprotecting", "error-failing-over", NULL};

static const struct vocab_action actions[] = {
    {"failover", allow_failover},
    {"planned-failover", allow_planned},
    {"enable-protection", allow_enable},
    {"disable-protection", allow_disable},
    {"drill", allow_drill},
};

size_t vocab_field_count(void)
{
    return N(fields);
}

const struct vocab_field *vocab_field_at(size_t i)
{
    return i < N(fields) ? &fields[i] : NULL;
}

const struct vocab_field *vocab_field(const char *name)
{
    for (size_t i = 0; name && i < N(fields); i++)
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    return NULL;
}

const struct vocab_value *vocab_lookup(const struct vocab_field *field, const char *value)
{
    for (size_t i = 0; field && value && i < field->nvalues; i++)
        if (strcmp(field->values[i].value, value) == 0)
            return &field->values[i];
    return NULL;
}

enum vocab_class vocab_classify(const char *name, const char *value)
{
    const struct vocab_value *v = vocab_lookup(vocab_field(name), value);

    return v ? v->cls : VOCAB_UNRECOGNISED;
}

bool vocab_tagged(const char *name, const char *value, const char *tag)
{
    const struct vocab_value *v = vocab_lookup(vocab_field(name), value);

    return v && v->tag && tag && strcmp(v->tag, tag) == 0;
}

const char *vocab_class_name(enum vocab_class c)
{
    switch (c) {
    case VOCAB_FINE:
        return "fine";
    case VOCAB_WARNS:
        return "warns";
    case VOCAB_BLOCKS:
        return "blocks";
    case VOCAB_PROGRESS:
        return "progress";
    case VOCAB_UNRECOGNISED:
        break;
    }
    return "unrecognised";
}

size_t vocab_action_count(void)
{
    return N(actions);
}

const struct vocab_action *vocab_action_at(size_t i)
{
    return i < N(actions) ? &actions[i] : NULL;
}

const struct vocab_action *vocab_action(const char *action)
{
    for (size_t i = 0; action && i < N(actions); i++)
        if (strcmp(actions[i].action, action) == 0)
            return &actions[i];
    return NULL;
}
