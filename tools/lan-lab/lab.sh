#!/usr/bin/env bash
# sockbench LAN lab: the user's LAN, on one machine. Two network namespaces joined by a veth pair with a
# token-bucket rate limit, the server in one (bound to 10.77.0.1, not loopback), the load generator in the
# other, then TCP (closed loop) vs UDP (open loop above the link's capacity), then the stream section:
# one-way TCP and UDP (at 1.5x the link's rate) in both directions, with iperf3 over the same link beside
# them. Everything it creates is removed on every exit path.
set -euo pipefail

usage() {
  cat <<USAGE
Usage: npm run lab -- [options]        (as root)

Runs sockbench-loadgen against sockbench-server across an emulated LAN link and prints TCP vs UDP.

Options:
  --rate-limit RATE    link rate, tc syntax (default 100mbit), applied on both directions
  --duration SECONDS   measured time per transport (default 10)
  --warmup SECONDS     warm-up per transport, not recorded (default 1)
  --size BYTES         ECHO payload bytes (default 1024)
  --connections N      TCP connections / UDP sockets (default 8)
  --pipeline K         TCP requests in flight per connection (default 16)
  --udp-rate REQ/S     UDP open-loop rate (default: 1.5x what the link can carry at --size)
  --stream-duration S  seconds per stream test, sockbench and iperf3 each (default 5; 0 skips the section)
  --stream-size BYTES  stream message bytes (sockbench --size, iperf3 -l for UDP; default 1400)
  --only-stream        skip the request/response section
  --out PREFIX         report path prefix (default reports/lab -> reports/lab.json, reports/lab.html,
                       reports/lab-stream-*.json)
  -h, --help           this text

What it creates (and removes on exit, including Ctrl-C and errors):
  network namespaces  sbl-srv-PID and sbl-gen-PID
  a veth pair         sblsPID (server side, 10.77.0.1/24) <-> sblgPID (generator side, 10.77.0.2/24)
  tc qdisc tbf        on both veth ends, at --rate-limit
  one server process  sockbench-server --host 10.77.0.1 --port 7000 --workers 1, inside sbl-srv-PID
  one iperf3 server   iperf3 -s -B 10.77.0.1 -p 5201 (stream section, when iperf3 is installed)
Traffic stays inside those namespaces. Needs root and iproute2 (ip, tc).
USAGE
}

RATE_LIMIT=100mbit DURATION=10 WARMUP=1 SIZE=1024 CONNS=8 PIPELINE=16 UDP_RATE= OUT=reports/lab
STREAM_DURATION=5 STREAM_SIZE=1400 ONLY_STREAM=
while [ $# -gt 0 ]; do
  case "$1" in
    --rate-limit) RATE_LIMIT=${2:?--rate-limit needs a value}; shift 2 ;;
    --duration) DURATION=${2:?--duration needs a value}; shift 2 ;;
    --warmup) WARMUP=${2:?--warmup needs a value}; shift 2 ;;
    --size) SIZE=${2:?--size needs a value}; shift 2 ;;
    --connections) CONNS=${2:?--connections needs a value}; shift 2 ;;
    --pipeline) PIPELINE=${2:?--pipeline needs a value}; shift 2 ;;
    --udp-rate) UDP_RATE=${2:?--udp-rate needs a value}; shift 2 ;;
    --stream-duration) STREAM_DURATION=${2:?--stream-duration needs a value}; shift 2 ;;
    --stream-size) STREAM_SIZE=${2:?--stream-size needs a value}; shift 2 ;;
    --only-stream) ONLY_STREAM=1; shift ;;
    --out) OUT=${2:?--out needs a value}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "lab: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
for v in DURATION WARMUP SIZE CONNS PIPELINE STREAM_DURATION STREAM_SIZE; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "lab: --$(echo $v | tr A-Z_ a-z-) must be a whole number, got ${!v}" >&2; exit 2; }
done
[[ $RATE_LIMIT =~ ^[0-9]+(kbit|mbit|gbit)$ ]] || { echo "lab: --rate-limit must look like 100mbit, got $RATE_LIMIT" >&2; exit 2; }

[ "$(id -u)" = 0 ] || { echo "lab: needs root (network namespaces); run as root" >&2; exit 77; }
command -v ip >/dev/null && command -v tc >/dev/null || { echo "lab: needs iproute2 (ip, tc): apt-get install iproute2" >&2; exit 77; }

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SERVER_CLI="$ROOT/packages/server/dist/cli.js"
LOADGEN_CLI="$ROOT/packages/loadgen/dist/cli.js"
[ -f "$SERVER_CLI" ] && [ -f "$LOADGEN_CLI" ] || (cd "$ROOT" && NX_DAEMON=false npx nx run-many -t build --output-style=static >&2)

SRV_NS=sbl-srv-$$ GEN_NS=sbl-gen-$$ SRV_IF=sbls$$ GEN_IF=sblg$$
SRV_IP=10.77.0.1 GEN_IP=10.77.0.2 PORT=7000
SERVER_PID= TMP=$(mktemp -d)

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  ip netns pids "$SRV_NS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
  ip netns pids "$GEN_NS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
  ip link del "$SRV_IF" 2>/dev/null || true
  ip netns del "$SRV_NS" 2>/dev/null || true
  ip netns del "$GEN_NS" 2>/dev/null || true
  rm -rf "$TMP"
  echo "lab: removed $SRV_NS, $GEN_NS and their veth link" >&2
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "lab: creating $SRV_NS ($SRV_IP) <-veth $RATE_LIMIT-> $GEN_NS ($GEN_IP)" >&2
ip netns add "$SRV_NS"
ip netns add "$GEN_NS"
ip link add "$SRV_IF" type veth peer name "$GEN_IF"
ip link set "$SRV_IF" netns "$SRV_NS"
ip link set "$GEN_IF" netns "$GEN_NS"
ip -n "$SRV_NS" addr add "$SRV_IP/24" dev "$SRV_IF"
ip -n "$GEN_NS" addr add "$GEN_IP/24" dev "$GEN_IF"
for ns_if in "$SRV_NS:$SRV_IF" "$GEN_NS:$GEN_IF"; do
  ns=${ns_if%%:*} ifc=${ns_if##*:}
  ip -n "$ns" link set lo up
  ip -n "$ns" link set "$ifc" up
  # tbf: burst of 32 KiB and 50 ms of queue, like a small switch port buffer.
  tc -n "$ns" qdisc add dev "$ifc" root tbf rate "$RATE_LIMIT" burst 32kb latency 50ms
done

ip netns exec "$SRV_NS" node "$SERVER_CLI" --host "$SRV_IP" --port "$PORT" --workers 1 >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
  grep -q '"listening"' "$TMP/server.log" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "lab: server exited:" >&2; cat "$TMP/server.log" >&2; exit 1; }
  sleep 0.1
done
grep -q '"listening"' "$TMP/server.log" || { echo "lab: server did not start within 10 s" >&2; cat "$TMP/server.log" >&2; exit 1; }

# Link capacity in datagrams/s: rate / (payload + 12 B frame header + 28 B UDP/IPv4 + 14 B Ethernet) / 8.
bits_per_s=$(echo "$RATE_LIMIT" | awk '{ n=$0+0; if ($0 ~ /gbit/) n*=1e9; else if ($0 ~ /mbit/) n*=1e6; else n*=1e3; print n }')
capacity=$(awk -v b="$bits_per_s" -v s="$SIZE" 'BEGIN { printf "%d", b / ((s + 12 + 28 + 14) * 8) }')
[ -n "$UDP_RATE" ] || UDP_RATE=$(( capacity * 3 / 2 ))
echo "lab: link carries about $capacity datagrams/s of $SIZE B; UDP offered at $UDP_RATE req/s" >&2


# A run that lost datagrams or saw errors exits 1 but still writes its report: that is the point of
# the UDP run, so only a missing report (or a usage/unreachable exit) stops the lab.
loadgen_run() {
  local name=$1; shift
  local rc=0
  ip netns exec "$GEN_NS" node "$LOADGEN_CLI" --host "$SRV_IP" --port "$PORT" --op echo --size "$SIZE" \
    --connections "$CONNS" --duration "${DURATION}s" --warmup "${WARMUP}s" --json "$TMP/$name.json" --quiet "$@" \
    2>"$TMP/$name.log" || rc=$?
  if [ ! -s "$TMP/$name.json" ] || [ "$rc" -ge 2 ]; then
    cat "$TMP/$name.log" >&2
    echo "lab: the $name run failed (exit $rc)" >&2
    exit 1
  fi
}

mkdir -p "$(dirname "$OUT")"
if [ -z "$ONLY_STREAM" ]; then
  echo "lab: TCP, closed loop, $CONNS connections x $PIPELINE in flight, ${DURATION}s" >&2
  loadgen_run tcp --transport tcp --pipeline "$PIPELINE"
  echo "lab: UDP, open loop at $UDP_RATE req/s (over the link's capacity), timer pacing, ${DURATION}s" >&2
  # Timer pacing: server and generator share this machine's cores, and a spinning pacer would take one
  # from the server; its ~1 ms of slip is small beside this link's queueing (loadgen README, Pacing).
  loadgen_run udp --transport udp --rate "$UDP_RATE" --pacing timer

  echo >&2
  echo "lab: $SRV_IP over a $RATE_LIMIT link (tc tbf), server in $SRV_NS, load generator in $GEN_NS" >&2
  node "$LOADGEN_CLI" report "$TMP/tcp.json" "$TMP/udp.json" --json "$OUT.json" --html "$OUT.html"
fi

[ "$STREAM_DURATION" -gt 0 ] || exit 0

# The stream section: one-way, iperf3's test. UDP is offered at 1.5x the link's rate (over whole
# messages), TCP sends as fast as the link takes; each in both directions; the receiver's figures.
STREAM_BITRATE=$(awk -v b="$bits_per_s" 'BEGIN { printf "%d", b * 1.5 }')
echo >&2
echo "lab: stream section: ${STREAM_SIZE} B messages, ${STREAM_DURATION}s each; UDP offered at $STREAM_BITRATE bit/s (1.5x the link), TCP unpaced" >&2
stream_run() {
  local name=$1; shift
  local rc=0
  ip netns exec "$GEN_NS" node "$LOADGEN_CLI" stream --host "$SRV_IP" --port "$PORT" --size "$STREAM_SIZE" \
    --duration "${STREAM_DURATION}s" --quiet --json "$TMP/sb-$name.json" "$@" 2>"$TMP/sb-$name.log" || rc=$?
  if [ ! -s "$TMP/sb-$name.json" ] || [ "$rc" -ge 2 ] || [ "$rc" = 1 ]; then
    cat "$TMP/sb-$name.log" >&2
    echo "lab: the sockbench $name stream failed (exit $rc)" >&2
    exit 1
  fi
  cp "$TMP/sb-$name.json" "$OUT-stream-$name.json"
}
for dir in up down; do
  rev=(); [ "$dir" = down ] && rev=(--reverse)
  stream_run "tcp-$dir" --transport tcp "${rev[@]}"
  stream_run "udp-$dir" --transport udp --bitrate "$STREAM_BITRATE" "${rev[@]}"
done
for t in tcp-up tcp-down udp-up udp-down; do
  echo "lab: sockbench $t: $(grep -E '^receiver goodput|^lost' "$TMP/sb-$t.log" | tr -s ' ' | paste -sd ';' -)" >&2
done

if command -v iperf3 >/dev/null; then
  # In a subshell, so it is no job of this shell (cleanup kills what runs in the namespaces).
  (ip netns exec "$SRV_NS" iperf3 -s -B "$SRV_IP" -p 5201 >"$TMP/iperf3-server.log" 2>&1 &)
  for _ in $(seq 50); do ip netns exec "$GEN_NS" bash -c "echo > /dev/tcp/$SRV_IP/5201" 2>/dev/null && break; sleep 0.1; done
  iperf_run() {
    local name=$1; shift
    ip netns exec "$GEN_NS" iperf3 -c "$SRV_IP" -p 5201 -t "$STREAM_DURATION" -J "$@" >"$TMP/ip-$name.json" 2>"$TMP/ip-$name.log" || {
      cat "$TMP/ip-$name.log" "$TMP/ip-$name.json" >&2; echo "lab: iperf3 $name failed" >&2; exit 1; }
    cp "$TMP/ip-$name.json" "$OUT-stream-iperf3-$name.json"
  }
  echo "lab: iperf3 over the same link: -c (TCP), -u -b $STREAM_BITRATE -l $STREAM_SIZE (UDP), each also -R" >&2
  for dir in up down; do
    rev=(); [ "$dir" = down ] && rev=(-R)
    iperf_run "tcp-$dir" "${rev[@]}"
    iperf_run "udp-$dir" -u -b "$STREAM_BITRATE" -l "$STREAM_SIZE" "${rev[@]}"
  done
  echo >&2
  echo "lab: stream over a $RATE_LIMIT link (tc tbf), receiver side, sockbench beside iperf3 $(iperf3 --version | head -1 | cut -d' ' -f2)" >&2
  node "$ROOT/tools/lan-lab/stream-compare.mjs" "$TMP" "$bits_per_s" >&2
else
  echo "lab: iperf3 is not installed: the stream section ran sockbench only (apt-get install iperf3 for the comparison)" >&2
fi
