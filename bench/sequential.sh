#!/usr/bin/env bash
# What a user writes instead of sdrs-preflight, for the benchmark's speed-up figure: the same reads
# (the group, every page of its three lists, every production and DR server, every image), one curl
# at a time, and a go/no-go on the documented status values with jq. It is a yardstick, not a tool:
# no retries, no paging quirks, no evidence.
#
#   OS_AUTH_TOKEN=... bash bench/sequential.sh ENDPOINT PROJECT_ID GROUP_ID
#
# ENDPOINT serves SDRS, ECS and IMS alike (the simulator, bench/refserver.py). Prints GO or NO-GO
# and the number of requests; exits 0 when every request was answered with 2xx.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: OS_AUTH_TOKEN=... $0 ENDPOINT PROJECT_ID GROUP_ID" >&2; exit 2; }
ep=$1 pid=$2 gid=$3
: "${OS_AUTH_TOKEN:?set OS_AUTH_TOKEN}"
count=$(mktemp)
trap 'rm -f "$count"' EXIT

get() {
    echo >>"$count" # get runs in command substitutions (subshells): count in a file
    curl -sSf -H "X-Auth-Token: $OS_AUTH_TOKEN" -H "Accept: application/json" "$ep$1"
}

# list PATH KEY: the items of every page, one JSON object per line
list() {
    local offset=0 limit=1000 page n
    while :; do
        page=$(get "/v1/$pid/$1?server_group_id=$gid&limit=$limit&offset=$offset")
        n=$(jq ".$2 | length" <<<"$page")
        jq -c ".$2[]" <<<"$page"
        [ "$n" -lt "$limit" ] && break
        offset=$((offset + limit))
    done
}

verdict=GO
group=$(get "/v1/$pid/server-groups/$gid")
case $(jq -r '.server_group.status' <<<"$group") in
    protected | error-failing-over | error-reversing) ;;
    *) verdict=NO-GO ;;
esac
instances=$(list protected-instances protected_instances)
pairs=$(list replications replications)
list disaster-recovery-drills disaster_recovery_drills >/dev/null
[ -n "$pairs" ] || verdict=NO-GO
[ -z "$(jq -r 'select(.status != "available" and .status != "protected") | .id' <<<"$pairs")" ] || verdict=NO-GO
[ -z "$(jq -r 'select(.status != "protected") | .id' <<<"$instances")" ] || verdict=NO-GO

images=""
for sid in $(jq -r '.source_server, .target_server' <<<"$instances"); do
    server=$(get "/v1/$pid/cloudservers/$sid")
    case $(jq -r '.server.status' <<<"$server") in
        ACTIVE | SHUTOFF) ;;
        *) verdict=NO-GO ;;
    esac
    images+="$(jq -r '.server.image.id // empty' <<<"$server")"$'\n'
done
for img in $(sort -u <<<"$images"); do
    get "/v2/cloudimages?id=$img" >/dev/null
done
echo "$verdict ($(wc -l <"$count") requests)"
