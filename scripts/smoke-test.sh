#!/usr/bin/env bash
# The deployment guide's smoke test: create a policy, activate it, create a request, approve its task, and
# check that the request ended approved. Uses the seed's dev-mode admin token, so it runs against a dev-mode
# stack (docker compose up) only; a stack that verifies tokens answers 401.
#
#   scripts/smoke-test.sh                         # against http://localhost:8000
#   scripts/smoke-test.sh https://awe.example.org TOKEN   # another host, a real token with AWE_ADMIN
#
# Needs curl and jq. Exit code 0 and "smoke test passed" when everything worked.
set -euo pipefail

BASE=${1:-http://localhost:8000}
# Dev token with the AWE_ADMIN role (sub dev-admin), accepted by dev-mode auth.
TOKEN=${2:-'eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJkZXYtYWRtaW4iLCJlbWFpbCI6ImRldkBsb2NhbCIsInJlYWxtX2FjY2VzcyI6eyJyb2xlcyI6WyJBV0VfQURNSU4iXX19.'}
# A fresh policy key per run, so the test can be repeated on the same database.
KEY="demo.v1.$(date +%s)"

api() {
    local method=$1 path=$2 body=${3:-}
    local args=(-sS --fail-with-body -X "$method" "$BASE/v1/awe$path" -H "authorization: Bearer $TOKEN")
    [[ -z "$body" ]] || args+=(-H 'content-type: application/json' -d "$body")
    curl "${args[@]}"
}

echo "1. create policy $KEY"
api POST /policies '{
  "policy_key": "'"$KEY"'",
  "name": "Demo approval",
  "artifact_type": "demo.artifact",
  "stages": [{
    "name": "Demo stage",
    "stage_order": 1,
    "mode": "any-n",
    "mode_value": 1,
    "rules": [{"rule_type": "user", "rule_value": {"user_id": "u-alice"}}]
  }]
}' >/dev/null

echo "2. activate it"
api POST "/policies/$KEY/versions/1/activate" >/dev/null

echo "3. create a request"
CREATED=$(api POST /requests '{
  "policy_key": "'"$KEY"'",
  "artifact_type": "demo.artifact",
  "artifact_id": "demo-1",
  "context": {}
}')
REQUEST_ID=$(jq -r '.request_id' <<<"$CREATED")
TASK_ID=$(jq -r '.tasks[0].id' <<<"$CREATED")
echo "   request $REQUEST_ID ($(jq -r '.status' <<<"$CREATED")), task $TASK_ID"

echo "4. approve the task"
api POST "/tasks/$TASK_ID/decision" '{"action": "approve"}' >/dev/null

echo "5. check the request"
STATUS=$(api GET "/requests/$REQUEST_ID" | jq -r '.status')
echo "   status: $STATUS"
[[ "$STATUS" == approved ]] || { echo "smoke test FAILED: expected approved" >&2; exit 1; }
echo "smoke test passed"
