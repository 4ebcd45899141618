#!/bin/sh
# ratelimit: an spp [mail] plugin allowing each client address RATELIMIT messages
# (default 100) per RATEWINDOW seconds (default 3600), counted in files under RATEDIR.
# Other sessions of the same client may run at the same time: the counter is locked.
dir=${RATEDIR:?RATEDIR is not set}
limit=${RATELIMIT:-100}
window=${RATEWINDOW:-3600}
ip=${TCPREMOTEIP:?TCPREMOTEIP is not set}
now=$(date +%s)
slot=$((now / window))
state="$dir/$ip"

mkdir -p "$dir" || exit 1
exec 9>>"$state.lock"
flock 9
count=0
if [ -f "$state" ]; then
    read -r saved_slot saved_count < "$state"
    [ "$saved_slot" = "$slot" ] && count=$saved_count
fi
if [ "$count" -ge "$limit" ]; then
    echo "ratelimit: $ip over $limit messages" >&2
    echo "E451 4.7.1 too many messages from $ip, slow down"
    exit 0
fi
echo "$slot $((count + 1))" > "$state.new" && mv "$state.new" "$state"
echo "HX-Rate-Count: $((count + 1))/$limit"
