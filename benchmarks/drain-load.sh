#!/usr/bin/env bash
# Deferred-queue drain, same run: MESSAGES (10,000) mails deferred while the next hop is down, then
# the next hop comes up and the queue is flushed; the bundled james-policy-router (WebAdmin flush)
# against Postfix 3.x (postqueue -f, a private instance; needs root). Prints how long the flush call
# took to answer and the drain rate: messages delivered per second from the flush until the sink
# has every one.
#
#   mvn -B -o package -DskipTests                              # james-conf/target/james-policy-router
#   mvn -B -o -pl integration-tests generate-test-resources    # (two-servers.sh checks for it)
#   apt-get install postfix                                    # smtp-source, smtp-sink, postfix
#   benchmarks/drain-load.sh                  # MESSAGES=10000 SESSIONS=10 SIZE=5120 ROUNDS=3
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MESSAGES=${MESSAGES:-10000}
SESSIONS=${SESSIONS:-10}
SIZE=${SIZE:-5120}
ROUNDS=${ROUNDS:-3}
BUNDLED_PORT=${BUNDLED_PORT:-25271}
BUNDLED_SINK=${BUNDLED_SINK:-25272}
POSTFIX_PORT=${POSTFIX_PORT:-25273}
POSTFIX_SINK=${POSTFIX_SINK:-25274}
WEBADMIN_PORT=${WEBADMIN_PORT:-28071}
TIMEOUT=${TIMEOUT:-900}

SMTP_SOURCE=$(command -v smtp-source || echo /usr/sbin/smtp-source)
SMTP_SINK=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
[ -x "$SMTP_SOURCE" ] && [ -x "$SMTP_SINK" ] || { echo "smtp-source/smtp-sink not found: apt-get install postfix" >&2; exit 2; }
command -v postfix > /dev/null && [ "$(id -u)" = 0 ] || { echo "the comparison needs Postfix and root" >&2; exit 2; }
. "$ROOT/benchmarks/two-servers.sh"

bundled=$WORK/bundled
bundled_copy "$bundled" "$BUNDLED_PORT"
sed -i "s|^port=0$|port=$WEBADMIN_PORT|" "$bundled/conf/webadmin.properties"
echo "routed.example 127.0.0.1:$BUNDLED_SINK" > "$bundled/conf/policy/transport"
start_bundled "$bundled" "$BUNDLED_PORT"
# WebAdmin wants a token (docs/webadmin.md): one signed with the key the server made at its start
TOKEN=$("$bundled/bin/policy-router" token --ttl 1d)
webadmin() { curl -sf -H "Authorization: Bearer $TOKEN" "$@"; }

pf=$WORK/postfix
start_postfix "$pf" "$POSTFIX_PORT" "$POSTFIX_SINK"

counter() { # sink output file, field -> value
  tail -c 200 "$1" | tr '\r' '\n' | grep -o "$2=[0-9]*" | tail -1 | cut -d= -f2 || echo 0
}
# every mail tried once and waiting: none due or active, all of them in the queue
bundled_deferred() {
  local api="http://127.0.0.1:$WEBADMIN_PORT/spool/queues/spool/messages"
  if [ "$(webadmin "$api?state=active&limit=1")" = "[]" ] && [ "$(webadmin "$api?state=due&limit=1")" = "[]" ]; then
    webadmin "http://127.0.0.1:$WEBADMIN_PORT/mailQueues/spool" | grep -o '"size":[0-9]*' | cut -d: -f2
  else
    echo 0
  fi
}
postfix_deferred() {
  find "$pf/queue/deferred" -type f | wc -l
}
wait_for() { # description, command that prints a number, target
  local waited=0
  until [ "$($2)" -ge "$3" ]; do
    sleep 0.5; waited=$((waited + 1))
    [ "$waited" -lt $((TIMEOUT * 2)) ] || { echo "timeout: $1 ($($2) of $3)" >&2; exit 1; }
  done
}

# drain: label, server port, sink port, deferred-count command, flush command -> "flush-seconds msg/s"
drain() {
  local label=$1 port=$2 sink=$3 count=$4 flush=$5 out=$WORK/sink-$3.out
  "$SMTP_SOURCE" -c -l "$SIZE" -m "$MESSAGES" -s "$SESSIONS" -f sender@client.example -t user@routed.example "127.0.0.1:$port" > /dev/null
  wait_for "$label: deferred" "$count" "$MESSAGES"
  "$SMTP_SINK" -u nobody -c "127.0.0.1:$sink" 1000 > "$out" 2>&1 &
  local sink_pid=$!
  PIDS+=("$sink_pid")
  sleep 1
  local start flushed end
  start=$(date +%s.%N)
  $flush > /dev/null
  flushed=$(date +%s.%N)
  sink_messages() { counter "$out" mesg; }
  wait_for "$label: delivered after the flush" sink_messages "$MESSAGES"
  end=$(date +%s.%N)
  kill "$sink_pid"; wait "$sink_pid" 2>/dev/null || true
  printf '%.2f %.0f\n' "$(echo "$flushed - $start" | bc -l)" "$(echo "$MESSAGES / ($end - $start)" | bc -l)"
}
bundled_flush() { webadmin -X PATCH "http://127.0.0.1:$WEBADMIN_PORT/spool/queues/spool/messages?action=flush"; }
postfix_flush() { postqueue -c "$pf/conf" -f; }

echo "$MESSAGES messages of $SIZE bytes deferred (next hop down), then the next hop up and a flush"
printf '%-5s | %-32s | %-32s | %s\n' round "policy-router: flush-s msg/s" "Postfix: flush-s msg/s" "drain ratio"
ratios=()
for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) -eq 1 ]; then
    ours=$(drain policy-router "$BUNDLED_PORT" "$BUNDLED_SINK" bundled_deferred bundled_flush)
    theirs=$(drain Postfix "$POSTFIX_PORT" "$POSTFIX_SINK" postfix_deferred postfix_flush)
  else
    theirs=$(drain Postfix "$POSTFIX_PORT" "$POSTFIX_SINK" postfix_deferred postfix_flush)
    ours=$(drain policy-router "$BUNDLED_PORT" "$BUNDLED_SINK" bundled_deferred bundled_flush)
  fi
  ratio=$(echo "${ours##* } / ${theirs##* }" | bc -l)
  ratios+=("$ratio")
  printf '%-5s | %-32s | %-32s | %.2f\n' "$round" "$ours" "$theirs" "$ratio"
done
printf '%s\n' "${ratios[@]}" | sort -g | awk '{ r[NR] = $1 } END { printf "median drain ratio policy-router / Postfix: %.2f\n", (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2 }'
