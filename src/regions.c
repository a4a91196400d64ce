/*
 * The region table. docs/regions.md explains each source; check_regions compares the Huawei Cloud
 * rows with the official SDK's region tables (tests/unit/region-vectors.json).
 */
#include "regions.h"

#include <string.h>

/* Open Telekom Cloud: the endpoint catalog ("openstack endpoint list" as published in
 * opentelekomcloud-docs/image-management-service, 2023; sdrs-api.md 8.3). */
#define SRC_OTC                                                                                    \
    "OTC endpoint catalog (opentelekomcloud-docs/image-management-service 7948b8e, sdrs-api.md "   \
    "8.3)"
/* Huawei Cloud: the npm SDK's EcsRegion and IamRegion tables; the SDK has no SDRS, IMS or EVS
 * package on npm, so those hosts follow Huawei's documented pattern. */
#define SRC_HWC_PATTERN                                                                            \
    "; sdrs, ims, evs: documented pattern https://<service>.<region>.myhuaweicloud.com"
#define SRC_HWC                                                                                    \
    "huaweicloud-sdk-ecs 3.1.172 EcsRegion (ecs), huaweicloud-sdk-iam 3.1.172 IamRegion "          \
    "(iam)" SRC_HWC_PATTERN
#define SRC_HWC_NO_IAM                                                                             \
    "huaweicloud-sdk-ecs 3.1.172 EcsRegion (ecs); iam: no regional host in huaweicloud-sdk-iam "   \
    "3.1.172 IamRegion, the SDK's global fallback (huaweicloud-sdk-core "                          \
    "DEFAULT_IAM_ENDPOINT)" SRC_HWC_PATTERN
#define SRC_HWC_EU                                                                                 \
    "huaweicloud-sdk-ecs 3.1.172 EcsRegion (ecs, under .com), huaweicloud-sdk-iam 3.1.172 "        \
    "IamRegion (iam, under .eu); sdrs, ims, evs: documented pattern under .myhuaweicloud.eu"

/* The IAM host the Huawei Cloud SDK uses when it has no regional one. */
#define IAM_GLOBAL "https://iam.myhuaweicloud.com"

/* Columns: region, cloud, sdrs, ecs, ims, iam, evs, source. Open Telekom Cloud first, then
 * Huawei Cloud in alphabetical order (numbers by value); region_names lists them in this order. */
static const struct region_info regions[] = {
    {"eu-de", CLOUD_OTC, "https://sdrs.eu-de.otc.t-systems.com",
     "https://ecs.eu-de.otc.t-systems.com", "https://ims.eu-de.otc.t-systems.com",
     "https://iam.eu-de.otc.t-systems.com", "https://evs.eu-de.otc.t-systems.com", SRC_OTC},
    /* SDRS is not in eu-nl's catalog (it appears to be eu-de only): the host follows the OTC
     * pattern, unverified. */
    {"eu-nl", CLOUD_OTC, "https://sdrs.eu-nl.otc.t-systems.com",
     "https://ecs.eu-nl.otc.t-systems.com", "https://ims.eu-nl.otc.t-systems.com",
     "https://iam.eu-nl.otc.t-systems.com", "https://evs.eu-nl.otc.t-systems.com",
     SRC_OTC "; sdrs: not in the catalog (SDRS appears to be eu-de only), host by the OTC pattern"},
    /* Swiss OTC: IAM is iam-pub, and every host has the .sc. infix. */
    {"eu-ch2", CLOUD_OTC_SWISS, "https://sdrs.eu-ch2.sc.otc.t-systems.com",
     "https://ecs.eu-ch2.sc.otc.t-systems.com", "https://ims.eu-ch2.sc.otc.t-systems.com",
     "https://iam-pub.eu-ch2.sc.otc.t-systems.com", "https://evs.eu-ch2.sc.otc.t-systems.com",
     "issue and OTC Swiss configurations in public code (iam-pub and ecs hosts); sdrs, ims, evs by "
     "the Swiss pattern; not verified against docs.sc.otc.t-systems.com/en-us/endpoint"},
    {"ae-ad-1", CLOUD_HUAWEI, "https://sdrs.ae-ad-1.myhuaweicloud.com",
     "https://ecs.ae-ad-1.myhuaweicloud.com", "https://ims.ae-ad-1.myhuaweicloud.com",
     "https://iam.ae-ad-1.myhuaweicloud.com", "https://evs.ae-ad-1.myhuaweicloud.com", SRC_HWC},
    {"af-north-1", CLOUD_HUAWEI, "https://sdrs.af-north-1.myhuaweicloud.com",
     "https://ecs.af-north-1.myhuaweicloud.com", "https://ims.af-north-1.myhuaweicloud.com",
     IAM_GLOBAL, "https://evs.af-north-1.myhuaweicloud.com", SRC_HWC_NO_IAM},
    {"af-south-1", CLOUD_HUAWEI, "https://sdrs.af-south-1.myhuaweicloud.com",
     "https://ecs.af-south-1.myhuaweicloud.com", "https://ims.af-south-1.myhuaweicloud.com",
     "https://iam.af-south-1.myhuaweicloud.com", "https://evs.af-south-1.myhuaweicloud.com",
     SRC_HWC},
    {"ap-southeast-1", CLOUD_HUAWEI, "https://sdrs.ap-southeast-1.myhuaweicloud.com",
     "https://ecs.ap-southeast-1.myhuaweicloud.com", "https://ims.ap-southeast-1.myhuaweicloud.com",
     "https://iam.ap-southeast-1.myhuaweicloud.com", "https://evs.ap-southeast-1.myhuaweicloud.com",
     SRC_HWC},
    {"ap-southeast-2", CLOUD_HUAWEI, "https://sdrs.ap-southeast-2.myhuaweicloud.com",
     "https://ecs.ap-southeast-2.myhuaweicloud.com", "https://ims.ap-southeast-2.myhuaweicloud.com",
     "https://iam.ap-southeast-2.myhuaweicloud.com", "https://evs.ap-southeast-2.myhuaweicloud.com",
     SRC_HWC},
    {"ap-southeast-3", CLOUD_HUAWEI, "https://sdrs.ap-southeast-3.myhuaweicloud.com",
     "https://ecs.ap-southeast-3.myhuaweicloud.com", "https://ims.ap-southeast-3.myhuaweicloud.com",
     "https://iam.ap-southeast-3.myhuaweicloud.com", "https://evs.ap-southeast-3.myhuaweicloud.com",
     SRC_HWC},
    {"ap-southeast-4", CLOUD_HUAWEI, "https://sdrs.ap-southeast-4.myhuaweicloud.com",
     "https://ecs.ap-southeast-4.myhuaweicloud.com", "https://ims.ap-southeast-4.myhuaweicloud.com",
     "https://iam.ap-southeast-4.myhuaweicloud.com", "https://evs.ap-southeast-4.myhuaweicloud.com",
     SRC_HWC},
    {"ap-southeast-5", CLOUD_HUAWEI, "https://sdrs.ap-southeast-5.myhuaweicloud.com",
     "https://ecs.ap-southeast-5.myhuaweicloud.com", "https://ims.ap-southeast-5.myhuaweicloud.com",
     IAM_GLOBAL, "https://evs.ap-southeast-5.myhuaweicloud.com", SRC_HWC_NO_IAM},
    {"cn-east-2", CLOUD_HUAWEI, "https://sdrs.cn-east-2.myhuaweicloud.com",
     "https://ecs.cn-east-2.myhuaweicloud.com", "https://ims.cn-east-2.myhuaweicloud.com",
     "https://iam.cn-east-2.myhuaweicloud.com", "https://evs.cn-east-2.myhuaweicloud.com", SRC_HWC},
    {"cn-east-3", CLOUD_HUAWEI, "https://sdrs.cn-east-3.myhuaweicloud.com",
     "https://ecs.cn-east-3.myhuaweicloud.com", "https://ims.cn-east-3.myhuaweicloud.com",
     "https://iam.cn-east-3.myhuaweicloud.com", "https://evs.cn-east-3.myhuaweicloud.com", SRC_HWC},
    {"cn-east-4", CLOUD_HUAWEI, "https://sdrs.cn-east-4.myhuaweicloud.com",
     "https://ecs.cn-east-4.myhuaweicloud.com", "https://ims.cn-east-4.myhuaweicloud.com",
     "https://iam.cn-east-4.myhuaweicloud.com", "https://evs.cn-east-4.myhuaweicloud.com", SRC_HWC},
    {"cn-east-5", CLOUD_HUAWEI, "https://sdrs.cn-east-5.myhuaweicloud.com",
     "https://ecs.cn-east-5.myhuaweicloud.com", "https://ims.cn-east-5.myhuaweicloud.com",
     "https://iam.cn-east-5.myhuaweicloud.com", "https://evs.cn-east-5.myhuaweicloud.com", SRC_HWC},
    {"cn-north-1", CLOUD_HUAWEI, "https://sdrs.cn-north-1.myhuaweicloud.com",
     "https://ecs.cn-north-1.myhuaweicloud.com", "https://ims.cn-north-1.myhuaweicloud.com",
     "https://iam.cn-north-1.myhuaweicloud.com", "https://evs.cn-north-1.myhuaweicloud.com",
     SRC_HWC},
    {"cn-north-2", CLOUD_HUAWEI, "https://sdrs.cn-north-2.myhuaweicloud.com",
     "https://ecs.cn-north-2.myhuaweicloud.com", "https://ims.cn-north-2.myhuaweicloud.com",
     "https://iam.cn-north-2.myhuaweicloud.com", "https://evs.cn-north-2.myhuaweicloud.com",
     SRC_HWC},
    {"cn-north-4", CLOUD_HUAWEI, "https://sdrs.cn-north-4.myhuaweicloud.com",
     "https://ecs.cn-north-4.myhuaweicloud.com", "https://ims.cn-north-4.myhuaweicloud.com",
     "https://iam.cn-north-4.myhuaweicloud.com", "https://evs.cn-north-4.myhuaweicloud.com",
     SRC_HWC},
    {"cn-north-9", CLOUD_HUAWEI, "https://sdrs.cn-north-9.myhuaweicloud.com",
     "https://ecs.cn-north-9.myhuaweicloud.com", "https://ims.cn-north-9.myhuaweicloud.com",
     "https://iam.cn-north-9.myhuaweicloud.com", "https://evs.cn-north-9.myhuaweicloud.com",
     SRC_HWC},
    {"cn-north-11", CLOUD_HUAWEI, "https://sdrs.cn-north-11.myhuaweicloud.com",
     "https://ecs.cn-north-11.myhuaweicloud.com", "https://ims.cn-north-11.myhuaweicloud.com",
     IAM_GLOBAL, "https://evs.cn-north-11.myhuaweicloud.com", SRC_HWC_NO_IAM},
    {"cn-north-12", CLOUD_HUAWEI, "https://sdrs.cn-north-12.myhuaweicloud.com",
     "https://ecs.cn-north-12.myhuaweicloud.com", "https://ims.cn-north-12.myhuaweicloud.com",
     "https://iam.cn-north-12.myhuaweicloud.com", "https://evs.cn-north-12.myhuaweicloud.com",
     SRC_HWC},
    {"cn-south-1", CLOUD_HUAWEI, "https://sdrs.cn-south-1.myhuaweicloud.com",
     "https://ecs.cn-south-1.myhuaweicloud.com", "https://ims.cn-south-1.myhuaweicloud.com",
     "https://iam.cn-south-1.myhuaweicloud.com", "https://evs.cn-south-1.myhuaweicloud.com",
     SRC_HWC},
    {"cn-south-2", CLOUD_HUAWEI, "https://sdrs.cn-south-2.myhuaweicloud.com",
     "https://ecs.cn-south-2.myhuaweicloud.com", "https://ims.cn-south-2.myhuaweicloud.com",
     "https://iam.cn-south-2.myhuaweicloud.com", "https://evs.cn-south-2.myhuaweicloud.com",
     SRC_HWC},
    {"cn-south-4", CLOUD_HUAWEI, "https://sdrs.cn-south-4.myhuaweicloud.com",
     "https://ecs.cn-south-4.myhuaweicloud.com", "https://ims.cn-south-4.myhuaweicloud.com",
     IAM_GLOBAL, "https://evs.cn-south-4.myhuaweicloud.com", SRC_HWC_NO_IAM},
    {"cn-southwest-2", CLOUD_HUAWEI, "https://sdrs.cn-southwest-2.myhuaweicloud.com",
     "https://ecs.cn-southwest-2.myhuaweicloud.com", "https://ims.cn-southwest-2.myhuaweicloud.com",
     "https://iam.cn-southwest-2.myhuaweicloud.com", "https://evs.cn-southwest-2.myhuaweicloud.com",
     SRC_HWC},
    {"cn-southwest-3", CLOUD_HUAWEI, "https://sdrs.cn-southwest-3.myhuaweicloud.com",
     "https://ecs.cn-southwest-3.myhuaweicloud.com", "https://ims.cn-southwest-3.myhuaweicloud.com",
     IAM_GLOBAL, "https://evs.cn-southwest-3.myhuaweicloud.com", SRC_HWC_NO_IAM},
    {"eu-west-0", CLOUD_HUAWEI, "https://sdrs.eu-west-0.myhuaweicloud.com",
     "https://ecs.eu-west-0.myhuaweicloud.com", "https://ims.eu-west-0.myhuaweicloud.com",
     "https://iam.eu-west-0.myhuaweicloud.com", "https://evs.eu-west-0.myhuaweicloud.com", SRC_HWC},
    {"eu-west-101", CLOUD_HUAWEI, "https://sdrs.eu-west-101.myhuaweicloud.eu",
     "https://ecs.eu-west-101.myhuaweicloud.com", "https://ims.eu-west-101.myhuaweicloud.eu",
     "https://iam.eu-west-101.myhuaweicloud.eu", "https://evs.eu-west-101.myhuaweicloud.eu",
     SRC_HWC_EU},
    {"la-north-2", CLOUD_HUAWEI, "https://sdrs.la-north-2.myhuaweicloud.com",
     "https://ecs.la-north-2.myhuaweicloud.com", "https://ims.la-north-2.myhuaweicloud.com",
     "https://iam.la-north-2.myhuaweicloud.com", "https://evs.la-north-2.myhuaweicloud.com",
     SRC_HWC},
    {"la-south-2", CLOUD_HUAWEI, "https://sdrs.la-south-2.myhuaweicloud.com",
     "https://ecs.la-south-2.myhuaweicloud.com", "https://ims.la-south-2.myhuaweicloud.com",
     "https://iam.la-south-2.myhuaweicloud.com", "https://evs.la-south-2.myhuaweicloud.com",
     SRC_HWC},
    {"me-east-1", CLOUD_HUAWEI, "https://sdrs.me-east-1.myhuaweicloud.com",
     "https://ecs.me-east-1.myhuaweicloud.com", "https://ims.me-east-1.myhuaweicloud.com",
     "https://iam.me-east-1.myhuaweicloud.com", "https://evs.me-east-1.myhuaweicloud.com", SRC_HWC},
    {"my-kualalumpur-1", CLOUD_HUAWEI, "https://sdrs.my-kualalumpur-1.myhuaweicloud.com",
     "https://ecs.my-kualalumpur-1.myhuaweicloud.com",
     "https://ims.my-kualalumpur-1.myhuaweicloud.com",
     "https://iam.my-kualalumpur-1.myhuaweicloud.com",
     "https://evs.my-kualalumpur-1.myhuaweicloud.com", SRC_HWC},
    {"na-mexico-1", CLOUD_HUAWEI, "https://sdrs.na-mexico-1.myhuaweicloud.com",
     "https://ecs.na-mexico-1.myhuaweicloud.com", "https://ims.na-mexico-1.myhuaweicloud.com",
     "https://iam.na-mexico-1.myhuaweicloud.com", "https://evs.na-mexico-1.myhuaweicloud.com",
     SRC_HWC},
    {"ru-moscow-1", CLOUD_HUAWEI, "https://sdrs.ru-moscow-1.myhuaweicloud.com",
     "https://ecs.ru-moscow-1.myhuaweicloud.com", "https://ims.ru-moscow-1.myhuaweicloud.com",
     "https://iam.ru-moscow-1.myhuaweicloud.com", "https://evs.ru-moscow-1.myhuaweicloud.com",
     SRC_HWC},
    {"sa-brazil-1", CLOUD_HUAWEI, "https://sdrs.sa-brazil-1.myhuaweicloud.com",
     "https://ecs.sa-brazil-1.myhuaweicloud.com", "https://ims.sa-brazil-1.myhuaweicloud.com",
     "https://iam.sa-brazil-1.myhuaweicloud.com", "https://evs.sa-brazil-1.myhuaweicloud.com",
     SRC_HWC},
    {"tr-west-1", CLOUD_HUAWEI, "https://sdrs.tr-west-1.myhuaweicloud.com",
     "https://ecs.tr-west-1.myhuaweicloud.com", "https://ims.tr-west-1.myhuaweicloud.com",
     "https://iam.tr-west-1.myhuaweicloud.com", "https://evs.tr-west-1.myhuaweicloud.com", SRC_HWC},
};

#define REGION_COUNT (sizeof regions / sizeof regions[0])

const struct region_info *region_lookup(const char *region)
{
    if (!region)
        return NULL;
    for (size_t i = 0; i < REGION_COUNT; i++)
        if (strcmp(regions[i].region, region) == 0)
            return &regions[i];
    return NULL;
}

size_t region_count(void)
{
    return REGION_COUNT;
}

const struct region_info *region_at(size_t i)
{
    return i < REGION_COUNT ? &regions[i] : NULL;
}

const char *region_cloud_name(enum region_cloud c)
{
    switch (c) {
    case CLOUD_OTC:
        return "Open Telekom Cloud";
    case CLOUD_OTC_SWISS:
        return "Open Telekom Cloud (Swiss)";
    case CLOUD_HUAWEI:
        return "Huawei Cloud";
    }
    return "unknown cloud";
}

void region_names(char *out, size_t size)
{
    size_t len = 0;

    if (size == 0)
        return;
    out[0] = '\0';
    for (size_t i = 0; i < REGION_COUNT; i++) {
        const char *sep = i ? ", " : "";
        size_t seplen = strlen(sep), namelen = strlen(regions[i].region);
        /* keep room for ", ..." after this name unless it is the last one, so that a cut at the
         * next name always fits */
        size_t reserve = i + 1 < REGION_COUNT ? strlen(", ...") : 0;

        if (len + seplen + namelen + reserve >= size) {
            const char *tail = i ? ", ..." : "...";

            if (len + strlen(tail) < size)
                memcpy(out + len, tail, strlen(tail) + 1);
            return;
        }
        memcpy(out + len, sep, seplen);
        memcpy(out + len + seplen, regions[i].region, namelen + 1);
        len += seplen + namelen;
    }
}

bool region_cloud_has_server_id_filter(enum region_cloud c)
{
    return c == CLOUD_HUAWEI;
}
