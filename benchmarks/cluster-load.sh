#!/usr/bin/env bash
# Shared-store load run (issue 17): the bundled james-policy-router with greylisting and the limit
# check on, their state in the embedded store (store file), in PostgreSQL and in Redis; three
# copies of the server, same plugins lines but the store options, loaded in the same run by the
# same client, smtp-source -> server -> smtp-sink on loopback (the full chain: SMTP checks,
# durable spool, RoutePolicy, RelayDelivery). Prints, per round, the delivered msg/s of each
# (all MESSAGES counted by its sink, from smtp-source's start) and the ratios postgresql/embedded
# and redis/embedded, the machine's 1-minute load; then what the shared stores hold (greylist,
# counter and slot rows in PostgreSQL; policyrouter:* keys in Redis), the medians of the rates and
# ratios (the issue's target: at least 0.8), the median CPU seconds per 1,000 messages of each
# server JVM and of its database (PostgreSQL: postmaster and backends; Redis: its process), and the
# requests per message each shared store served, as the store counts them (PostgreSQL: the
# statements on the policyrouter tables in pg_stat_statements, loaded for the run; Redis: its
# total_commands_processed).
#
#   mvn -B -o package -DskipTests                # james-conf/target/james-policy-router (two-servers.sh
#                                                # also wants the stock James it unpacks for integration-tests)
#   apt-get install postfix postgresql redis-server   # smtp-source, smtp-sink; the database servers
#   benchmarks/cluster-load.sh                   # as root (PostgreSQL and Redis then run as postgres/nobody)
#   MESSAGES=500 ROUNDS=1 WARMUP=1000 benchmarks/cluster-load.sh     # a quick try
#   STORES=file benchmarks/cluster-load.sh       # the embedded store alone (no database started)
#
# Variables: MESSAGES (2000) 5 KB messages (SIZE, 5120 bytes) per measured run over SESSIONS (10)
# parallel smtp-source sessions, one message per connection; ROUNDS (5) rounds, the order of the
# stores alternating (forward, then reversed: the machine's load drifts); WARMUP (10000) messages
# per server before the rounds, then chunks of WARMUP_CHUNK (5000) until its JIT compiler threads
# use under JIT_QUIET (10) % of a core during a chunk, at most JIT_CHUNKS (12) chunks; STORES ("file postgresql redis", the first is the baseline);
# BLACK_TIMEOUT (2 s, greylisting's black_timeout); PG_OPTS (extra "-c name=value" for postgres,
# empty: its defaults, synchronous commits included); ports from BASE_PORT (25281): servers +0..2,
# sinks +3..5, PostgreSQL +6, Redis +7; DRAIN_TIMEOUT (600 s) for a sink to count every message;
# START_TRIES (3) starts of a server before giving up (each failed start is printed with its
# reason: a store the server could not reach at start stops it).
#
# What runs: plugins "limit concurrency 100 rate_conn 1000000/1h rate_msg_host 1000000/1h
# rate_rcpt_host 1000000/1h rate_msg_sender 1000000/1h rate_rcpt_sender 1000000/1h
# limit_relay_clients 1 <store>", "greylisting black_timeout 2 sender 1 recipient 1 <store>" and
# rcpt_ok (rcpthosts: routed.example, routed by conf/policy/transport to the server's own sink).
# authorizedAddresses is 192.0.2.1/32 in the copies, so smtp-source on 127.0.0.1 is an outside
# client and greylisting runs (it skips relay clients). Before the load, the one triplet
# smtp-source uses (127.0.0.1, -f sender@client.example, -t user@routed.example) is whitelisted on
# each server: a first attempt must be deferred (450), one after BLACK_TIMEOUT accepted, and
# var/log/james.log must show "greylisting: deferring" and "passed ..., now white". Any deferral
# or refusal during the load, a store outage line in a log, or a sink that does not count every
# message fails the run (exit 1): mail passed unchecked or was not delivered.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MESSAGES=${MESSAGES:-2000}
SESSIONS=${SESSIONS:-10}
SIZE=${SIZE:-5120}
ROUNDS=${ROUNDS:-5}
WARMUP=${WARMUP:-10000}
WARMUP_CHUNK=${WARMUP_CHUNK:-5000}
STORES=${STORES:-file postgresql redis}
BLACK_TIMEOUT=${BLACK_TIMEOUT:-2}
PG_OPTS=${PG_OPTS:-}
BASE_PORT=${BASE_PORT:-25281}
DRAIN_TIMEOUT=${DRAIN_TIMEOUT:-600}
START_TRIES=${START_TRIES:-3}
PG_PORT=$((BASE_PORT + 6))
REDIS_PORT=$((BASE_PORT + 7))
FROM=sender@client.example
TO=user@routed.example

SMTP_SOURCE=$(command -v smtp-source || echo /usr/sbin/smtp-source)
SMTP_SINK=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
[ -x "$SMTP_SOURCE" ] && [ -x "$SMTP_SINK" ] || { echo "smtp-source/smtp-sink not found: apt-get install postfix" >&2; exit 2; }
read -r -a STORE_LIST <<< "$STORES"
for store in "${STORE_LIST[@]}"; do
  case $store in
    file) ;;
    postgresql) PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
      [ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL not found: apt-get install postgresql" >&2; exit 2; } ;;
    redis) command -v redis-server > /dev/null || { echo "redis-server not found: apt-get install redis-server" >&2; exit 2; } ;;
    *) echo "STORES: file, postgresql or redis, not $store" >&2; exit 2 ;;
  esac
done
. "$ROOT/benchmarks/two-servers.sh"

# unprivileged users for the database servers (postgres refuses to run as root): a command prefix,
# setpriv execs, so a background job's pid is the server's own
pg_user=postgres; pg_group=postgres
id postgres > /dev/null 2>&1 || { pg_user=nobody; pg_group=nogroup; }
AS_PG=(); AS_NOBODY=()
if [ "$(id -u)" = 0 ]; then
  AS_PG=(setpriv --reuid="$pg_user" --regid="$pg_group" --clear-groups)
  AS_NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi
DB_PIDS=()
stop_all() {
  # PostgreSQL's fast shutdown is SIGINT (SIGTERM waits for every client); then the servers and sinks
  for pid in "${DB_PIDS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for pid in "${DB_PIDS[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  cleanup
}
trap stop_all EXIT
wait_port() { # label, port, log
  for _ in $(seq 1 120); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then echo "$1 up on port $2"; return; fi
    sleep 0.5
  done
  echo "$1 did not start:" >&2; tail -30 "$3" >&2; exit 1
}
for port in $(seq "$BASE_PORT" $((BASE_PORT + 7))); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "port $port is already in use" >&2; exit 2; fi
done

SECRET=bench$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
declare -A STORE_OPTIONS=([file]="store file") DB_PID=()
if [[ " ${STORE_LIST[*]} " == *" postgresql "* ]]; then
  pg=$WORK/postgresql
  mkdir -p "$pg"
  echo "$SECRET" > "$pg/pwfile"
  [ "$(id -u)" != 0 ] || chown -R "$pg_user:$pg_group" "$pg"
  "${AS_PG[@]}" "$PG_BIN/initdb" -D "$pg/data" -U router --pwfile="$pg/pwfile" \
    --auth=scram-sha-256 -E UTF8 --no-sync > "$pg/initdb.log" 2>&1 || { cat "$pg/initdb.log" >&2; exit 1; }
  # shellcheck disable=SC2086
  "${AS_PG[@]}" "$PG_BIN/postgres" -D "$pg/data" -p "$PG_PORT" -c listen_addresses=127.0.0.1 \
    -c unix_socket_directories="$pg" -c max_connections=100 -c shared_preload_libraries=pg_stat_statements \
    $PG_OPTS > "$pg/postgres.log" 2>&1 &
  DB_PIDS+=($!); DB_PID[postgresql]=$!
  wait_port "PostgreSQL $("$PG_BIN/postgres" --version | grep -o "[0-9][0-9.]*" | head -1)" "$PG_PORT" "$pg/postgres.log"
  # the password the server will use, over TCP as it will
  PGPASSWORD=$SECRET "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U router -d postgres -Atqc 'select 1' > /dev/null \
    || { echo "PostgreSQL refuses the password" >&2; exit 1; }
  PGPASSWORD=$SECRET "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U router -d postgres -Atqc 'create extension pg_stat_statements' > /dev/null
  STORE_OPTIONS[postgresql]="store postgresql jdbc_url jdbc:postgresql://127.0.0.1:$PG_PORT/postgres jdbc_user router jdbc_password $SECRET"
fi
if [[ " ${STORE_LIST[*]} " == *" redis "* ]]; then
  rd=$WORK/redis
  mkdir -p "$rd"
  [ "$(id -u)" != 0 ] || chown nobody:nogroup "$rd"
  "${AS_NOBODY[@]}" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
    --requirepass "$SECRET" --dir "$rd" --logfile "" > "$rd/redis.log" 2>&1 &
  DB_PIDS+=($!); DB_PID[redis]=$!
  wait_port "Redis $(redis-server --version | grep -o 'v=[0-9.]*' | cut -d= -f2)" "$REDIS_PORT" "$rd/redis.log"
  [ "$(REDISCLI_AUTH=$SECRET redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping)" = PONG ] || { echo "Redis refuses the password" >&2; exit 1; }
  STORE_OPTIONS[redis]="store redis redis_url redis://:$SECRET@127.0.0.1:$REDIS_PORT/0"
fi

# one sink per server: smtp-sink -c keeps "sess=N quit=N mesg=N" counters on its output
declare -A PORT SINK PID HOME_OF
i=0
for store in "${STORE_LIST[@]}"; do
  PORT[$store]=$((BASE_PORT + i)); SINK[$store]=$((BASE_PORT + 3 + i)); i=$((i + 1))
  "$SMTP_SINK" -u nobody -c "127.0.0.1:${SINK[$store]}" 1000 > "$WORK/sink-$store.out" 2>&1 &
  PIDS+=($!)
done
counter() { # store, field (sess|mesg) -> value
  tail -c 200 "$WORK/sink-$1.out" | tr '\r' '\n' | grep -o "$2=[0-9]*" | tail -1 | cut -d= -f2 || echo 0
}

for store in "${STORE_LIST[@]}"; do
  dir=$WORK/server-$store
  HOME_OF[$store]=$dir
  bundled_copy "$dir" "${PORT[$store]}"
  # the client (127.0.0.1) may not relay: greylisting skips relay clients
  sed -i "s|<authorizedAddresses>127.0.0.0/8</authorizedAddresses>|<authorizedAddresses>192.0.2.1/32</authorizedAddresses>|" "$dir/conf/smtpserver.xml"
  grep -q '<authorizedAddresses>192.0.2.1/32</authorizedAddresses>' "$dir/conf/smtpserver.xml" || { echo "authorizedAddresses not replaced" >&2; exit 1; }
  echo "routed.example 127.0.0.1:${SINK[$store]}" > "$dir/conf/policy/transport"
  echo routed.example > "$dir/conf/qpsmtpd/rcpthosts"
  options=${STORE_OPTIONS[$store]}
  printf '%s\n' \
    "limit concurrency 100 rate_conn 1000000/1h rate_msg_host 1000000/1h rate_rcpt_host 1000000/1h rate_msg_sender 1000000/1h rate_rcpt_sender 1000000/1h limit_relay_clients 1 $options" \
    "greylisting black_timeout $BLACK_TIMEOUT sender 1 recipient 1 $options" \
    rcpt_ok > "$dir/conf/qpsmtpd/plugins"
  # as two-servers.sh's start, but a server that dies at start ends the wait; START_TRIES (3) starts,
  # each failed one reported
  for try in $(seq 1 "$START_TRIES"); do
    (cd "$dir" && exec bin/james-policy-router > "$dir/console.log" 2>&1) &
    PID[$store]=$!
    PIDS+=("${PID[$store]}")
    for _ in $(seq 1 240); do
      (exec 3<>"/dev/tcp/127.0.0.1/${PORT[$store]}") 2>/dev/null && break
      kill -0 "${PID[$store]}" 2>/dev/null || break
      sleep 0.5
    done
    (exec 3<>"/dev/tcp/127.0.0.1/${PORT[$store]}") 2>/dev/null && break
    echo "james-policy-router with store $store did not start (try $try of $START_TRIES):" >&2; tail -3 "$dir/console.log" >&2
    kill "${PID[$store]}" 2>/dev/null || true; wait "${PID[$store]}" 2>/dev/null || true
    [ "$try" -lt "$START_TRIES" ] || exit 1
  done
  echo "james-policy-router, store $store, up on port ${PORT[$store]}"
done

# One SMTP transaction by hand, to see the RCPT reply: "port" -> the RCPT reply's code; the message
# (1 line) is sent when the recipient is accepted and its 250 is required
smtp_once() {
  local port=$1 line code
  exec 4<>"/dev/tcp/127.0.0.1/$port"
  reply() { # -> last line of a (multi-line) reply in $line
    while IFS= read -r -t 30 line <&4; do line=${line%$'\r'}; [[ $line =~ ^[0-9]{3}- ]] || return 0; done
    echo "no reply from port $port" >&2; return 1
  }
  reply; [[ $line == 220* ]] || { echo "greeting: $line" >&2; return 1; }
  printf 'EHLO bench.client.example\r\n' >&4; reply
  printf 'MAIL FROM:<%s>\r\n' "$FROM" >&4; reply; [[ $line == 250* ]] || { echo "MAIL: $line" >&2; return 1; }
  printf 'RCPT TO:<%s>\r\n' "$TO" >&4; reply; code=${line:0:3}; echo "  RCPT: $line" >&2
  if [ "$code" = 250 ]; then
    printf 'DATA\r\n' >&4; reply; [[ $line == 354* ]] || { echo "DATA: $line" >&2; return 1; }
    printf 'Subject: greylisting pre-whitelist\r\n\r\nbench\r\n.\r\n' >&4; reply
    [[ $line == 250* ]] || { echo "end of DATA: $line" >&2; return 1; }
  fi
  printf 'QUIT\r\n' >&4; reply || true
  exec 4>&-
  echo "$code"
}
log_count() { # store, pattern -> matching lines in its james.log
  grep -c -- "$2" "${HOME_OF[$1]}/var/log/james.log" 2>/dev/null || true
}
wait_log() { # store, pattern: the line must appear (the log is written asynchronously)
  for _ in $(seq 1 50); do [ "$(log_count "$1" "$2")" -gt 0 ] && return 0; sleep 0.1; done
  echo "store $1: no \"$2\" line in ${HOME_OF[$1]}/var/log/james.log" >&2; exit 1
}

echo "pre-whitelisting the triplet 127.0.0.1 / $FROM / $TO (black_timeout $BLACK_TIMEOUT s)"
for store in "${STORE_LIST[@]}"; do
  echo " store $store: first attempt"
  code=$(smtp_once "${PORT[$store]}")
  [ "$code" = 450 ] || { echo "store $store: the first attempt got $code, not greylisting's 450" >&2; exit 1; }
  wait_log "$store" "greylisting: deferring 127.0.0.1/$FROM/$TO"
done
sleep $((BLACK_TIMEOUT + 1))
for store in "${STORE_LIST[@]}"; do
  echo " store $store: after black_timeout"
  before=$(counter "$store" mesg)
  code=$(smtp_once "${PORT[$store]}")
  [ "$code" = 250 ] || { echo "store $store: the retry got $code, not 250" >&2; exit 1; }
  wait_log "$store" "greylisting: 127.0.0.1/$FROM/$TO passed after .* now white"
  for _ in $(seq 1 100); do [ "$(counter "$store" mesg)" -gt "$before" ] && break; sleep 0.1; done
  [ "$(counter "$store" mesg)" -gt "$before" ] || { echo "store $store: the whitelisted message did not reach the sink" >&2; exit 1; }
done

# the log lines that must not appear during the load: a deferral, a limit refusal, a store outage
BAD='greylisting: deferring\|greylisting: store .* failed\|limit: \|state store .* unavailable'
# run: store, messages -> delivered msg/s; fails on refusals, deferrals or a sink that falls short
# CPU ticks of a process (its own and its reaped children's, so PostgreSQL's ended backends count)
# and of its live children (PostgreSQL's backends)
tree_ticks() {
  [ -n "${1:-}" ] || { echo 0; return; }
  local total child
  total=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat")
  for child in $(pgrep -P "$1" || true); do
    total=$((total + $(awk '{ print $14 + $15 }' "/proc/$child/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
# the requests a store has served: statements PostgreSQL ran (pg_stat_statements), commands Redis
# processed; counted by the store itself, so the servers' own accounting is not trusted
store_requests() { # store -> count (0 for the embedded store)
  case $1 in
    postgresql) PGPASSWORD=$SECRET "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U router -d postgres -Atqc \
      "select coalesce(sum(calls), 0) from pg_stat_statements where query like '%policyrouter%' and query not like '%pg_stat_statements%'" ;;
    redis) REDISCLI_AUTH=$SECRET redis-cli -h 127.0.0.1 -p "$REDIS_PORT" info stats | tr -d '\r' | grep '^total_commands_processed:' | cut -d: -f2 ;;
    *) echo 0 ;;
  esac
}
run() {
  local store=$1 messages=$2 before_mesg start end now waited=0 bad_before server_ticks db_ticks requests
  before_mesg=$(counter "$store" mesg); bad_before=$(log_count "$store" "$BAD")
  server_ticks=$(tree_ticks "${PID[$store]}"); db_ticks=$(tree_ticks "${DB_PID[$store]:-}"); requests=$(store_requests "$store")
  start=$(date +%s.%N)
  "$SMTP_SOURCE" -l "$SIZE" -m "$messages" -s "$SESSIONS" -f "$FROM" -t "$TO" -M bench.client.example \
    "127.0.0.1:${PORT[$store]}" > "$WORK/source-$store.out" 2>&1 || { echo "store $store: smtp-source failed:" >&2; tail -5 "$WORK/source-$store.out" >&2; return 1; }
  while :; do
    now=$(counter "$store" mesg)
    if [ $((now - before_mesg)) -ge "$messages" ]; then end=$(date +%s.%N); break; fi
    sleep 0.05; waited=$((waited + 1))
    if [ "$waited" -ge $((DRAIN_TIMEOUT * 20)) ]; then
      echo "store $store: the sink counted $((now - before_mesg)) of $messages after ${DRAIN_TIMEOUT}s" >&2
      tail -5 "$WORK/source-$store.out" >&2; return 1
    fi
  done
  if [ -s "$WORK/source-$store.out" ]; then
    echo "store $store: smtp-source reported:" >&2; sort "$WORK/source-$store.out" | uniq -c | sort -rn | head -5 >&2; return 1
  fi
  sleep 0.2
  if [ "$(log_count "$store" "$BAD")" != "$bad_before" ]; then
    echo "store $store: deferrals, refusals or store outages during the load:" >&2
    grep -- "$BAD" "${HOME_OF[$store]}/var/log/james.log" | tail -5 >&2; return 1
  fi
  if [ "$(counter "$store" mesg)" -ne $((before_mesg + messages)) ]; then
    echo "store $store: the sink counted $(( $(counter "$store" mesg) - before_mesg )) messages for $messages sent" >&2; return 1
  fi
  # CPU seconds per 1,000 messages, server and database (a file: run's output is the rate alone)
  printf '%s %s\n' "$(echo "($(tree_ticks "${PID[$store]}") - $server_ticks) / $(getconf CLK_TCK) * 1000 / $messages" | bc -l)" \
    "$(echo "($(tree_ticks "${DB_PID[$store]:-}") - $db_ticks) / $(getconf CLK_TCK) * 1000 / $messages" | bc -l)" >> "$WORK/cpu-$store"
  echo "($(store_requests "$store") - $requests) / $messages" | bc -l >> "$WORK/requests-$store"
  echo "$messages / ($end - $start)" | bc -l | xargs printf '%.0f'
}

label() { if [ "$1" = file ]; then echo embedded; else echo "$1"; fi; }
warm_up() { # store: WARMUP messages, then chunks until its JIT is quiet (two-servers.sh)
  run "$1" "$WARMUP" > /dev/null
  warm_until_quiet "$(label "$1")" "${PID[$1]}" run "$1" "$WARMUP_CHUNK"
  rm -f "$WORK/cpu-$1" "$WORK/requests-$1"
}

echo "warm-up: $WARMUP messages each, then chunks of $WARMUP_CHUNK until the JIT uses under $JIT_QUIET % of a core"
for store in "${STORE_LIST[@]}"; do warm_up "$store"; done

base=${STORE_LIST[0]}
echo "$MESSAGES messages of $SIZE bytes, 1 recipient, $SESSIONS parallel sessions, $ROUNDS rounds; load average $(cut -d' ' -f1-3 /proc/loadavg)"
header=$(printf '%-5s' round)
for store in "${STORE_LIST[@]}"; do header+=$(printf ' | %-16s' "$(label "$store") msg/s"); done
for store in "${STORE_LIST[@]:1}"; do header+=$(printf ' | %-19s' "$(label "$store")/$(label "$base")"); done
echo "$header | load"
declare -A RATES RATIOS
for round in $(seq 1 "$ROUNDS"); do
  order=("${STORE_LIST[@]}")
  if [ $((round % 2)) -eq 0 ]; then
    order=(); for ((k = ${#STORE_LIST[@]} - 1; k >= 0; k--)); do order+=("${STORE_LIST[$k]}"); done
  fi
  declare -A rate=()
  for store in "${order[@]}"; do rate[$store]=$(run "$store" "$MESSAGES"); done
  line=$(printf '%-5s' "$round")
  for store in "${STORE_LIST[@]}"; do line+=$(printf ' | %-16s' "${rate[$store]}"); RATES[$store]+="${rate[$store]} "; done
  for store in "${STORE_LIST[@]:1}"; do
    ratio=$(echo "${rate[$store]} / ${rate[$base]}" | bc -l | xargs printf '%.2f')
    line+=$(printf ' | %-19s' "$ratio"); RATIOS[$store]+="$ratio "
  done
  echo "$line | $(cut -d' ' -f1 /proc/loadavg)"
done

# the shared stores really held the state (tables and keys of store_prefix policyrouter)
if [ -n "${STORE_OPTIONS[postgresql]:-}" ]; then
  rows=$(PGPASSWORD=$SECRET "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U router -d postgres -Atc \
    "select (select count(*) from policyrouter_greylist) || ' greylist rows, ' || (select count(*) from policyrouter_counters) || ' counter rows, ' || (select count(*) from policyrouter_slots where expires > extract(epoch from now()) * 1000) || ' open slots'")
  echo "PostgreSQL after the load: $rows"
  [[ $rows =~ ^[1-9][0-9]*\ greylist\ rows,\ [1-9] ]] || { echo "PostgreSQL does not hold the triplet and the counters" >&2; exit 1; }
fi
if [ -n "${STORE_OPTIONS[redis]:-}" ]; then
  keys=$(REDISCLI_AUTH=$SECRET redis-cli -h 127.0.0.1 -p "$REDIS_PORT" --scan --pattern 'policyrouter:*' | wc -l)
  echo "Redis after the load: $keys policyrouter:* keys"
  [ "$keys" -gt 1 ] || { echo "Redis does not hold the triplet and the counters" >&2; exit 1; }
fi
median() { printf '%s\n' "$@" | sort -g | awk '{ r[NR] = $1 } END { print (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2 }'; }
line=$(printf '%-6s' median)
for store in "${STORE_LIST[@]}"; do
  # shellcheck disable=SC2086
  line+=$(printf ' %s %.0f msg/s,' "$(label "$store")" "$(median ${RATES[$store]})")
done
for store in "${STORE_LIST[@]:1}"; do
  # shellcheck disable=SC2086
  line+=$(printf ' %s/%s %.2f,' "$(label "$store")" "$(label "$base")" "$(median ${RATIOS[$store]})")
done
echo "${line%,}"
line="median CPU seconds per 1,000 messages:"
for store in "${STORE_LIST[@]}"; do
  # shellcheck disable=SC2046
  line+=$(printf ' %s server %.2f' "$(label "$store")" "$(median $(cut -d' ' -f1 "$WORK/cpu-$store"))")
  [ -z "${DB_PID[$store]:-}" ] || line+=$(printf ' + database %.2f' "$(median $(cut -d' ' -f2 "$WORK/cpu-$store"))")
  line+=,
done
echo "${line%,}"
line="median store requests per message (counted by the store):"
for store in "${STORE_LIST[@]:1}"; do
  # shellcheck disable=SC2046
  line+=$(printf ' %s %.3f,' "$(label "$store")" "$(median $(cat "$WORK/requests-$store"))")
done
[ "${#STORE_LIST[@]}" -lt 2 ] || echo "${line%,}"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
