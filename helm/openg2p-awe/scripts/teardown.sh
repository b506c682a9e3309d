#!/usr/bin/env bash
# Removes an openg2p-awe release and everything it left behind.
#
# `helm uninstall` alone leaves, by design: the database and role in the shared
# commons-postgresql, the init Jobs (hook-delete-policy: before-hook-creation),
# and the keycloak-init client Secrets (helm.sh/resource-policy: keep). This
# script runs eight steps in order:
#   1. helm uninstall <release>
#   2. delete leftover Jobs and finished Pods (keycloak-init, postgres-init)
#   3. delete the Secrets awe-admin-portal and awe-admin-resolver
#   4. delete other Secrets / ConfigMaps labelled with the release
#   5. drop the database and role (kubectl exec into commons-postgresql)
#   6. delete PVCs labelled with the release
#   7. delete the PVs those claims left Released
#   8. only with --delete-kc-clients: delete the two Keycloak clients
#      (kcadm.sh inside the commons-keycloak pod)
# Every step tolerates "already gone", so the script can be run again. It
# ends with a summary of what it did and what it skipped.
#
# One AWE release per namespace: the client Secrets have fixed names. A
# client Secret labelled with another release is never deleted.
#
# Needs: bash 4+, kubectl (admin rights on the namespace, and on PVs for
# step 7), helm, jq.
set -euo pipefail

RELEASE=awe
NAMESPACE=""
POSTGRES_RELEASE=commons-postgresql
KEYCLOAK_RELEASE=commons-keycloak
KEYCLOAK_REALM=staff
DB_NAME=""          # default: the release name with - replaced by _
DB_USER=""          # default: <db name>_user
DELETE_KC_CLIENTS=false
KEEP_KC_SECRETS=false
KEEP_PVS=false
DRY_RUN=false
ASSUME_YES=false
KC_CLIENTS=(awe-admin-portal awe-admin-resolver)

usage() {
    cat <<'EOF'
Usage: teardown.sh [options]

  -n, --namespace NAME       namespace of the release (default: the current
                             kubectl context's namespace)
      --release NAME         Helm release name (default: awe)
      --postgres-release NAME
                             commons-postgresql release (default:
                             commons-postgresql), in the same namespace
      --keycloak-release NAME
                             commons-keycloak release (default:
                             commons-keycloak); only for --delete-kc-clients
      --keycloak-realm NAME  realm of the clients (default: staff)
      --db-name NAME         database to drop (default: release, - -> _)
      --db-user NAME         role to drop (default: <db-name>_user)
      --delete-kc-clients    also delete the awe-admin-portal and
                             awe-admin-resolver clients from the realm
                             (skip if another service reuses them)
      --keep-kc-secrets      keep the keycloak-init Secrets (re-install with
                             the same client secrets)
      --keep-pvs             delete PVCs but keep the PVs (forensics)
      --dry-run              print every action, change nothing
  -y, --yes                  no interactive confirmation (CI)
  -h, --help                 this text

Needs bash 4+, kubectl, helm and jq. Prints a summary of what it did and
what it skipped.

Example:  teardown.sh -n registry --dry-run
          teardown.sh -n registry --release awe --yes
EOF
}

die() { echo "ERROR: $*" >&2; exit 1; }
STEP=""
DONE=()      # what was done (or, in a dry run, would be), per step
SKIPPED=()   # what was left alone, with the reason
step() { STEP="$1"; echo; echo "==> [$1/8] $2"; }
note() { echo "    $*"; }
skipped() { note "$*"; SKIPPED+=("[$STEP] $*"); }

# Prints a command, then runs it unless --dry-run. A failing cleanup command
# is reported and the teardown goes on: the goal is to remove what is left.
run() {
    echo "    + $(printf '%q ' "$@")"
    DONE+=("[$STEP] $*")
    [[ "$DRY_RUN" == true ]] && return 0
    "$@" || note "(exit code $?; continuing)"
}

# Like run, for a command that reads a script on stdin (shown, not run, in
# dry-run mode).
run_with_stdin() {
    local input=$1
    shift
    echo "    + $(printf '%q ' "$@") <<'SCRIPT'"
    local line
    while IFS= read -r line; do echo "      $line"; done <<<"$input"
    echo "      SCRIPT"
    DONE+=("[$STEP] $*")
    [[ "$DRY_RUN" == true ]] && return 0
    "$@" <<<"$input" || note "(exit code $?; continuing)"
}

parse_args() {
    while [[ $# -gt 0 ]]; do
        case "$1" in
            -n | --namespace) NAMESPACE=${2:?"$1 needs a value"}; shift 2 ;;
            --release) RELEASE=${2:?"$1 needs a value"}; shift 2 ;;
            --postgres-release) POSTGRES_RELEASE=${2:?"$1 needs a value"}; shift 2 ;;
            --keycloak-release) KEYCLOAK_RELEASE=${2:?"$1 needs a value"}; shift 2 ;;
            --keycloak-realm) KEYCLOAK_REALM=${2:?"$1 needs a value"}; shift 2 ;;
            --db-name) DB_NAME=${2:?"$1 needs a value"}; shift 2 ;;
            --db-user) DB_USER=${2:?"$1 needs a value"}; shift 2 ;;
            --delete-kc-clients) DELETE_KC_CLIENTS=true; shift ;;
            --keep-kc-secrets) KEEP_KC_SECRETS=true; shift ;;
            --keep-pvs) KEEP_PVS=true; shift ;;
            --dry-run) DRY_RUN=true; shift ;;
            -y | --yes) ASSUME_YES=true; shift ;;
            -h | --help) usage; exit 0 ;;
            *) usage >&2; die "unknown argument: $1" ;;
        esac
    done

    # Same derivation as global.aweDB / global.aweDBUser in values.yaml.
    [[ -n "$DB_NAME" ]] || DB_NAME=${RELEASE//-/_}
    [[ -n "$DB_USER" ]] || DB_USER="${DB_NAME}_user"
    # They go into SQL as quoted identifiers: accept plain names only.
    local ident='^[A-Za-z_][A-Za-z0-9_]*$'
    [[ "$DB_NAME" =~ $ident ]] || die "unexpected database name: $DB_NAME"
    [[ "$DB_USER" =~ $ident ]] || die "unexpected role name: $DB_USER"
}

check_tools() {
    local tool missing=()
    ((BASH_VERSINFO[0] >= 4)) || missing+=("bash 4+ (this is $BASH_VERSION)")
    for tool in kubectl helm jq; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    # A dry run still shows the plan; a real run cannot do without them.
    [[ "$DRY_RUN" == true ]] || die "missing prerequisites: ${missing[*]} (install them, or try --dry-run to see the plan)"
    note "missing ${missing[*]}: showing the plan without looking at the cluster"
}

have() { command -v "$1" >/dev/null 2>&1; }

# kubectl reads (never changes) the cluster; quiet and empty when unreachable.
kget() {
    have kubectl || return 0
    kubectl "$@" 2>/dev/null || true
}

# First pod of a release: the Bitnami labels, else the StatefulSet's pod -0.
find_pod() {
    local release=$1 app=$2 pod
    pod=$(kget -n "$NAMESPACE" get pod \
        -l "app.kubernetes.io/instance=$release,app.kubernetes.io/name=$app" \
        -o jsonpath='{.items[0].metadata.name}')
    if [[ -z "$pod" ]] && [[ -n "$(kget -n "$NAMESPACE" get pod "$release-0" -o name)" ]]; then
        pod="$release-0"
    fi
    echo "$pod"
}

discover() {
    if [[ -z "$NAMESPACE" ]]; then
        NAMESPACE=$(kget config view --minify -o 'jsonpath={..namespace}')
        NAMESPACE=${NAMESPACE:-default}
    fi
    RELEASE_FOUND=false
    if have helm && helm -n "$NAMESPACE" status "$RELEASE" >/dev/null 2>&1; then
        RELEASE_FOUND=true
    fi
    PG_POD=$(find_pod "$POSTGRES_RELEASE" postgresql)
    KC_POD=""
    [[ "$DELETE_KC_CLIENTS" == false ]] || KC_POD=$(find_pod "$KEYCLOAK_RELEASE" keycloak)
}

show_plan() {
    echo "Teardown of Helm release '$RELEASE' in namespace '$NAMESPACE'"
    echo "  release found:     $RELEASE_FOUND"
    echo "  database / role:   $DB_NAME / $DB_USER (pod: ${PG_POD:-not found})"
    if [[ "$KEEP_KC_SECRETS" == true ]]; then
        echo "  client Secrets:    kept (--keep-kc-secrets)"
    else
        echo "  client Secrets:    ${KC_CLIENTS[*]}"
    fi
    if [[ "$DELETE_KC_CLIENTS" == true ]]; then
        echo "  Keycloak clients:  ${KC_CLIENTS[*]} in realm $KEYCLOAK_REALM (pod: ${KC_POD:-not found})"
    else
        echo "  Keycloak clients:  kept (no --delete-kc-clients)"
    fi
    echo "  PVs:               $([[ "$KEEP_PVS" == true ]] && echo "kept (--keep-pvs)" || echo "deleted when Released")"
    [[ "$DRY_RUN" == false ]] || echo "DRY RUN: nothing will be changed."
}

confirm() {
    [[ "$DRY_RUN" == true || "$ASSUME_YES" == true ]] && return 0
    # Read from stdin (a terminal, or a pipe in automation that really means
    # it); no answer at all is a refusal.
    local answer=""
    [[ -t 0 ]] && printf "This deletes data for good. Type the release name ('%s') to go on: " "$RELEASE"
    read -r answer || true
    [[ "$answer" == "$RELEASE" ]] || die "not confirmed (typed '${answer}', expected '$RELEASE'); nothing was changed. Pass --yes to run unattended"
}

LABEL=""   # app.kubernetes.io/instance=<release>, set in main

step1_helm_uninstall() {
    step 1 "helm uninstall"
    if [[ "$RELEASE_FOUND" == true || "$DRY_RUN" == true ]]; then
        run helm uninstall "$RELEASE" -n "$NAMESPACE" --wait --timeout 5m
    else
        skipped "release '$RELEASE' not found; helm uninstall not run"
    fi
}

step2_jobs() {
    step 2 "leftover Jobs and finished Pods"
    # Before the database drop, so no init pod holds a connection.
    run kubectl -n "$NAMESPACE" delete job -l "$LABEL" --ignore-not-found --wait=true --timeout=2m
    run kubectl -n "$NAMESPACE" delete pod -l "$LABEL" --ignore-not-found \
        --field-selector=status.phase!=Running
}

# The release a Secret belongs to (its instance label), empty if unlabelled
# or absent.
secret_release() {
    kget -n "$NAMESPACE" get secret "$1" -o json | jq -r '.metadata.labels["app.kubernetes.io/instance"] // ""' 2>/dev/null || true
}

step3_client_secrets() {
    step 3 "keycloak-init client Secrets"
    if [[ "$KEEP_KC_SECRETS" == true ]]; then
        skipped "client Secrets ${KC_CLIENTS[*]} kept (--keep-kc-secrets)"
        return
    fi
    local secret owner
    for secret in "${KC_CLIENTS[@]}"; do
        owner=$(secret_release "$secret")
        if [[ -n "$owner" && "$owner" != "$RELEASE" ]]; then
            skipped "Secret $secret belongs to release '$owner', not '$RELEASE'; not touched"
            continue
        fi
        run kubectl -n "$NAMESPACE" delete secret "$secret" --ignore-not-found
    done
}

step4_sweep() {
    step 4 "other Secrets and ConfigMaps of the release"
    run kubectl -n "$NAMESPACE" delete configmap -l "$LABEL" --ignore-not-found
    if [[ "$KEEP_KC_SECRETS" == false ]]; then
        run kubectl -n "$NAMESPACE" delete secret -l "$LABEL" --ignore-not-found
        return
    fi
    # One by one, so that --keep-kc-secrets also holds when they carry the label.
    local secret kept=" ${KC_CLIENTS[*]} " found=false
    for secret in $(kget -n "$NAMESPACE" get secret -l "$LABEL" -o 'jsonpath={.items[*].metadata.name}'); do
        found=true
        if [[ "$kept" == *" $secret "* ]]; then
            note "keeping $secret"
        else
            run kubectl -n "$NAMESPACE" delete secret "$secret" --ignore-not-found
        fi
    done
    [[ "$found" == true ]] || note "no labelled Secrets found"
}

step5_database() {
    step 5 "database '$DB_NAME' and role '$DB_USER'"
    local pod=$PG_POD
    if [[ -z "$pod" ]]; then
        if [[ "$DRY_RUN" == false ]]; then
            skipped "no pod of '$POSTGRES_RELEASE' found; database not dropped (if PostgreSQL is gone, so is the database)"
            return
        fi
        pod="<$POSTGRES_RELEASE pod>"
    fi
    # Runs inside the pod. The superuser password comes from the pod's own
    # environment (Bitnami: variable or password file), never from this host.
    local sql script
    sql=$(cat <<EOF
SELECT pg_terminate_backend(pid) FROM pg_stat_activity
 WHERE datname = '$DB_NAME' AND pid <> pg_backend_pid();
DROP DATABASE IF EXISTS "$DB_NAME";
DO \$\$ BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') THEN
    EXECUTE 'DROP OWNED BY "$DB_USER"';
  END IF;
END \$\$;
DROP ROLE IF EXISTS "$DB_USER";
EOF
)
    script=$(cat <<'EOF'
pw="${POSTGRES_POSTGRES_PASSWORD:-${POSTGRES_PASSWORD:-}}"
for f in "${POSTGRES_POSTGRES_PASSWORD_FILE:-}" "${POSTGRES_PASSWORD_FILE:-}"; do
  if [ -z "$pw" ] && [ -n "$f" ] && [ -r "$f" ]; then pw=$(cat "$f"); fi
done
PGPASSWORD="$pw" psql -h 127.0.0.1 -U postgres -d postgres -v ON_ERROR_STOP=0 -f - <<'SQL'
EOF
)
    script="$script"$'\n'"$sql"$'\n'"SQL"
    run_with_stdin "$script" kubectl -n "$NAMESPACE" exec -i "$pod" -c postgresql -- sh -s
}

step6_pvcs() {
    step 6 "PVCs of the release"
    # Remembered for step 7: the PVs these claims leave behind.
    PVC_NAMES=$(kget -n "$NAMESPACE" get pvc -l "$LABEL" -o 'jsonpath={.items[*].metadata.name}')
    run kubectl -n "$NAMESPACE" delete pvc -l "$LABEL" --ignore-not-found --wait=true --timeout=2m
}

step7_pvs() {
    step 7 "PVs left by those claims"
    if [[ "$KEEP_PVS" == true ]]; then
        skipped "PVs kept (--keep-pvs)"
        return
    fi
    # A PV goes if it is labelled with the release, or it is Released/Failed
    # and was claimed by one of the release's PVCs (from step 6, or, on a
    # re-run, a claim named after the release). Other tenants' PVs in the
    # namespace are not touched.
    local name ns claim phase found=false
    while IFS=$'\t' read -r name ns claim phase; do
        [[ -n "$name" ]] || continue
        if [[ "$ns" == "$NAMESPACE" && ("$phase" == Released || "$phase" == Failed) ]] &&
            [[ " $PVC_NAMES " == *" $claim "* || "$claim" == "$RELEASE"-* ]]; then
            found=true
            run kubectl delete pv "$name" --ignore-not-found
        fi
    done < <(kget get pv -o 'jsonpath={range .items[*]}{.metadata.name}{"\t"}{.spec.claimRef.namespace}{"\t"}{.spec.claimRef.name}{"\t"}{.status.phase}{"\n"}{end}')
    for name in $(kget get pv -l "$LABEL" -o 'jsonpath={.items[*].metadata.name}'); do
        found=true
        run kubectl delete pv "$name" --ignore-not-found
    done
    [[ "$found" == true ]] || note "no PVs to delete"
}

step8_keycloak_clients() {
    step 8 "Keycloak clients"
    if [[ "$DELETE_KC_CLIENTS" == false ]]; then
        skipped "Keycloak clients kept (pass --delete-kc-clients to remove ${KC_CLIENTS[*]})"
        return
    fi
    local pod=$KC_POD
    if [[ -z "$pod" ]]; then
        if [[ "$DRY_RUN" == false ]]; then
            skipped "no pod of '$KEYCLOAK_RELEASE' found; Keycloak clients not deleted"
            return
        fi
        pod="<$KEYCLOAK_RELEASE pod>"
    fi
    # Runs inside the Keycloak pod with the admin credentials of its own
    # environment (Bitnami or upstream image variable names).
    local script
    script=$(cat <<'EOF'
set -e
realm=$1; shift
kcadm=$(command -v kcadm.sh || ls /opt/bitnami/keycloak/bin/kcadm.sh /opt/keycloak/bin/kcadm.sh 2>/dev/null | head -n 1)
cfg=/tmp/teardown-kcadm.config
user="${KEYCLOAK_ADMIN_USER:-${KEYCLOAK_ADMIN:-${KC_BOOTSTRAP_ADMIN_USERNAME:-admin}}}"
pass="${KEYCLOAK_ADMIN_PASSWORD:-${KC_BOOTSTRAP_ADMIN_PASSWORD:-}}"
"$kcadm" config credentials --config "$cfg" --server "http://localhost:${KEYCLOAK_HTTP_PORT:-8080}" \
  --realm master --user "$user" --password "$pass"
for client in "$@"; do
  id=$("$kcadm" get clients --config "$cfg" -r "$realm" -q "clientId=$client" --fields id --format csv --noquotes)
  if [ -n "$id" ]; then
    "$kcadm" delete "clients/$id" --config "$cfg" -r "$realm" && echo "deleted client $client"
  else
    echo "client $client not found"
  fi
done
rm -f "$cfg"
EOF
)
    run_with_stdin "$script" kubectl -n "$NAMESPACE" exec -i "$pod" -- \
        sh -s -- "$KEYCLOAK_REALM" "${KC_CLIENTS[@]}"
}

main() {
    parse_args "$@"
    check_tools
    discover
    LABEL="app.kubernetes.io/instance=$RELEASE"
    PVC_NAMES=""
    show_plan
    confirm
    step1_helm_uninstall
    step2_jobs
    step3_client_secrets
    step4_sweep
    step5_database
    step6_pvcs
    step7_pvs
    step8_keycloak_clients
    summary
}

summary() {
    echo
    echo "Summary ($([[ "$DRY_RUN" == true ]] && echo "dry run: would have run" || echo "ran")):"
    local line
    for line in "${DONE[@]}"; do echo "  done     $line"; done
    for line in "${SKIPPED[@]}"; do echo "  skipped  $line"; done
    if [[ "$DRY_RUN" == true ]]; then
        echo "Dry run finished; nothing was changed."
    else
        echo "Teardown of '$RELEASE' finished."
    fi
}

main "$@"
