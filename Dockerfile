# syntax=docker/dockerfile:1
# One Fjord image for both roles; the entrypoint is the `fjord` command:
#   the operator's Deployment (charts/fjord-operator)   args: operator --leader-elect=true ...
#   the brokers' StatefulSet (operator/src/model/cluster.ts)  args: broker --config /etc/fjord/server.properties --override ...
# Runs as uid/gid 1000, writes nothing outside the data volume (readOnlyRootFilesystem works):
# broker data under /var/lib/fjord/data (the StatefulSet mounts its PVC there), configuration
# read from /etc/fjord (a ConfigMap). `make image` builds it as fjord:<package.json version>.
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: the broker and operator sources (the repository's compiler options, tests left out),
# then production dependencies only
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY broker/src ./broker/src
COPY operator/src ./operator/src
RUN printf '%s' '{"extends": "./tsconfig.json", "compilerOptions": {"sourceMap": false, "incremental": false}, "include": ["broker/src/**/*.ts", "operator/src/**/*.ts"], "exclude": ["**/*.test.ts"]}' > tsconfig.image.json \
 && npx tsc -p tsconfig.image.json \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime
FROM ${NODE_IMAGE}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="fjord" \
      org.opencontainers.image.description="Fjord: Kafka-compatible event streaming broker and its Kubernetes operator" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production
WORKDIR /opt/fjord
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/broker/src ./dist/broker/src
COPY --from=build /src/dist/operator/src ./dist/operator/src
COPY bin ./bin
# The data directory belongs to the broker's user; the StatefulSet's fsGroup 1000 keeps a mounted
# volume writable too. Nothing else is written: no HOME files, no temp files.
RUN mkdir -p /var/lib/fjord/data /etc/fjord \
 && chown 1000:1000 /var/lib/fjord/data \
 && chmod 0750 /var/lib/fjord/data
USER 1000:1000
VOLUME ["/var/lib/fjord/data"]
# 9092 Kafka protocol, 8080 /healthz /readyz /metrics (fjord.http.port; the operator sets it)
EXPOSE 9092 8080
# bin/fjord.js runs node with its V8 flags (its shebang line); node as PID 1 is fine: `fjord broker` and `fjord operator` both handle SIGTERM/SIGINT themselves.
ENTRYPOINT ["/opt/fjord/bin/fjord.js"]
# Standalone (docker run fjord:0.1.0): one broker with its data on the volume.
CMD ["broker", "--override", "log.dirs=/var/lib/fjord/data", "--override", "fjord.http.port=8080"]
