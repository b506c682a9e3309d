#!/usr/bin/env bash
# The end-to-end benchmark: one command. Not part of the test suite.
#
#   scripts/bench.sh            # full run (about 10 minutes), writes docs/performance.md
#   scripts/bench.sh --quick    # short windows (a few minutes), to check that everything works
#   scripts/bench.sh --only create,decision --concurrency 16 --out /tmp/perf.md
#
# It installs PostgreSQL's server and pgbench from Debian packages when they are missing, builds
# tests/Awe.Benchmarks (and the host) in Release and runs its `e2e` mode, which starts its own throwaway
# PostgreSQL (initdb in a temp dir, a free port) and the host, captures the SQL of a create and of its
# decisions, replays it with pgbench in the same run, measures the engine over HTTP, webhook dispatch and the
# host's memory, prints one table and writes docs/performance.md. Options: see docs/performance.md ("Method").
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { echo "[bench.sh] $*" >&2; }

as_root() {
    if [[ $EUID -eq 0 ]]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else log "need root (or sudo) to run: $*"; exit 1
    fi
}

# Debian keeps the server programs under /usr/lib/postgresql/<major>/bin; the newest is used.
pg_bin() { printf "%s\n" /usr/lib/postgresql/*/bin | sort -V | tail -n 1; }

PG_BIN=$(pg_bin)
if [[ ! -x "$PG_BIN/initdb" || ! -x "$PG_BIN/pgbench" ]]; then
    log "installing PostgreSQL server and pgbench (postgresql, postgresql-contrib)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    as_root env DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -qq postgresql postgresql-contrib >/dev/null
    PG_BIN=$(pg_bin)
fi
if [[ $EUID -eq 0 ]] && ! id -u postgres >/dev/null 2>&1; then
    log "running as root but there is no user 'postgres' to own the benchmark's cluster"; exit 1
fi

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
cd "$REPO_ROOT"
log "dotnet build tests/Awe.Benchmarks -c Release"
dotnet build tests/Awe.Benchmarks -c Release --nologo -v quiet
export AWE_BENCH_PG_BIN="$PG_BIN"
exec dotnet tests/Awe.Benchmarks/bin/Release/net10.0/Awe.Benchmarks.dll e2e "$@"
