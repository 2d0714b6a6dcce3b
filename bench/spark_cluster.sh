#!/usr/bin/env bash
# A Spark standalone cluster on this machine, from the venv's pyspark (docs/spark.md, "On a real
# cluster"): one master and two workers, each worker one core and a fixed memory, so that the
# executors run in their own JVMs and the driver (the dbt process) runs no task.
#
#   bench/spark_cluster.sh start [DIR]    start it; prints the environment that points a build at it
#   bench/spark_cluster.sh env [DIR]      that environment again (export lines), for eval
#   bench/spark_cluster.sh status [DIR]   which of its processes run
#   bench/spark_cluster.sh stop [DIR]     stop the processes it started (from its pid files)
#
# DIR (default $RECSYS_SPARK_CLUSTER_DIR, else /tmp/recsys-spark-cluster) is the folder it owns:
# pid files, logs, the workers' work folders, and conf/spark-defaults.conf, which a driver reads
# when SPARK_CONF_DIR names it (the executors' memory and cores, the project's Python).
# Ports are chosen free at start. Settings: RECSYS_SPARK_WORKER_MEMORY (default 2g per worker),
# RECSYS_SPARK_EXECUTOR_MEMORY (default 1536m), SPARK_DAEMON_MEMORY (the master's and workers'
# own heap, default 256m).
#
#   eval "$(bench/spark_cluster.sh start)" && make run TARGET=spark && bench/spark_cluster.sh stop
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${RECSYS_SPARK_PYTHON:-$REPO/.venv/bin/python}
COMMAND=${1:-status}
DIR=${2:-${RECSYS_SPARK_CLUSTER_DIR:-/tmp/recsys-spark-cluster}}
WORKERS=2
HOST=127.0.0.1

SPARK_HOME=$("$PYTHON" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
export SPARK_HOME
export SPARK_LOCAL_IP=$HOST SPARK_DAEMON_MEMORY=${SPARK_DAEMON_MEMORY:-256m}
# the daemons must not read a spark-defaults.conf of the caller's
export SPARK_CONF_DIR=$DIR/daemon-conf

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

print_env() {
    [ -f "$DIR/master-url" ] || { echo "no cluster in $DIR" >&2; exit 1; }
    echo "export RECSYS_SPARK_MASTER=$(cat "$DIR/master-url")"
    echo "export SPARK_CONF_DIR=$DIR/conf"
    echo "export SPARK_LOCAL_IP=$HOST"
    echo "export RECSYS_SPARK_DRIVER_MEMORY=\${RECSYS_SPARK_DRIVER_MEMORY:-1g}"
}

# start a daemon in its own session (so that the caller's Ctrl-C or process group does not reach
# it), its pid in $DIR/$name.pid and its output in $DIR/logs/$name.log
launch() {
    local name=$1; shift
    setsid "$SPARK_HOME/bin/spark-class" "$@" >"$DIR/logs/$name.log" 2>&1 < /dev/null &
    echo $! >"$DIR/$name.pid"
}

wait_for() {  # file, text, seconds
    local waited=0
    until grep -q "$2" "$1" 2>/dev/null; do
        sleep 0.5; waited=$((waited + 1))
        if [ "$waited" -gt $(($3 * 2)) ]; then
            echo "timed out waiting for '$2' in $1" >&2; tail -20 "$1" >&2; return 1
        fi
    done
}

case "$COMMAND" in
start)
    if alive "$DIR/master.pid"; then echo "a cluster already runs from $DIR" >&2; print_env; exit 0; fi
    mkdir -p "$DIR/logs" "$DIR/conf" "$DIR/daemon-conf"
    port=$(free_port); ui=$(free_port)
    url="spark://$HOST:$port"
    cat >"$DIR/conf/spark-defaults.conf" <<EOF
spark.executor.memory ${RECSYS_SPARK_EXECUTOR_MEMORY:-1536m}
spark.executor.cores 1
spark.cores.max $WORKERS
spark.pyspark.python $PYTHON
spark.driver.host $HOST
spark.ui.showConsoleProgress false
EOF
    launch master org.apache.spark.deploy.master.Master --host "$HOST" --port "$port" --webui-port "$ui"
    wait_for "$DIR/logs/master.log" "I have been elected leader" 60
    for n in $(seq 1 $WORKERS); do
        mkdir -p "$DIR/work-$n"
        launch "worker-$n" org.apache.spark.deploy.worker.Worker --host "$HOST" --port "$(free_port)" \
            --webui-port "$(free_port)" --cores 1 --memory "${RECSYS_SPARK_WORKER_MEMORY:-2g}" \
            --work-dir "$DIR/work-$n" "$url"
    done
    for n in $(seq 1 $WORKERS); do
        wait_for "$DIR/logs/worker-$n.log" "Successfully registered with master" 60
    done
    echo "$url" >"$DIR/master-url"
    echo "# Spark standalone master $url, $WORKERS workers (1 core each), logs in $DIR/logs" >&2
    print_env
    ;;
env)
    print_env
    ;;
status)
    for pidfile in "$DIR"/master.pid "$DIR"/worker-*.pid; do
        [ -f "$pidfile" ] || continue
        name=$(basename "$pidfile" .pid)
        if alive "$pidfile"; then echo "$name: running (pid $(cat "$pidfile"))"; else echo "$name: stopped"; fi
    done
    [ -f "$DIR/master-url" ] && echo "url: $(cat "$DIR/master-url")"
    alive "$DIR/master.pid"
    ;;
stop)
    for pidfile in "$DIR"/worker-*.pid "$DIR"/master.pid; do
        [ -f "$pidfile" ] || continue
        pid=$(cat "$pidfile")
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid"
            for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
            kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
        fi
        rm -f "$pidfile"
    done
    rm -f "$DIR/master-url"
    ;;
*)
    echo "usage: $0 start|env|status|stop [DIR]" >&2; exit 2
    ;;
esac
