#!/usr/bin/env bash
# Runs the whole AWE test suite on a fresh Debian machine: the one command for developers and CI.
#
#   scripts/test.sh                                  # everything
#   scripts/test.sh --filter "FullyQualifiedName~Quorum"   # extra args go to `dotnet test`
#
# What it does:
#   1. PostgreSQL: uses $AWE_TEST_PG (an Npgsql connection string) if that server answers; otherwise
#      starts a throwaway cluster in a temp dir (installing Debian's postgresql if needed), creates
#      database awe_test and exports AWE_TEST_PG for the tests. The cluster is removed on exit. The server
#      binaries are installed in any case: the fault tests run (and stop) a cluster of their own.
#   2. Chromium for the Studio browser tests, only when tests/Awe.Studio.Tests exists and AWE_TEST_UI != 0;
#      the linters tests/Awe.Deployment.Tests runs (Debian's shellcheck and yamllint), when missing.
#   3. `dotnet test Awe.sln -c Release` with a trx logger; the trx files are summed afterwards.
#   4. The last line printed is always `N passed, N failed`; the exit code is non-zero on any failure,
#      including a build error or a failure before any test ran.
#
# Environment:
#   AWE_TEST_PG           use this PostgreSQL instead of starting one
#   AWE_TEST_PG_PORT      port of the throwaway cluster (default 55432, the next free one if busy)
#   AWE_TEST_UI=0         skip installing Chromium; the Studio browser tests are then skipped (with the reason)
#   AWE_TEST_RESULTS_DIR  where the trx files go (default <repo>/TestResults; old *.trx there are removed)
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RESULTS_DIR=${AWE_TEST_RESULTS_DIR:-$REPO_ROOT/TestResults}
DEFAULT_PG_PORT=55432

PG_ROOT=""          # temp dir of the throwaway cluster; empty while none is running
DOTNET_PID=""       # `dotnet test` while it runs, so that an interrupt can stop it
PG_BIN=""           # directory holding initdb / pg_ctl
APT_UPDATED=0
SUMMARY_PRINTED=0

log() { echo "[test.sh] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------------------------------------------
# Cleanup and the closing line
# ---------------------------------------------------------------------------------------------------

# Stops the throwaway cluster and removes its files. Silent and idempotent, because it runs both
# before the summary line and again from the EXIT trap, and nothing may print after the summary.
stop_postgres() {
    [[ -n "$PG_ROOT" ]] || return 0
    if [[ -f "$PG_ROOT/data/postmaster.pid" ]]; then
        as_pg_owner "$PG_BIN/pg_ctl" -D "$PG_ROOT/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$PG_ROOT"
    PG_ROOT=""
}

print_summary() {
    echo "$1 passed, $2 failed"
    SUMMARY_PRINTED=1
}

# Runs on every exit, including `set -e` aborts and Ctrl-C: nothing is left running, and a run that
# died before the tests (e.g. PostgreSQL would not start) still ends with an honest closing line.
on_exit() {
    local rc=$?
    if [[ -n "$DOTNET_PID" ]]; then
        # The whole process group: dotnet's test hosts and build nodes too.
        kill -TERM -- "-$DOTNET_PID" 2>/dev/null || true
        wait "$DOTNET_PID" 2>/dev/null || true
    fi
    stop_postgres
    if [[ $SUMMARY_PRINTED -eq 0 ]]; then
        [[ $rc -ne 0 ]] || rc=1
        log "aborted before the test results could be read (exit code $rc)"
        print_summary 0 1
    fi
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------------
# Package installation
# ---------------------------------------------------------------------------------------------------

# apt-get needs root; a developer running as a normal user gets sudo if there is one.
as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

apt_install() {
    if [[ $APT_UPDATED -eq 0 ]]; then
        log "apt-get update"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
        APT_UPDATED=1
    fi
    log "apt-get install $*"
    as_root env DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -qq "$@" >/dev/null
}

# ---------------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------------

# PostgreSQL refuses to run as root, so when we are root the cluster belongs to user postgres.
# From / because postgres may not be allowed into the current directory (a checkout under /root).
as_pg_owner() {
    if [[ $EUID -eq 0 ]]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# Debian keeps the server binaries off PATH, under /usr/lib/postgresql/<major>/bin; take the newest.
find_pg_bin() {
    local dir
    dir=$(printf "%s\n" /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    if [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
        echo "$dir"
    elif command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
    fi
}

# True when something accepts TCP connections on host:port (bash's /dev/tcp: no client tools needed).
port_answers() {
    timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2" >/dev/null 2>&1
}

# True when the server named in an Npgsql connection string answers. Only Host/Server and Port are
# read; a Host starting with / is a Unix socket directory.
connection_string_answers() {
    local host="" port=5432 part key value parts
    IFS=';' read -r -a parts <<<"$1"
    for part in "${parts[@]}"; do
        key=$(echo "${part%%=*}" | tr -d '[:space:]' | tr '[:upper:]' '[:lower:]')
        value=$(echo "${part#*=}" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
        case "$key" in
            host | server) host=${value%%,*} ;;  # first host of a multi-host list
            port) port=$value ;;
        esac
    done
    [[ -n "$host" ]] || return 1
    if [[ "$host" == /* ]]; then
        [[ -S "$host/.s.PGSQL.$port" ]]
    else
        [[ "$host" =~ ^([^:]+):([0-9]+)$ ]] && { host=${BASH_REMATCH[1]}; port=${BASH_REMATCH[2]}; }
        port_answers "$host" "$port"
    fi
}

# An explicit AWE_TEST_PG_PORT is used as given; the default moves on to the next free port so that
# two runs on one machine (or a cluster left over from a killed run) do not collide.
choose_pg_port() {
    if [[ -n "${AWE_TEST_PG_PORT:-}" ]]; then
        port_answers 127.0.0.1 "$AWE_TEST_PG_PORT" && die "port $AWE_TEST_PG_PORT (AWE_TEST_PG_PORT) is already in use"
        echo "$AWE_TEST_PG_PORT"
        return
    fi
    local port
    for port in $(seq "$DEFAULT_PG_PORT" $((DEFAULT_PG_PORT + 20))); do
        if ! port_answers 127.0.0.1 "$port"; then
            echo "$port"
            return
        fi
    done
    die "no free port in $DEFAULT_PG_PORT..$((DEFAULT_PG_PORT + 20)) for PostgreSQL"
}

# The server binaries are needed even with AWE_TEST_PG: the fault tests (tests/Awe.Host.Tests/Faults) stop and
# start a cluster of their own, never the shared one.
ensure_pg_bin() {
    PG_BIN=$(find_pg_bin)
    if [[ -z "$PG_BIN" ]]; then
        apt_install postgresql
        PG_BIN=$(find_pg_bin)
        [[ -n "$PG_BIN" ]] || die "postgresql installed but initdb/pg_ctl not found"
    fi
    if [[ $EUID -eq 0 ]] && ! id -u postgres >/dev/null 2>&1; then
        die "running as root but there is no user 'postgres' to own the cluster"
    fi
}

start_postgres() {
    ensure_pg_bin

    local port
    port=$(choose_pg_port)

    # Under /tmp because user postgres must be able to traverse it (a checkout under /root is not).
    PG_ROOT=$(mktemp -d /tmp/awe-test-pg.XXXXXX)
    [[ $EUID -ne 0 ]] || chown postgres:postgres "$PG_ROOT"

    log "starting PostgreSQL ($("$PG_BIN/pg_ctl" --version | awk '{print $3}')) on 127.0.0.1:$port in $PG_ROOT"
    # Trust auth and no durability: a disposable cluster that only this test run talks to.
    as_pg_owner "$PG_BIN/initdb" -D "$PG_ROOT/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
        --no-sync >"$PG_ROOT/initdb.log" 2>&1 \
        || { cat "$PG_ROOT/initdb.log" >&2; die "initdb failed"; }
    # The socket dir (-k) and log file must be writable by the cluster owner: both live in PG_ROOT.
    # max_connections above the default 100: test classes run in parallel, each host with its own
    # Npgsql pool.
    if ! as_pg_owner "$PG_BIN/pg_ctl" -D "$PG_ROOT/data" -l "$PG_ROOT/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_ROOT -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
        start >/dev/null; then
        tail -n 30 "$PG_ROOT/server.log" >&2 || true
        die "PostgreSQL did not start"
    fi

    # Connect over TCP like the tests do; createdb ships beside pg_ctl in Debian's client package.
    local createdb="$PG_BIN/createdb"
    [[ -x "$createdb" ]] || createdb=$(command -v createdb || true)
    [[ -n "$createdb" ]] || die "createdb not found"
    "$createdb" -h 127.0.0.1 -p "$port" -U postgres awe_test

    export AWE_TEST_PG="Host=127.0.0.1;Port=$port;Username=postgres;Database=awe_test"
}

setup_postgres() {
    if [[ -n "${AWE_TEST_PG:-}" ]]; then
        if connection_string_answers "$AWE_TEST_PG"; then
            log "using the PostgreSQL given in AWE_TEST_PG"
            ensure_pg_bin
            return
        fi
        log "AWE_TEST_PG is set but its server does not answer; starting a throwaway cluster instead"
    fi
    start_postgres
}

# ---------------------------------------------------------------------------------------------------
# Chromium (browser tests of Awe.Studio)
# ---------------------------------------------------------------------------------------------------

setup_chromium() {
    if [[ ! -d "$REPO_ROOT/tests/Awe.Studio.Tests" ]]; then
        return  # no browser tests yet: do not spend half a minute installing a browser
    fi
    if [[ "${AWE_TEST_UI:-1}" == "0" ]]; then
        log "AWE_TEST_UI=0: not installing Chromium"
        return
    fi
    # Playwright cannot download its own browser offline; the tests use Debian's.
    [[ -x /usr/bin/chromium ]] || apt_install chromium
}

# ---------------------------------------------------------------------------------------------------
# Tests and results
# ---------------------------------------------------------------------------------------------------

# Sums one Counters attribute over all trx files of this run. The Counters element is joined onto one
# line first so the sum does not depend on how the logger wraps attributes.
sum_counter() {
    local attr=$1
    shift
    [[ $# -gt 0 ]] || { echo 0; return; }
    cat "$@" | tr '\r\n' '  ' | grep -o '<Counters [^>]*>' \
        | awk -v attr="$attr" '
            { if (match($0, " " attr "=\"[0-9]+\"")) { v = substr($0, RSTART, RLENGTH); gsub(/[^0-9]/, "", v); s += v } }
            END { print s + 0 }'
}

run_tests() {
    mkdir -p "$RESULTS_DIR"
    # Only this run's results may be counted.
    find "$RESULTS_DIR" -maxdepth 1 -type f -name '*.trx' -delete

    # No telemetry banner or first-run text in CI logs.
    export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

    log "dotnet test Awe.sln -c Release $*"
    # In the background and waited for, so that a TERM to this script runs the trap at once (bash
    # delays traps until a foreground child ends); in its own process group (setsid) so the trap can
    # stop it with all its children. LogFilePrefix gives every test project its own trx file; a
    # fixed LogFileName would be overwritten by the next project.
    local rc=0
    (cd "$REPO_ROOT" && exec setsid dotnet test Awe.sln -c Release \
        --verbosity minimal \
        --logger "trx;LogFilePrefix=awe" \
        --logger "console;verbosity=normal" \
        --results-directory "$RESULTS_DIR" \
        "$@") &
    DOTNET_PID=$!
    wait "$DOTNET_PID" || rc=$?
    DOTNET_PID=""

    shopt -s nullglob
    local trx_files=("$RESULTS_DIR"/*.trx)
    shopt -u nullglob

    local passed failed
    passed=$(sum_counter passed "${trx_files[@]}")
    # A test that errored or timed out did not pass either.
    failed=$(( $(sum_counter failed "${trx_files[@]}") + $(sum_counter error "${trx_files[@]}") \
        + $(sum_counter timeout "${trx_files[@]}") ))
    log "${#trx_files[@]} trx file(s) in $RESULTS_DIR; dotnet test exit code $rc"

    # A build error or a crashed test host leaves no failed test in any trx but must not look green.
    if [[ $rc -ne 0 && $failed -eq 0 ]]; then
        log "dotnet test failed without a failed test in the results (build error or test host crash)"
        failed=1
    fi
    [[ $failed -eq 0 ]] || rc=1

    stop_postgres
    print_summary "$passed" "$failed"
    return "$rc"
}

# ---------------------------------------------------------------------------------------------------
# Linters (tests/Awe.Deployment.Tests runs them on the shell scripts and the deployment YAML)
# ---------------------------------------------------------------------------------------------------

setup_linters() {
    local tool missing=()
    for tool in shellcheck yamllint; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    [[ ${#missing[@]} -eq 0 ]] || apt_install "${missing[@]}"
}

main() {
    command -v dotnet >/dev/null 2>&1 || die "dotnet SDK not found on PATH"
    setup_postgres
    setup_chromium
    setup_linters
    run_tests "$@"
}

main "$@"
