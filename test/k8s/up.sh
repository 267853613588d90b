#!/usr/bin/env bash
# up.sh [STATE_DIR] - start a loopback-only control plane (etcd + kube-apiserver) for tests.
#   stdout: the state dir (last line); $DIR/kubeconfig is an admin kubeconfig (system:masters).
#   Binaries: from build.sh's cache folder (bin-dir.sh), or K8S_HARNESS_BIN.
#   HARNESS_OWNER_PID=<pid>: a watchdog runs down.sh when that process exits.
#   HARNESS_START_TIMEOUT: seconds to wait for /readyz (default 120).
# Stop with: down.sh "$DIR" (kills exactly the PIDs recorded here).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
BIN=$K8S_BIN
for b in etcd kube-apiserver; do
  [[ -x $BIN/$b ]] || { echo "[k8s-harness] missing $BIN/$b: run test/k8s/build.sh first" >&2; exit 1; }
done
DIR=${1:-$(mktemp -d "${TMPDIR:-/tmp}/fjord-k8s.XXXXXX")}
PKI=$DIR/pki; KC=$DIR/kubeconfig
mkdir -p "$PKI" "$DIR/logs" "$DIR/data"
log() { echo "[k8s-harness] $*" >&2; }

freeport() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
STORE_PORT=$(freeport); PEER_PORT=$(freeport); API_PORT=$(freeport)

start() { # start NAME CMD ARGS...  -> $DIR/NAME.pid, output in $DIR/logs/NAME.log
  local name=$1; shift
  "$@" >"$DIR/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$DIR/$name.pid"
  echo "$1" >"$DIR/$name.exe"          # down.sh checks the PID still runs this binary
}
wait_for() { # wait_for NAME SECONDS CMD ARGS...
  local name=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$(cat "$DIR/$name.pid")" 2>/dev/null; then
      log "$name exited early; last log lines:"; tail -n 40 "$DIR/logs/$name.log" >&2; return 1
    fi
    if (( SECONDS >= deadline )); then
      log "$name not ready after ${secs}s; last log lines:"; tail -n 40 "$DIR/logs/$name.log" >&2; return 1
    fi
    sleep 0.2
  done
}
fail() { log "start failed, tearing down"; "$HERE/down.sh" "$DIR" >&2 || true; exit 1; }
trap fail ERR

# --- PKI: one CA signs the serving cert and the admin client cert (EC P-256: fast) ---
(
  cd "$PKI"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 -subj "/CN=fjord-k8s-harness-ca" \
    -keyout ca.key -out ca.crt 2>/dev/null
  printf '%s\n' \
    "subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc" \
    "extendedKeyUsage=serverAuth" "keyUsage=critical,digitalSignature,keyEncipherment" > serving.ext
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=kube-apiserver" \
    -keyout apiserver.key -out apiserver.csr 2>/dev/null
  openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 7 \
    -extfile serving.ext -out apiserver.crt 2>/dev/null
  # O=system:masters => cluster-admin through the RBAC bootstrap policy
  printf '%s\n' "extendedKeyUsage=clientAuth" "keyUsage=critical,digitalSignature,keyEncipherment" > client.ext
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/O=system:masters/CN=harness-admin" \
    -keyout admin.key -out admin.csr 2>/dev/null
  openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 7 \
    -extfile client.ext -out admin.crt 2>/dev/null
  openssl genrsa -out sa.key 2048 2>/dev/null        # ServiceAccount token signing pair
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
)

b64() { base64 -w0 <"$1"; }
cat >"$KC" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: fjord-harness
  cluster:
    server: https://127.0.0.1:${API_PORT}
    certificate-authority-data: $(b64 "$PKI/ca.crt")
users:
- name: harness-admin
  user:
    client-certificate-data: $(b64 "$PKI/admin.crt")
    client-key-data: $(b64 "$PKI/admin.key")
contexts:
- name: fjord-harness
  context: {cluster: fjord-harness, user: harness-admin, namespace: default}
current-context: fjord-harness
YAML
chmod 600 "$KC"
CURL=(curl -fsS --max-time 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key")
API=https://127.0.0.1:$API_PORT

start etcd "$BIN/etcd" --name=harness --data-dir="$DIR/data/etcd" \
  --listen-client-urls="http://127.0.0.1:$STORE_PORT" \
  --advertise-client-urls="http://127.0.0.1:$STORE_PORT" \
  --listen-peer-urls="http://127.0.0.1:$PEER_PORT" \
  --initial-advertise-peer-urls="http://127.0.0.1:$PEER_PORT" \
  --initial-cluster="harness=http://127.0.0.1:$PEER_PORT" \
  --log-level=warn --unsafe-no-fsync=true
wait_for etcd 30 curl -fsS --max-time 2 "http://127.0.0.1:$STORE_PORT/health"

start apiserver "$BIN/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$STORE_PORT" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" \
  --cert-dir="$PKI" \
  --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
  --client-ca-file="$PKI/ca.crt" \
  --service-account-issuer=https://kubernetes.default.svc \
  --service-account-key-file="$PKI/sa.pub" \
  --service-account-signing-key-file="$PKI/sa.key" \
  --service-cluster-ip-range=10.0.0.0/24 \
  --authorization-mode=RBAC \
  --allow-privileged=true \
  --endpoint-reconciler-type=none \
  --disable-admission-plugins=ServiceAccount \
  --v=1
wait_for apiserver "${HARNESS_START_TIMEOUT:-120}" "${CURL[@]}" "$API/readyz"
log "kube-apiserver ready on $API (state $DIR)"

if [[ -n "${HARNESS_OWNER_PID:-}" ]]; then
  nohup bash -c 'while kill -0 "$0" 2>/dev/null && [ -d "$1" ]; do sleep 1; done; [ -d "$1" ] && exec "$2" "$1"' \
    "$HARNESS_OWNER_PID" "$DIR" "$HERE/down.sh" >/dev/null 2>&1 </dev/null &
  echo $! >"$DIR/watchdog.pid"
fi
trap - ERR
echo "$DIR"
