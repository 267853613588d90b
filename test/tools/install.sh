#!/usr/bin/env bash
# Installs the external tools the integration tests drive, idempotently and cached:
#   - kcat (Debian package), only if missing;
#   - Apache Kafka's jars (pinned in versions.env) from Maven Central into
#     <cache>/kafka-<version>/libs, skipped when already complete;
#   - wrapper scripts named like Kafka's own (kafka-topics.sh, ...) in <cache>/kafka-<version>/bin.
# <cache> = ${FJORD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fjord}  (test/harness/tools.ts agrees).
# Prints the Kafka home directory on its last line of stdout. Set FJORD_SKIP_KCAT=1 to skip kcat.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
. "$here/versions.env"

cache="${FJORD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fjord}"
home="$cache/kafka-$KAFKA_VERSION"
libs="$home/libs"
bin="$home/bin"
mkdir -p "$home"

log() { echo "install.sh: $*" >&2; }

# --- (a) kcat -------------------------------------------------------------------------------
if [ "${FJORD_SKIP_KCAT:-0}" != "1" ] && ! command -v kcat >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    log "kcat is missing and apt-get is not available; install kcat by hand"; exit 1
  fi
  sudo=""; [ "$(id -u)" = "0" ] || sudo="sudo"
  log "installing kcat"
  if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q kcat >&2; then
    log "apt-get install failed; running apt-get update first"
    $sudo apt-get update -q >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q kcat >&2
  fi
fi

# --- (b) Kafka jars from Maven Central ------------------------------------------------------
stamp="kafka=$KAFKA_VERSION log4j=$LOG4J_VERSION slf4j=$SLF4J_VERSION pom=$(sha256sum "$here/pom.xml" | cut -c1-16)"
if [ ! -f "$libs/.complete" ] || [ "$(cat "$libs/.complete")" != "$stamp" ]; then
  command -v mvn >/dev/null 2>&1 || { log "mvn (Maven) is required"; exit 1; }
  log "resolving Apache Kafka $KAFKA_VERSION jars into $libs"
  tmp="$home/libs.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  mvn -q -B -f "$here/pom.xml" \
    -Dkafka.version="$KAFKA_VERSION" -Dlog4j.version="$LOG4J_VERSION" -Dslf4j.version="$SLF4J_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" >&2
  [ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ] || { log "kafka_2.13 jar missing after mvn"; exit 1; }
  echo "$stamp" >"$tmp/.complete"
  rm -rf "$libs"
  mv "$tmp" "$libs"
fi

# --- (c) log4j2 configs and wrapper scripts --------------------------------------------------
mkdir -p "$home/config"
# Tools: warnings and errors only, on stderr, so stdout is just the tool's own output.
cat >"$home/config/tools-log4j2.properties.tmp" <<'EOF'
status = error
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.err.ref = STDERR
EOF
# Broker: INFO on stdout (the harness keeps it for error messages), noisy packages at WARN.
cat >"$home/config/server-log4j2.properties.tmp" <<'EOF'
status = error
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = info
logger.network.name = kafka.network.RequestChannel$
logger.network.level = warn
logger.controller.name = org.apache.kafka.controller
logger.controller.level = info
logger.coord.name = org.apache.kafka.coordinator
logger.coord.level = info
logger.clients.name = org.apache.kafka.clients
logger.clients.level = warn
logger.common.name = org.apache.kafka.common
logger.common.level = warn
logger.raft.name = org.apache.kafka.raft
logger.raft.level = warn
logger.metadata.name = org.apache.kafka.image
logger.metadata.level = warn
EOF
mv "$home/config/tools-log4j2.properties.tmp" "$home/config/tools-log4j2.properties"
mv "$home/config/server-log4j2.properties.tmp" "$home/config/server-log4j2.properties"

# name -> main class -> kind (tool: quick-start JVM flags; server/perf: normal JIT)
wrappers=(
  "kafka-topics.sh org.apache.kafka.tools.TopicCommand tool"
  "kafka-configs.sh org.apache.kafka.tools.ConfigCommand tool"
  "kafka-console-producer.sh org.apache.kafka.tools.ConsoleProducer tool"
  "kafka-console-consumer.sh org.apache.kafka.tools.consumer.ConsoleConsumer tool"
  "kafka-consumer-groups.sh org.apache.kafka.tools.consumer.group.ConsumerGroupCommand tool"
  "kafka-get-offsets.sh org.apache.kafka.tools.GetOffsetShell tool"
  "kafka-producer-perf-test.sh org.apache.kafka.tools.ProducerPerformance perf"
  "kafka-consumer-perf-test.sh org.apache.kafka.tools.ConsumerPerformance perf"
  "kafka-storage.sh kafka.tools.StorageTool tool"
  "kafka-log-dirs.sh org.apache.kafka.tools.LogDirsCommand tool"
  "kafka-acls.sh org.apache.kafka.tools.AclCommand tool"
  "kafka-features.sh org.apache.kafka.tools.FeatureCommand tool"
  "kafka-delete-records.sh org.apache.kafka.tools.DeleteRecordsCommand tool"
  "kafka-metadata-quorum.sh org.apache.kafka.tools.MetadataQuorumCommand tool"
  "kafka-leader-election.sh org.apache.kafka.tools.LeaderElectionCommand tool"
  "kafka-reassign-partitions.sh org.apache.kafka.tools.reassign.ReassignPartitionsCommand tool"
  "kafka-server-start.sh kafka.Kafka server"
)

# Verify every main class is in the jars (once per libs install; the list is cached with it).
classlist="$libs/.classes"
if [ ! -f "$classlist" ] || [ "$classlist" -ot "$libs/.complete" ]; then
  if command -v unzip >/dev/null 2>&1; then list_jar() { unzip -Z1 "$1"; }; else list_jar() { jar tf "$1"; }; fi
  for j in "$libs"/kafka*.jar; do list_jar "$j" | grep '\.class$' || true; done >"$classlist.tmp"
  mv "$classlist.tmp" "$classlist"
fi

mkdir -p "$bin"
for w in "${wrappers[@]}"; do
  read -r name class kind <<<"$w"
  cpath="$(echo "$class" | tr . /).class"
  grep -qxF "$cpath" "$classlist" || { log "main class $class (for $name) not found in $libs"; exit 1; }
  case "$kind" in
    tool)   jvm='${KAFKA_HEAP_OPTS:--Xmx512m} ${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto}'
            log4j='${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=$home/config/tools-log4j2.properties}' ;;
    perf)   jvm='${KAFKA_HEAP_OPTS:--Xmx512m} ${KAFKA_JVM_PERFORMANCE_OPTS:-}'
            log4j='${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=$home/config/tools-log4j2.properties}' ;;
    server) jvm='${KAFKA_HEAP_OPTS:--Xmx1g -Xms256m} ${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20}'
            log4j='${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=$home/config/server-log4j2.properties}' ;;
  esac
  cat >"$bin/$name.tmp" <<EOF
#!/bin/sh
# Generated by test/tools/install.sh (Apache Kafka $KAFKA_VERSION jars from Maven Central).
home="$home"
exec java $jvm $log4j \${KAFKA_OPTS:-} -cp "\$home/libs/*" $class "\$@"
EOF
  chmod +x "$bin/$name.tmp"
  mv "$bin/$name.tmp" "$bin/$name"
done

echo "$home"
