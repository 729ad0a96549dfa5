#!/usr/bin/env bash
# A local Neo4j Community server for development and tests, without Docker.
#
#   deploy/neo4j/neo4j.sh start    fetch Neo4j from Maven Central (once), start it, wait until Bolt answers
#   deploy/neo4j/neo4j.sh stop     stop it
#   deploy/neo4j/neo4j.sh status   say whether it runs
#
# Bolt on 127.0.0.1:${VALUEGRAPH_NEO4J_BOLT_PORT:-7687}, user neo4j, password
# ${VALUEGRAPH_NEO4J_PASSWORD:-valuegraph-dev}; everything lives under .neo4j/. Both start and stop
# are idempotent.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
home=${VALUEGRAPH_NEO4J_HOME:-$root/.neo4j}
password=${VALUEGRAPH_NEO4J_PASSWORD:-valuegraph-dev}
bolt_port=${VALUEGRAPH_NEO4J_BOLT_PORT:-7687}
heap=${VALUEGRAPH_NEO4J_HEAP:-768m}
lib=$home/lib
pidfile=$home/run/neo4j.pid
console=$home/logs/console.log
userlog=$home/logs/neo4j.log

# JVM options as Neo4j's own launcher passes them (minus the ones that only slow a small server down)
java_opts=(
  -Xms"$heap" -Xmx"$heap"
  -XX:+UseG1GC -XX:-OmitStackTraceInFastThrow -XX:+UnlockExperimentalVMOptions -XX:+TrustFinalNonStaticFields
  -XX:+DisableExplicitGC -Djdk.nio.maxCachedBufferSize=1024 -Dio.netty.tryReflectionSetAccessible=true
  -Djdk.tls.ephemeralDHKeySize=2048 -Djdk.tls.rejectClientInitiatedRenegotiation=true
  -XX:FlightRecorderOptions=stackdepth=256 -XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints
  --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED
  -Dlog4j2.disable.jmx=true -Dfile.encoding=UTF-8
)

running() {
  [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

bolt_answers() {
  (exec 3<>"/dev/tcp/127.0.0.1/$bolt_port") 2>/dev/null
}

fetch() {
  if [[ ! -f $lib/.complete ]]; then
    echo "neo4j: fetching Neo4j Community from Maven Central into $lib"
    mkdir -p "$lib"
    mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DoutputDirectory="$lib" -DincludeScope=runtime
    touch "$lib/.complete"
  fi
}

configure() {
  mkdir -p "$home/conf" "$home/data" "$home/logs" "$home/run" "$home/plugins" "$home/import"
  cat >"$home/conf/neo4j.conf" <<CONF
server.directories.data=$home/data
server.directories.logs=$home/logs
server.directories.run=$home/run
server.directories.plugins=$home/plugins
server.directories.import=$home/import
server.directories.lib=$lib
server.bolt.enabled=true
server.bolt.listen_address=127.0.0.1:$bolt_port
server.bolt.advertised_address=127.0.0.1:$bolt_port
server.http.enabled=false
server.https.enabled=false
server.memory.pagecache.size=256m
dbms.security.auth_enabled=true
dbms.usage_report.enabled=false
db.tx_log.rotation.retention_policy=2 files
CONF
  if [[ ! -f $home/data/dbms/auth.ini ]]; then
    NEO4J_HOME=$home NEO4J_CONF=$home/conf java -cp "$lib/*" org.neo4j.cli.AdminTool \
      dbms set-initial-password "$password" >/dev/null
  fi
}

start() {
  if running && bolt_answers; then
    echo "neo4j: already running on bolt://127.0.0.1:$bolt_port"
    return 0
  fi
  if bolt_answers; then
    echo "neo4j: something else listens on 127.0.0.1:$bolt_port" >&2
    return 1
  fi
  command -v java >/dev/null || { echo "neo4j: java is needed (17 or newer)" >&2; return 1; }
  fetch
  configure
  : >"$console"
  local seen=0
  [[ -f $userlog ]] && seen=$(wc -l <"$userlog")
  nohup java "${java_opts[@]}" -cp "$home/conf:$lib/*" org.neo4j.server.CommunityEntryPoint \
    --home-dir="$home" --config-dir="$home/conf" >>"$console" 2>&1 &
  echo $! >"$pidfile"
  # up to 240 s: about 15 s on a quiet machine, but far longer on one busy with other work
  for _ in $(seq 1 480); do
    if ! running; then
      echo "neo4j: the server stopped while starting; the end of its logs:" >&2
      tail -n 30 "$console" "$userlog" >&2
      return 1
    fi
    if bolt_answers && tail -n +$((seen + 1)) "$userlog" 2>/dev/null | grep -q "Started."; then
      echo "neo4j: running on bolt://127.0.0.1:$bolt_port (pid $(cat "$pidfile"))"
      return 0
    fi
    sleep 0.5
  done
  echo "neo4j: Bolt did not answer within 240 s; the end of its logs:" >&2
  tail -n 30 "$console" "$userlog" >&2
  return 1
}

stop() {
  if ! running; then
    echo "neo4j: not running"
    rm -f "$pidfile"
    return 0
  fi
  local pid
  pid=$(cat "$pidfile")
  kill "$pid"
  for _ in $(seq 1 120); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; echo "neo4j: stopped"; return 0; }
    sleep 0.5
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
  echo "neo4j: killed after 60 s"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running && bolt_answers; then echo "neo4j: running on bolt://127.0.0.1:$bolt_port"; else echo "neo4j: not running"; exit 3; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
