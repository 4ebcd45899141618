#!/usr/bin/env bash
# Load run for the qpsmtpd checks (docs/smtp-checks.md): SMTP acceptance rate of the bundled
# server with its qpsmtpd checks enabled, against the same server with an empty handler chain
# (James's core handlers only), both started from the assembled distribution and loaded in the
# same run, alternately, by the same client. Both process each mail with root -> Null, so what
# is compared is the SMTP conversation and the checks, not routing or delivery.
#
#   mvn -B -o -pl james-conf -am package -DskipTests     # assembles james-conf/target/james-policy-router
#   apt-get install postfix dnsmasq-base                  # smtp-source; a local DNS server for the DNS checks
#   scripts/qpsmtpd-load.sh                               # MESSAGES=3000 SESSIONS=10 SIZE=5120 ROUNDS=3
#
# The checked server runs conf/qpsmtpd/plugins with: hosts_allow, count_unrecognized_commands,
# relay, dns_whitelist_soft, dnsbl (2 zones), rhsbl (1 zone), helo, resolvable_fromhost,
# badmailfrom, badmailfromto, badrcptto, greylisting (reject 0: records every triplet, defers
# none), rcpt_ok; DNS is answered by dnsmasq on loopback (zones NXDOMAIN for the client, sender
# domain with MX). The client (127.0.0.1) is not a relay client there, so every check runs.
# earlytalker is left out: it holds every greeting for its wait (1 s) by design.
# smtp-source sends one message per connection, SESSIONS connections in parallel.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIST=$ROOT/james-conf/target/james-policy-router
MESSAGES=${MESSAGES:-3000}
SESSIONS=${SESSIONS:-10}
SIZE=${SIZE:-5120}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-3000}
CHECKED_PORT=${CHECKED_PORT:-25261}
PLAIN_PORT=${PLAIN_PORT:-25262}
DNS_PORT=${DNS_PORT:-25263}

SMTP_SOURCE=$(command -v smtp-source || echo /usr/sbin/smtp-source)
DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
[ -x "$SMTP_SOURCE" ] || { echo "smtp-source not found: apt-get install postfix" >&2; exit 2; }
[ -x "$DNSMASQ" ] || { echo "dnsmasq not found: apt-get install dnsmasq-base" >&2; exit 2; }
[ -d "$DIST/conf" ] || { echo "no assembled distribution in $DIST: run mvn package first" >&2; exit 2; }

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] && echo "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

cat > "$WORK/dnsmasq.conf" <<CONF
port=$DNS_PORT
listen-address=127.0.0.1
bind-interfaces
no-resolv
no-hosts
no-daemon
# answers live 5 minutes, as a caching resolver would keep them
local-ttl=300
local=/test/
local=/example/
local=/in-addr.arpa/
mx-host=client.example,mx.client.example,10
host-record=mx.client.example,192.0.2.10
ptr-record=1.0.0.127.in-addr.arpa,bench.client.example
host-record=bench.client.example,127.0.0.1
CONF
"$DNSMASQ" --conf-file="$WORK/dnsmasq.conf" --pid-file= --log-facility="$WORK/dnsmasq.log" &
PIDS+=($!)

server() { # name port
  local dir=$WORK/$1
  mkdir -p "$dir"
  cp -r "$DIST/conf" "$DIST/bin" "$DIST/extensions-jars" "$dir/"
  ln -s "$DIST/james-server-memory-app.jar" "$DIST/james-server-memory-app.lib" "$dir/"
  sed -i "s|<bind>127.0.0.1:2525</bind>|<bind>127.0.0.1:$2</bind>|" "$dir/conf/smtpserver.xml"
  sed -i "s|^port=8000$|port=0|" "$dir/conf/webadmin.properties"
  sed -i "0,/<processor state=\"root\"[^>]*>/s//&\n            <mailet match=\"All\" class=\"Null\"\/>/" "$dir/conf/mailetcontainer.xml"
}

server checked "$CHECKED_PORT"
q=$WORK/checked/conf/qpsmtpd
# 127.0.0.1 must be an outside client for the checks to run
sed -i "s|<authorizedAddresses>127.0.0.0/8</authorizedAddresses>|<authorizedAddresses>127.0.0.2/32</authorizedAddresses>|" "$WORK/checked/conf/smtpserver.xml"
sed -i "s|<dnsTimeout>5</dnsTimeout>|<dnsTimeout>5</dnsTimeout><dnsServers>127.0.0.1:$DNS_PORT</dnsServers>|" "$WORK/checked/conf/smtpserver.xml"
# PLUGINS="relay rcpt_ok" (space-separated names, no arguments) runs a subset, to see what costs what
if [ -n "${PLUGINS:-}" ]; then
  printf '%s\n' $PLUGINS > "$q/plugins"
else
  printf '%s\n' "hosts_allow maxConnIp 50" "count_unrecognized_commands 4" relay dns_whitelist_soft dnsbl rhsbl \
    "helo policy lenient" "resolvable_fromhost" badmailfrom badmailfromto badrcptto \
    "greylisting reject 0 db_dir $WORK/checked/var/greylisting" rcpt_ok > "$q/plugins"
fi
printf '%s\n' bl.test "bl2.test:Listed, see %IP%" > "$q/dnsbl_zones"
echo rhs.test > "$q/rhsbl_zones"
echo wl.test > "$q/whitelist_zones"
echo bench.example > "$q/rcpthosts"
printf '%s\n' spammer@bad.example @bulk.example '^return.*@.*\.pidplate\.biz$ reason' > "$q/badmailfrom"
printf '%s\n' closed@bench.example '^trap[0-9]+@' > "$q/badrcptto"
printf 'stalker@evil.example\tvictim@bench.example\n' > "$q/badmailfromto"
printf '%s\n' "192.0.2.0/24 DENY go away" > "$q/hosts_allow"

server plain "$PLAIN_PORT"
# an empty chain: James's core handlers only
sed -i '/<handlerchain/,/<\/handlerchain>/{/<handler class="org\.apache\.james\.smtpserver\.CoreCmdHandlerLoader"\/>/!{/<handlerchain\|<\/handlerchain>/!d}}' "$WORK/plain/conf/smtpserver.xml"

for port in "$CHECKED_PORT" "$PLAIN_PORT"; do
  if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then
    echo "port $port is already in use: another server would answer instead of ours" >&2; exit 2
  fi
done
for name in checked plain; do
  # exec: the PID we keep is the JVM's own (bin/james-policy-router execs java), so cleanup stops it
  (cd "$WORK/$name" && JAVA_OPTS="-Xmx512m" exec bin/james-policy-router > "$WORK/$name.out" 2>&1) &
  PIDS+=($!)
done
for port in "$CHECKED_PORT" "$PLAIN_PORT"; do
  for _ in $(seq 1 120); do
    (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
    sleep 1
  done
done

run() { # port count -> messages per second
  local start end
  start=$(date +%s.%N)
  "$SMTP_SOURCE" -s "$SESSIONS" -m "$2" -l "$SIZE" -f sender@client.example -t user@bench.example \
    -M bench.client.example 127.0.0.1:"$1" >/dev/null
  end=$(date +%s.%N)
  echo "$2 / ($end - $start)" | bc -l
}

echo "checking that both servers accept the test mail"
for port in "$CHECKED_PORT" "$PLAIN_PORT"; do
  "$SMTP_SOURCE" -m 1 -f sender@client.example -t user@bench.example -M bench.client.example 127.0.0.1:"$port"
done
echo "warm-up: $WARMUP messages each"
run "$CHECKED_PORT" "$WARMUP" >/dev/null
run "$PLAIN_PORT" "$WARMUP" >/dev/null

echo "$MESSAGES mails of $SIZE bytes, $SESSIONS sessions, $ROUNDS alternating rounds (messages/s)"
best_checked=0; best_plain=0
for round in $(seq 1 "$ROUNDS"); do
  c=$(run "$CHECKED_PORT" "$MESSAGES"); p=$(run "$PLAIN_PORT" "$MESSAGES")
  printf 'round %d: checked %.0f  plain %.0f  ratio %.2f\n' "$round" "$c" "$p" "$(echo "$c / $p" | bc -l)"
  best_checked=$(echo "if ($c > $best_checked) $c else $best_checked" | bc -l)
  best_plain=$(echo "if ($p > $best_plain) $p else $best_plain" | bc -l)
done
printf 'best: checked %.0f  plain %.0f  ratio %.2f\n' "$best_checked" "$best_plain" "$(echo "$best_checked / $best_plain" | bc -l)"
