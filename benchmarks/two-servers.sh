# Sourced by the load benchmarks: a copy of the bundled james-policy-router and one of plain James
# 3.8.1 in a temporary folder, each on its own loopback port, and the means to start them. Needs
# ROOT set by the caller; kills the servers and removes the folder on exit.
DIST=$ROOT/james-conf/target/james-policy-router
STOCK=$ROOT/integration-tests/target/stock-james/james-server-memory-app
[ -d "$DIST/conf" ] || { echo "no assembled distribution in $DIST: run mvn package first" >&2; exit 2; }
[ -f "$STOCK/james-server-memory-app.jar" ] || { echo "no stock James in $STOCK: run mvn -pl integration-tests generate-test-resources" >&2; exit 2; }

WORK=$(mktemp -d)
chmod 755 "$WORK"   # smtp-sink runs as nobody
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

bundled_copy() { # folder, SMTP port
  mkdir -p "$1"
  cp -r "$DIST/conf" "$DIST/bin" "$DIST/extensions-jars" "$1/"
  ln -s "$DIST/james-server-memory-app.jar" "$DIST/james-server-memory-app.lib" "$1/"
  sed -i "s|<bind>127.0.0.1:2525</bind>|<bind>127.0.0.1:$2</bind>|" "$1/conf/smtpserver.xml"
  sed -i "s|^port=8000$|port=0|" "$1/conf/webadmin.properties"
}

stock_copy() { # folder, SMTP port: only the first SMTP server (465/587 want keystores), nothing else listening
  mkdir -p "$1"
  cp -r "$STOCK/conf" "$STOCK/extensions-jars" "$1/"
  cp "$STOCK/james-server-memory-app.jar" "$1/"   # its manifest Class-Path is resolved next to the real file
  ln -s "$DIST/james-server-memory-app.lib" "$1/"
  sed -i "s|<bind>0.0.0.0:25</bind>|<bind>127.0.0.1:$2</bind>|" "$1/conf/smtpserver.xml"
  awk '/<smtpserver enabled="true">/ { n++; if (n > 1) sub(/enabled="true"/, "enabled=\"false\"") } { print }' \
    "$1/conf/smtpserver.xml" > "$1/conf/smtpserver.xml.new" && mv "$1/conf/smtpserver.xml.new" "$1/conf/smtpserver.xml"
  sed -i 's|<imapserver enabled="true">|<imapserver enabled="false">|' "$1/conf/imapserver.xml"
  sed -i 's|^enabled=true$|enabled=false|' "$1/conf/jmap.properties"
  sed -i 's|^jmx.enabled=true$|jmx.enabled=false|' "$1/conf/jmx.properties"
  sed -i 's|^port=8000$|port=0|' "$1/conf/webadmin.properties"
}

start() { # label, folder, SMTP port, command...: waits for the port; STARTED_PID is the server's pid
  local name=$1 home=$2 port=$3
  shift 3
  (cd "$home" && exec "$@" > "$home/console.log" 2>&1) &
  STARTED_PID=$!
  PIDS+=("$STARTED_PID")
  for _ in $(seq 1 240); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$name up on port $port"; return; fi
    sleep 0.5
  done
  echo "$name did not start:" >&2; tail -50 "$home/console.log" >&2; exit 1
}

start_bundled() { # folder, SMTP port
  start "james-policy-router (file spool)" "$1" "$2" "$1/bin/james-policy-router"
}

start_stock() { # folder, SMTP port
  start "plain James 3.8.1 (memory queue)" "$1" "$2" java -Xmx1g -Dworking.directory="$1" \
    -Dlogback.configurationFile="$DIST/conf/logback.xml" -jar james-server-memory-app.jar
}

start_postfix() { # folder, SMTP port, relay sink port: a private Postfix instance (own config, queue and data
  # folders; needs root), a durable relay to the sink, in the foreground, logging to its console.log;
  # stopped on exit. STARTED_PID is its master's pid.
  local pf=$1
  mkdir -p "$pf/conf" "$pf/queue" "$pf/data"
  chown postfix "$pf/data"
  cat > "$pf/conf/main.cf" <<PF
compatibility_level = 3.6
queue_directory = $pf/queue
data_directory = $pf/data
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:$3
mydestination =
myhostname = relay.test
alias_maps =
alias_database =
smtpd_relay_restrictions = permit_mynetworks, reject
maillog_file = /dev/stdout
PF
  # smtpd on our port; no chroot (the private queue has no chroot set-up)
  awk -v port="127.0.0.1:$2" '$1 == "smtp" && $2 == "inet" { $1 = port } NF >= 8 && $1 !~ /^#/ && $5 == "y" { $5 = "n" } { print }' \
    /etc/postfix/master.cf > "$pf/conf/master.cf"
  start "Postfix $(postconf -c "$pf/conf" -h mail_version) (durable)" "$pf" "$2" postfix -c "$pf/conf" start-fg
  trap 'postfix -c "'"$pf"'/conf" stop > /dev/null 2>&1 || true; cleanup' EXIT
}

# The JIT: on 2 cores one C2 thread compiles a James server's hot code for minutes after its start,
# and while it does it takes up to a third of the server's CPU; a server that runs for days is past
# it. Load runs therefore warm each JVM until its compilers are quiet.
JIT_QUIET=${JIT_QUIET:-10}
JIT_CHUNKS=${JIT_CHUNKS:-12}
jvm_of() { # pid (a launcher or java) -> the JVM's pid (the launcher itself when it execs java)
  local child
  [ "$(cat "/proc/$1/comm" 2>/dev/null)" = java ] && { echo "$1"; return; }
  for child in $(pgrep -P "$1" || true); do jvm_of "$child"; done | head -1
}
jit_ticks() { # JVM pid -> CPU ticks of its compiler threads (C1 and C2)
  local task comm total=0
  for task in /proc/"$1"/task/*; do
    comm=$(cat "$task/comm" 2>/dev/null || true)
    case $comm in
      C1\ Compiler*|C2\ Compiler*) total=$((total + $(awk '{ print $14 + $15 }' "$task/stat" 2>/dev/null || echo 0))) ;;
    esac
  done
  echo "$total"
}
# warm_until_quiet LABEL PID COMMAND...: runs COMMAND (one chunk of load) again until the JVM's
# compilers used under JIT_QUIET % of one core during a chunk, at most JIT_CHUNKS times; prints the share
warm_until_quiet() {
  local label=$1 jvm chunk before start share=100
  jvm=$(jvm_of "$2")
  shift 2
  for chunk in $(seq 1 "$JIT_CHUNKS"); do
    before=$(jit_ticks "$jvm"); start=$(date +%s.%N)
    "$@" > /dev/null
    share=$(echo "($(jit_ticks "$jvm") - $before) / $(getconf CLK_TCK) * 100 / ($(date +%s.%N) - $start)" | bc -l | xargs printf '%.0f')
    [ "$share" -ge "$JIT_QUIET" ] || break
  done
  echo " $label: JIT compilers at $share % of a core during the last warm-up chunk ($chunk chunks)"
}
