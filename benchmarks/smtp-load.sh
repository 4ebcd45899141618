#!/usr/bin/env bash
# SMTP acceptance rate, same run, same client: the bundled james-policy-router (durable file spool:
# every 250 is fsynced) against the plain James 3.8.1 memory app (memory queue). Both servers
# process each mail with root -> Null, so what is compared is SMTP + queue, not routing.
#
#   mvn -B -o package -DskipTests                      # assembles james-conf/target/james-policy-router
#   mvn -B -o -pl integration-tests generate-test-resources   # unpacks the stock 3.8.1 distribution
#   apt-get install postfix                             # for smtp-source
#   benchmarks/smtp-load.sh                             # MESSAGES=5000 SESSIONS=10 SIZE=5120 ROUNDS=15 WARMUP=60000
#
# Both JITs need tens of thousands of messages to settle, and a shared virtual machine drifts by
# 2x within minutes: keep the warm-up, and read the median of many short alternating rounds.
#
# smtp-source sends one message per connection (no -d), SESSIONS connections in parallel.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MESSAGES=${MESSAGES:-5000}
SESSIONS=${SESSIONS:-10}
SIZE=${SIZE:-5120}
ROUNDS=${ROUNDS:-15}
WARMUP=${WARMUP:-60000}
BUNDLED_PORT=${BUNDLED_PORT:-25251}
STOCK_PORT=${STOCK_PORT:-25252}

SMTP_SOURCE=$(command -v smtp-source || echo /usr/sbin/smtp-source)
[ -x "$SMTP_SOURCE" ] || { echo "smtp-source not found: apt-get install postfix" >&2; exit 2; }
. "$ROOT/benchmarks/two-servers.sh"

root_to_null() { # first mailet of the root processor: Null
  sed -i "0,/<processor state=\"root\"[^>]*>/s//&\n            <mailet match=\"All\" class=\"Null\"\/>/" "$1"
}

bundled=$WORK/bundled
bundled_copy "$bundled" "$BUNDLED_PORT"
root_to_null "$bundled/conf/mailetcontainer.xml"
# SPOOL_FSYNC=false measures what the fsyncs cost (never in production)
echo "spool.fsync=${SPOOL_FSYNC:-true}" > "$bundled/conf/spool.properties"

stock=$WORK/stock
stock_copy "$stock" "$STOCK_PORT"
root_to_null "$stock/conf/mailetcontainer.xml"
# IO_WORKERS=n sets <ioWorkerCount> of both servers' SMTP (James's default: 2 x CPUs). SMTP hooks, and
# so the wait for the spool's group commit, run on these threads
if [ -n "${IO_WORKERS:-}" ]; then
  for xml in "$bundled/conf/smtpserver.xml" "$stock/conf/smtpserver.xml"; do
    sed -i "0,/<bind>[^<]*<\/bind>/s//&\n        <ioWorkerCount>$IO_WORKERS<\/ioWorkerCount>/" "$xml"
  done
fi

start_bundled "$bundled" "$BUNDLED_PORT"
start_stock "$stock" "$STOCK_PORT"

rate() { # port, messages -> messages per second
  local start end
  start=$(date +%s.%N)
  "$SMTP_SOURCE" -c -l "$SIZE" -m "$2" -s "$SESSIONS" -f sender@client.example -t user@routed.example "127.0.0.1:$1" > /dev/null
  end=$(date +%s.%N)
  echo "$2 / ($end - $start)" | bc -l | xargs printf '%.0f'
}

echo "warm-up: $WARMUP messages each"
rate "$BUNDLED_PORT" "$WARMUP" > /dev/null
rate "$STOCK_PORT" "$WARMUP" > /dev/null
echo "$MESSAGES messages of $SIZE bytes, $SESSIONS parallel sessions, one message per connection"
printf '%-6s %14s %14s %8s\n' round "plain msg/s" "spool msg/s" ratio
ratios=()
plain_seconds=0
spool_seconds=0
for round in $(seq 1 "$ROUNDS"); do
  # alternate who goes first: the machine's load drifts
  if [ $((round % 2)) -eq 1 ]; then
    plain=$(rate "$STOCK_PORT" "$MESSAGES"); spool=$(rate "$BUNDLED_PORT" "$MESSAGES")
  else
    spool=$(rate "$BUNDLED_PORT" "$MESSAGES"); plain=$(rate "$STOCK_PORT" "$MESSAGES")
  fi
  ratio=$(echo "$spool / $plain" | bc -l)
  ratios+=("$ratio")
  plain_seconds=$(echo "$plain_seconds + $MESSAGES / $plain" | bc -l)
  spool_seconds=$(echo "$spool_seconds + $MESSAGES / $spool" | bc -l)
  printf '%-6s %14s %14s %8.2f\n' "$round" "$plain" "$spool" "$ratio"
done
printf 'median ratio (spool / plain): %.2f\n' "$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{ r[NR] = $1 } END { print (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2 }')"
# the rates over all rounds: every round's messages over the time all rounds took
printf 'all rounds (spool / plain): %.2f\n' "$(echo "$plain_seconds / $spool_seconds" | bc -l)"
