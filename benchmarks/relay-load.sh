#!/usr/bin/env bash
# Relay throughput, same run, same client and sinks: the bundled james-policy-router (durable file
# spool, RoutePolicy + RelayDelivery) against plain James 3.8.1 (memory queue, RemoteDelivery with
# a gateway) and, when installed and run as root, Postfix (a private instance relaying to its own
# sink; NO_POSTFIX=1 leaves it out), smtp-source -> server -> smtp-sink on loopback. Prints delivered msg/s, the SMTP
# connections and transactions each sink saw, and the server CPU per 1,000 delivered messages.
#
#   mvn -B -o package -DskipTests                              # james-conf/target/james-policy-router
#   mvn -B -o -pl integration-tests generate-test-resources    # the stock 3.8.1 distribution
#   apt-get install postfix                                    # smtp-source, smtp-sink
#   benchmarks/relay-load.sh                  # MESSAGES=2000 SESSIONS=10 SIZE=5120 ROUNDS=5 WARMUP=20000
#
# Each JVM is warmed with WARMUP messages, then chunks of WARMUP_CHUNK (5000) until its JIT
# compilers use under JIT_QUIET (10) % of a core during a chunk (at most JIT_CHUNKS, 12): what a
# server that has run for a while does, not its first minutes.
# Two loads: 1 recipient, and RECIPIENTS (10) recipients that ten different transport rules send to
# the same next hop (one transaction at the sink per message is the target). Rounds alternate who
# goes first (the machine's load drifts); read the ratios within a round, and their median.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MESSAGES=${MESSAGES:-2000}
SESSIONS=${SESSIONS:-10}
SIZE=${SIZE:-5120}
ROUNDS=${ROUNDS:-5}
WARMUP=${WARMUP:-20000}
WARMUP_CHUNK=${WARMUP_CHUNK:-5000}
RECIPIENTS=${RECIPIENTS:-10}
BUNDLED_PORT=${BUNDLED_PORT:-25261}
STOCK_PORT=${STOCK_PORT:-25262}
BUNDLED_SINK=${BUNDLED_SINK:-25263}
STOCK_SINK=${STOCK_SINK:-25264}
POSTFIX_PORT=${POSTFIX_PORT:-25265}
POSTFIX_SINK=${POSTFIX_SINK:-25266}
DRAIN_TIMEOUT=${DRAIN_TIMEOUT:-600}

SMTP_SOURCE=$(command -v smtp-source || echo /usr/sbin/smtp-source)
SMTP_SINK=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
[ -x "$SMTP_SOURCE" ] && [ -x "$SMTP_SINK" ] || { echo "smtp-source/smtp-sink not found: apt-get install postfix" >&2; exit 2; }
. "$ROOT/benchmarks/two-servers.sh"

# the sinks: smtp-sink -c keeps "sess=N quit=N mesg=N" counters on its output
for port in "$BUNDLED_SINK" "$STOCK_SINK" "$POSTFIX_SINK"; do
  "$SMTP_SINK" -u nobody -c "127.0.0.1:$port" 1000 > "$WORK/sink-$port.out" 2>&1 &
  PIDS+=($!)
done
counter() { # sink port, field (sess|mesg) -> value
  tail -c 200 "$WORK/sink-$1.out" | tr '\r' '\n' | grep -o "$2=[0-9]*" | tail -1 | cut -d= -f2 || echo 0
}

bundled=$WORK/bundled
bundled_copy "$bundled" "$BUNDLED_PORT"
{
  echo "routed.example 127.0.0.1:$BUNDLED_SINK"
  # smtp-source -r N sends to user@, 2user@, 3user@ …: one rule each, all to the same next hop
  echo "user@many.example 127.0.0.1:$BUNDLED_SINK"
  for i in $(seq 2 "$RECIPIENTS"); do echo "/^${i}user@many\\.example\$/ 127.0.0.1:$BUNDLED_SINK"; done
} > "$bundled/conf/policy/transport"

stock=$WORK/stock
stock_copy "$stock" "$STOCK_PORT"
# RemoteDelivery to a gateway: every mail to the stock sink
sed -i "s|<outgoingQueue>outgoing</outgoingQueue>|&\n                <gateway>127.0.0.1</gateway>\n                <gatewayPort>$STOCK_SINK</gatewayPort>|" "$stock/conf/mailetcontainer.xml"

start_bundled "$bundled" "$BUNDLED_PORT"
bundled_PID=$STARTED_PID
start_stock "$stock" "$STOCK_PORT"
stock_PID=$STARTED_PID

# Postfix 3.x as a durable relay to its own sink, when it is installed and we are root: a private
# instance (its own config, queue and data folders), started in the foreground, logging to a file
postfix_PID=
if command -v postfix > /dev/null && [ "$(id -u)" = 0 ] && [ -z "${NO_POSTFIX:-}" ]; then
  pf=$WORK/postfix
  start_postfix "$pf" "$POSTFIX_PORT" "$POSTFIX_SINK"
  postfix_PID=$STARTED_PID
fi

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# run: server port, sink port, pid, messages, recipients -> "msg/s connections transactions cpu-s-per-1000"
run() {
  local port=$1 sink=$2 pid=$3 messages=$4 recipients=$5 to=user@routed.example
  [ "$recipients" -gt 1 ] && to=user@many.example
  local before_mesg before_sess ticks start end waited=0
  before_mesg=$(counter "$sink" mesg); before_sess=$(counter "$sink" sess); ticks=$(cpu_ticks "$pid")
  start=$(date +%s.%N)
  "$SMTP_SOURCE" -c -l "$SIZE" -m "$messages" -s "$SESSIONS" -r "$recipients" -f sender@client.example -t "$to" "127.0.0.1:$port" > /dev/null
  # delivered: the sink has seen every message (one transaction each when grouped; more otherwise)
  local now
  while :; do
    now=$(counter "$sink" mesg)
    if [ $((now - before_mesg)) -ge "$messages" ]; then
      end=$(date +%s.%N)
      # settled: nothing more arrives within a second (ungrouped recipients make more transactions)
      sleep 1
      [ "$(counter "$sink" mesg)" = "$now" ] && break
    fi
    sleep 0.1; waited=$((waited + 1))
    [ "$waited" -lt $((DRAIN_TIMEOUT * 10)) ] || { echo "timeout waiting for the sink on $sink" >&2; end=$(date +%s.%N); break; }
  done
  local transactions=$(( $(counter "$sink" mesg) - before_mesg )) connections=$(( $(counter "$sink" sess) - before_sess ))
  local cpu=-
  [ "$pid" = "$postfix_PID" ] || cpu=$(echo "($(cpu_ticks "$pid") - $ticks) / $(getconf CLK_TCK) * 1000 / $messages" | bc -l | xargs printf '%.2f')
  printf '%s %s %s %s\n' "$(echo "$messages / ($end - $start)" | bc -l | xargs printf '%.0f')" "$connections" "$transactions" "$cpu"
}

# each JVM: WARMUP single-recipient messages, then chunks of both loads (WARMUP_CHUNK messages of one
# recipient, a tenth of that of RECIPIENTS) until its JIT compilers are quiet (two-servers.sh)
warm_chunk() { # port, sink, pid
  run "$1" "$2" "$3" "$WARMUP_CHUNK" 1 && run "$1" "$2" "$3" "$((WARMUP_CHUNK / 10))" "$RECIPIENTS"
}
echo "warm-up: $WARMUP messages each, then chunks of $WARMUP_CHUNK until the JIT uses under $JIT_QUIET % of a core"
run "$BUNDLED_PORT" "$BUNDLED_SINK" "$bundled_PID" "$WARMUP" 1 > /dev/null
warm_until_quiet policy-router "$bundled_PID" warm_chunk "$BUNDLED_PORT" "$BUNDLED_SINK" "$bundled_PID"
run "$STOCK_PORT" "$STOCK_SINK" "$stock_PID" "$WARMUP" 1 > /dev/null
warm_until_quiet "plain James" "$stock_PID" warm_chunk "$STOCK_PORT" "$STOCK_SINK" "$stock_PID"
postfix_run() { # messages, recipients: Postfix's figures, or nothing without Postfix
  [ -z "$postfix_PID" ] || run "$POSTFIX_PORT" "$POSTFIX_SINK" "$postfix_PID" "$1" "$2"
}
postfix_run "$((WARMUP / 10))" 1 > /dev/null
for recipients in 1 "$RECIPIENTS"; do
  echo "$MESSAGES messages of $SIZE bytes, $recipients recipient(s) each, $SESSIONS parallel sessions"
  printf '%-5s | %-38s | %-38s | %-30s | %s\n' round "plain James: msg/s conn trans cpu/1000" "policy-router: msg/s conn trans cpu/1000" \
    "Postfix: msg/s conn trans" "ratio to James, to Postfix"
  ratios=()
  postfix_ratios=()
  for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) -eq 1 ]; then
      plain=$(run "$STOCK_PORT" "$STOCK_SINK" "$stock_PID" "$MESSAGES" "$recipients")
      ours=$(run "$BUNDLED_PORT" "$BUNDLED_SINK" "$bundled_PID" "$MESSAGES" "$recipients")
      postfix=$(postfix_run "$MESSAGES" "$recipients")
    else
      postfix=$(postfix_run "$MESSAGES" "$recipients")
      ours=$(run "$BUNDLED_PORT" "$BUNDLED_SINK" "$bundled_PID" "$MESSAGES" "$recipients")
      plain=$(run "$STOCK_PORT" "$STOCK_SINK" "$stock_PID" "$MESSAGES" "$recipients")
    fi
    ratio=$(echo "${ours%% *} / ${plain%% *}" | bc -l)
    ratios+=("$ratio")
    to_postfix=-
    if [ -n "$postfix" ]; then
      to_postfix=$(echo "${ours%% *} / ${postfix%% *}" | bc -l | xargs printf '%.2f')
      postfix_ratios+=("$to_postfix")
    fi
    printf '%-5s | %-38s | %-38s | %-30s | %.2f, %s\n' "$round" "$plain" "$ours" "${postfix:-not installed}" "$ratio" "$to_postfix"
  done
  median() { printf '%s\n' "$@" | sort -g | awk '{ r[NR] = $1 } END { print (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2 }'; }
  printf 'median delivered-rate ratio, %s recipient(s): policy-router / plain James %.2f' "$recipients" "$(median "${ratios[@]}")"
  [ ${#postfix_ratios[@]} -eq 0 ] || printf ', policy-router / Postfix %.2f' "$(median "${postfix_ratios[@]}")"
  echo
done
echo "Postfix's CPU is spread over its processes and is not counted; Haraka is not measured"
