#!/usr/bin/env bash
# `make cluster`: three local Fjord nodes with combined roles (broker + controller) and a static
# Raft quorum of all three. Clients: localhost:9092, 9093, 9094; controllers: localhost:19092,
# 19093, 19094. Data under ./data/cluster/node-<id>; the cluster id is kept in
# ./data/cluster/cluster-id so a restart finds the same cluster. Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=./data/cluster
mkdir -p "$DATA"
if [[ ! -s "$DATA/cluster-id" ]]; then
  node -e "process.stdout.write(require('node:crypto').randomBytes(16).toString('base64url'))" > "$DATA/cluster-id"
fi
CLUSTER_ID=$(cat "$DATA/cluster-id")
VOTERS=1@localhost:19092,2@localhost:19093,3@localhost:19094
pids=()
stop() {
  trap - INT TERM
  echo "stopping the three nodes..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait
}
trap stop INT TERM
for id in 1 2 3; do
  port=$((9091 + id))
  bin/fjord.js broker --config config/server.properties \
    --override node.id=$id \
    --override cluster.id="$CLUSTER_ID" \
    --override log.dirs="$DATA/node-$id" \
    --override listeners=PLAINTEXT://:$port,CONTROLLER://localhost:$((19091 + id)) \
    --override advertised.listeners=PLAINTEXT://localhost:$port \
    --override controller.listener.names=CONTROLLER \
    --override inter.broker.listener.name=PLAINTEXT \
    --override controller.quorum.voters=$VOTERS \
    --override process.roles=broker,controller \
    > >(trap '' INT TERM; exec sed -u "s/^/[node $id] /") 2>&1 &
  pids+=($!)
done
echo "cluster $CLUSTER_ID: clients on localhost:9092,localhost:9093,localhost:9094 (Ctrl-C stops all three)"
wait
