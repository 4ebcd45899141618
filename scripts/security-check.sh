#!/bin/sh
# Checks a running bundled james-policy-router for issue 20's local-security points, one line per check
# (PASS, FAIL or SKIP, then what was seen); exit 0 only when no check failed, 1 otherwise, 2 on wrong usage.
#   scripts/security-check.sh [--home DIR] [--webadmin URL] [--smtp HOST:PORT] [--pipe-probe RCPT FILE]
#   --home DIR      the server's folder (conf/ and var/); default: james-conf/target/james-policy-router
#                   of this repository
#   --webadmin URL  its WebAdmin; default: host and port of DIR/conf/webadmin.properties
#   --smtp H:P      its SMTP server, for the pipe probe; default: the first <bind> of DIR/conf/smtpserver.xml
#   --pipe-probe RCPT FILE   sends one mail (swaks) to RCPT, an address routed to a pipe that writes its
#                   uid (`id -u`) to FILE, e.g. conf/policy/transport: probe.example |/bin/sh -c "id -u > FILE";
#                   the check fails unless FILE then shows a uid other than 0 (no program ran as root)
# Checks: the listening TCP sockets (listed; WebAdmin must be on loopback: its tokens travel in clear
# HTTP), WebAdmin answers 401 without a token and with a forged one on several routes, nothing under
# var/ is open to group or others (mail, spool, logs, keys), and the pipe probe. Run it as root (or the
# server's user) so that find sees all of var/ and ss shows the processes.
set -u
HOME_DIR=$(cd "$(dirname "$0")/.." && pwd)/james-conf/target/james-policy-router
WEBADMIN=
SMTP=
PROBE_RCPT=
PROBE_FILE=
usage() {
  sed -n '4,11p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case "$1" in
    --home) [ $# -ge 2 ] || usage; HOME_DIR=$2; shift 2 ;;
    --webadmin) [ $# -ge 2 ] || usage; WEBADMIN=${2%/}; shift 2 ;;
    --smtp) [ $# -ge 2 ] || usage; SMTP=$2; shift 2 ;;
    --pipe-probe) [ $# -ge 3 ] || usage; PROBE_RCPT=$2; PROBE_FILE=$3; shift 3 ;;
    -h|--help) usage ;;
    *) echo "security-check: unknown argument '$1'" >&2; usage ;;
  esac
done
[ -d "$HOME_DIR/conf" ] || { echo "security-check: no conf/ in $HOME_DIR (--home DIR)" >&2; exit 2; }

FAILED=0
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; FAILED=1; }
skip() { echo "SKIP $*"; }

# a key of a .properties file (last one wins, as Java reads it); empty when absent
property() {
  sed -n "s/^[[:space:]]*$2[[:space:]]*[=:][[:space:]]*//p" "$1" | tail -n 1 | tr -d '\r'
}
if [ -z "$WEBADMIN" ]; then
  host=$(property "$HOME_DIR/conf/webadmin.properties" host)
  port=$(property "$HOME_DIR/conf/webadmin.properties" port)
  case "${host:-localhost}" in
    *:*) WEBADMIN="http://[${host}]:${port:-8000}" ;;
    *) WEBADMIN="http://${host:-localhost}:${port:-8000}" ;;
  esac
fi
if [ -z "$SMTP" ]; then
  SMTP=$(sed -n 's|.*<bind>\([^<,]*\).*|\1|p' "$HOME_DIR/conf/smtpserver.xml" | head -n 1 | tr -d ' ')
  SMTP=$(echo "$SMTP" | sed 's/^0\.0\.0\.0:/127.0.0.1:/')
fi

# 1. listening sockets: listed for the operator; WebAdmin's own must be a loopback address
sockets=$(ss -Hltnp 2>/dev/null)
echo "$sockets" | sed '/^$/d; s/^/  /'
count=$(echo "$sockets" | sed '/^$/d' | wc -l)
webadmin_port=$(echo "$WEBADMIN" | sed -n 's|^https\{0,1\}://.*:\([0-9]*\)$|\1|p')
webadmin_sockets=$(echo "$sockets" | awk -v p=":$webadmin_port" '{ n = length($4) - length(p); if (n > 0 && substr($4, n + 1) == p) print $4 }')
if [ -z "$webadmin_sockets" ]; then
  fail "sockets: $count listening; none on WebAdmin's port ${webadmin_port:-?} ($WEBADMIN): is the server running?"
elif echo "$webadmin_sockets" | grep -qv '^\(127\.[0-9.]*\|\[::1\]\|\[::ffff:127\.[0-9.]*\]\):'; then
  fail "sockets: $count listening; WebAdmin on $(echo $webadmin_sockets): not loopback only (tokens and mail travel in clear HTTP)"
else
  pass "sockets: $count listening (listed above); WebAdmin on $(echo $webadmin_sockets) only"
fi

# 2. WebAdmin without a (valid) token: routes of James and ours, read-only requests only (a server
# that wrongly answered must not lose mail to this check)
FORGED="Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4IiwiYWRtaW4iOnRydWV9."
for route in /domains /users /mailQueues /mailQueues/spool/mails /mailRepositories /tasks /spool/queues/spool/messages /metrics; do
  status=$(curl -s -o /dev/null -m 10 -w '%{http_code}' "$WEBADMIN$route")
  forged=$(curl -s -o /dev/null -m 10 -w '%{http_code}' -H "Authorization: $FORGED" "$WEBADMIN$route")
  if [ "$status" = 401 ] && [ "$forged" = 401 ]; then
    pass "webadmin $route: 401 without a token and with an unsigned one"
  else
    fail "webadmin $route: $status without a token, $forged with an unsigned one (want 401)"
  fi
done

# 3. nothing under var/ readable, writable or searchable by group or others (symbolic links aside:
# their own mode means nothing)
if [ -d "$HOME_DIR/var" ]; then
  open=$(cd "$HOME_DIR" && find var ! -type l -perm /077 -printf '%m %u:%g %p\n' 2>&1)
  total=$(cd "$HOME_DIR" && find var ! -type l | wc -l)
  if [ -n "$open" ]; then
    echo "$open" | sed 's/^/  /'
    fail "var/: $(echo "$open" | wc -l) of $total files and directories open to group or others (listed above)"
  else
    pass "var/: $total files and directories, none open to group or others"
  fi
else
  fail "var/: no $HOME_DIR/var"
fi

# 4. the pipe probe: a sample delivery through an external program, which must not run as root
if [ -z "$PROBE_RCPT" ]; then
  skip "pipe probe: no --pipe-probe RCPT FILE"
else
  rm -f "$PROBE_FILE"
  if ! swaks --server "$SMTP" --from '<>' --to "$PROBE_RCPT" --header "Subject: security-check pipe probe" \
      --body "security-check: which uid runs the pipe?" > /dev/null 2>&1; then
    fail "pipe probe: swaks could not hand a mail for $PROBE_RCPT to $SMTP"
  else
    waited=0
    while [ ! -s "$PROBE_FILE" ] && [ $waited -lt 60 ]; do
      sleep 1
      waited=$((waited + 1))
    done
    uid=$(head -n 1 "$PROBE_FILE" 2>/dev/null | tr -d ' \r')
    case "$uid" in
      '') fail "pipe probe: $PROBE_FILE not written within 60s (is $PROBE_RCPT routed to a pipe writing it?)" ;;
      0) fail "pipe probe: the pipe for $PROBE_RCPT ran as root (uid 0)" ;;
      *[!0-9]*) fail "pipe probe: $PROBE_FILE holds '$uid', not a uid" ;;
      *) pass "pipe probe: the pipe for $PROBE_RCPT ran as uid $uid ($(getent passwd "$uid" | cut -d: -f1)), not root" ;;
    esac
  fi
fi

exit $FAILED
