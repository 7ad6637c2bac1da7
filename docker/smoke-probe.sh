#!/usr/bin/env bash
# End-to-end probe of a running compose stack: the sample data was ingested at start-up, and a
# customer can register, be checked, get a loan and see it.
#
#   ../shared/tools/compose-smoke . -- 'bash docker/smoke-probe.sh'    # podman stand-ins
#   bash docker/smoke-probe.sh                                        # a stack started with
#                                                                     # docker compose up -d
#
# Uses SMOKE_URL (default http://127.0.0.1:${WEB_PORT:-8000}) and, when SMOKE_PROJECT is set
# (compose-smoke), `podman-compose -p $SMOKE_PROJECT`, else `docker compose`, to look inside the
# web container. INGEST_TIMEOUT (default 300 s) bounds the wait for the sample ingestion.
# README_EXAMPLES=update records the stack's answers into README.md instead of checking them
# (scripts/check_readme_examples.py --update), e.g.
#   ../shared/tools/compose-smoke . -- 'README_EXAMPLES=update bash docker/smoke-probe.sh'
set -euo pipefail

URL=${SMOKE_URL:-http://127.0.0.1:${WEB_PORT:-8000}}
INGEST_TIMEOUT=${INGEST_TIMEOUT:-300}
if [ -n "${SMOKE_PROJECT:-}" ]; then
    COMPOSE=(podman-compose -p "$SMOKE_PROJECT")
else
    COMPOSE=(docker compose)
fi

ok() { printf 'ok    %s\n' "$*"; }
die() { printf 'FAIL  %s\n' "$*" >&2; exit 1; }

# api METHOD PATH [JSON [HEADER]]: sets STATUS, BODY and REPLAYED (the Idempotent-Replayed
# header's value, empty when absent)
api() {
    local out headers
    out=$(mktemp)
    headers=$(mktemp)
    STATUS=$(curl -sS --noproxy '*' --max-time 30 -o "$out" -D "$headers" -w '%{http_code}' \
        -X "$1" -H 'Content-Type: application/json' ${4:+-H "$4"} ${3:+--data "$3"} \
        "$URL$2") || STATUS=000
    BODY=$(cat "$out")
    REPLAYED=$(tr -d '\r' < "$headers" | sed -n 's/^[Ii]dempotent-[Rr]eplayed: //p')
    rm -f "$out" "$headers"
}
expect() {  # expect STATUS WHAT
    [ "$STATUS" = "$1" ] || die "$2: HTTP $STATUS, expected $1: $BODY"
}
# field JSON PYTHON-EXPRESSION over `d` (the parsed body)
field() { python3 -c 'import json, sys; d = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }
# in_web PYTHON: runs PYTHON in the web container's Django shell; prints its PROBE line
in_web() {
    "${COMPOSE[@]}" exec -T web python manage.py shell -c "$1" 2>/dev/null | sed -n 's/^PROBE //p'
}

# --- 1. the service answers ------------------------------------------------------------------
api GET /health
expect 200 "GET /health"
ok "GET /health -> $BODY"

api GET /docs
expect 200 "GET /docs"
asset=$(printf '%s' "$BODY" | grep -o '/static/[^"]*\.js' | head -n1 || true)
[ -n "$asset" ] || die "the docs page names no /static/ script"
code=$(curl -sS --noproxy '*' -o /dev/null -w '%{http_code}' "$URL$asset")
[ "$code" = 200 ] || die "docs asset $asset: HTTP $code (collectstatic / whitenoise)"
ok "GET /docs -> 200, its asset $asset served by the service -> 200"

api GET /health/live
expect 200 "GET /health/live"
api GET /health/ready
expect 200 "GET /health/ready"
ok "GET /health/live -> 200, GET /health/ready -> 200 $BODY"

# /metrics: refused through the published port, served inside the container.
api GET /metrics
expect 403 "GET /metrics through the published port"
metrics=$("${COMPOSE[@]}" exec -T web python -c "import urllib.request as u; print(u.urlopen('http://127.0.0.1:8000/metrics').read().decode())" 2>&1) ||
    die "GET /metrics inside web: $metrics"
printf '%s\n' "$metrics" | grep -q '^credit_http_requests_total{endpoint="health-ready",method="GET",status="200"}' ||
    die "GET /metrics inside web lacks the request counter: $(printf '%s' "$metrics" | head -n 20)"
printf '%s\n' "$metrics" | grep -q '^credit_database_up 1' || die "/metrics: credit_database_up is not 1"
ok "GET /metrics -> 403 through the published port, 200 inside web ($(printf '%s\n' "$metrics" | grep -c '^credit_') credit_ samples)"

# Each service's own health check, run now: podman runs compose health checks only on demand
# (no systemd here) and drops the image's HEALTHCHECK (OCI format), so web's is run by hand.
if [ -n "${SMOKE_PROJECT:-}" ]; then
    for service in db redis worker; do
        deadline=$((SECONDS + 90))     # the worker may still be starting when web answers
        until out=$(podman healthcheck run "${SMOKE_PROJECT}_${service}_1" 2>&1); do
            ((SECONDS < deadline)) || die "health check of $service: ${out:-unhealthy}"
            sleep 3
        done
    done
    out=$("${COMPOSE[@]}" exec -T web python /app/docker/healthcheck.py live 2>&1) ||
        die "health check of web (live): $out"
    out=$("${COMPOSE[@]}" exec -T web python /app/docker/healthcheck.py ready 2>&1) ||
        die "health check of web (ready): $out"
    ok "health checks of db, redis and worker pass; web's: $(printf '%s' "$out" | tail -n1)"
fi

# --- 2. the sample data was ingested at start-up ---------------------------------------------
if ! "${COMPOSE[@]}" exec -T web python manage.py help ingest_data >/dev/null 2>&1; then
    [ -z "${REQUIRE_INGESTION:-}" ] || die "no ingest_data command in the image"
    printf 'SKIP  sample ingestion: no ingest_data command in this build\n'
else
    state_py='
import json
from django.db import connection
with connection.cursor() as c:
    c.execute("SELECT status, coalesce(rows_read, 0), coalesce(rows_inserted, 0), error_report::text FROM ingestion_runs ORDER BY id")
    runs = c.fetchall()
    c.execute("SELECT count(*) FROM customers")
    customers = c.fetchone()[0]
    c.execute("SELECT count(*) FROM loans")
    loans = c.fetchone()[0]
    c.execute("SELECT customer_id, loan_id FROM loans WHERE is_active ORDER BY loan_id LIMIT 1")
    active = c.fetchone()
print("PROBE " + json.dumps({"runs": runs, "customers": customers, "loans": loans, "active": active}))
'
    deadline=$((SECONDS + INGEST_TIMEOUT))
    while :; do
        state=$(in_web "$state_py" || true)
        if [ -n "$state" ]; then
            if [ "$(field "$state" 'any(r[0] == "succeeded" for r in d["runs"])')" = True ]; then
                break
            fi
            if [ "$(field "$state" 'bool(d["runs"]) and d["runs"][-1][0] == "failed"')" = True ]; then
                die "sample ingestion failed: $state"
            fi
        fi
        ((SECONDS < deadline)) || die "no succeeded ingestion run within ${INGEST_TIMEOUT}s: ${state:-no answer}"
        sleep 3
    done
    ok "sample data ingested at start-up: $(field "$state" '[r[:3] for r in d["runs"]]') (status, rows read, rows inserted); customers=$(field "$state" 'd["customers"]') loans=$(field "$state" 'd["loans"]')"
    [ "$(field "$state" 'd["customers"] > 0 and d["loans"] > 0')" = True ] || die "tables empty: $state"

    # A second start enqueues nothing: restart web, whose entrypoint runs
    # `ingest_data --unless-succeeded` again, and count the runs.
    runs_before=$(field "$state" 'len(d["runs"])')
    "${COMPOSE[@]}" restart web >/dev/null 2>&1 || die "could not restart web"
    deadline=$((SECONDS + 180))
    sleep 2
    until api GET /health && [ "$STATUS" = 200 ]; do
        ((SECONDS < deadline)) || die "web did not answer after its restart: HTTP $STATUS"
        sleep 2
    done
    runs_after=$(field "$(in_web "$state_py")" 'len(d["runs"])')
    [ "$runs_after" = "$runs_before" ] || die "the restarted web enqueued another ingestion run"
    ok "web restarted: /health 200 again, still $runs_after ingestion run(s) (nothing enqueued)"

    if [ "$(field "$state" 'd["active"] is not None')" = True ]; then
        sample_customer=$(field "$state" 'd["active"][0]')
        sample_loan=$(field "$state" 'd["active"][1]')
        api GET "/view-loans/$sample_customer"
        expect 200 "GET /view-loans/$sample_customer"
        [ "$(field "$BODY" "any(l['loan_id'] == $sample_loan for l in d)")" = True ] ||
            die "GET /view-loans/$sample_customer lacks ingested loan $sample_loan: $BODY"
        ok "GET /view-loans/$sample_customer (ingested) -> $(field "$BODY" 'len(d)') active loans, incl. $sample_loan"
        api GET "/view-loan/$sample_loan"
        expect 200 "GET /view-loan/$sample_loan"
        ok "GET /view-loan/$sample_loan (ingested) -> $BODY"
    fi
fi

# --- 3. the README's examples, as printed, on the fresh stack --------------------------------
# Before this probe registers anyone, so that the answers are the ones a newcomer gets.
readme_check=(python3 "$(dirname "$0")/../scripts/check_readme_examples.py" "$URL")
if [ -n "${SMOKE_PROJECT:-}" ]; then
    # The README's `docker compose ...` examples run against this podman-compose stack: exec
    # without a terminal, and the progress lines of the other subcommands to stderr (as docker
    # compose prints them), so that only the answers reach stdout. (The examples run in a
    # temporary directory: the compose file is named.)
    SMOKE_COMPOSE_FILE="$(cd "$(dirname "$0")/.." && pwd)/docker-compose.yml"
    export SMOKE_COMPOSE_FILE
    docker() {
        if [ "${1:-}" != compose ]; then command docker "$@"; return; fi
        shift
        if [ "${1:-}" = exec ]; then
            shift
            podman-compose -p "$SMOKE_PROJECT" -f "$SMOKE_COMPOSE_FILE" exec -T "$@"
        else
            podman-compose -p "$SMOKE_PROJECT" -f "$SMOKE_COMPOSE_FILE" "$@" >&2
        fi
    }
    export -f docker
fi
if [ "${README_EXAMPLES:-check}" = update ]; then
    "${readme_check[@]}" --update || die "the README's examples could not be recorded"
    ok "README examples recorded from the stack into README.md"
else
    "${readme_check[@]}" || die "the README's examples differ from the stack (diff above)"
    ok "README examples: every answer matches (scripts/check_readme_examples.py)"
fi

# --- 4. the API flow for a new customer ------------------------------------------------------
phone="9$(printf '%09d' $((RANDOM * 32768 + RANDOM)))"
api POST /register "{\"first_name\": \"Smoke\", \"last_name\": \"Probe\", \"age\": 30, \"monthly_income\": 50000, \"phone_number\": $phone}"
expect 201 "POST /register"
customer=$(field "$BODY" 'd["customer_id"]')
ok "POST /register -> 201 $BODY"

loan_request="{\"customer_id\": $customer, \"loan_amount\": 100000, \"interest_rate\": 12.5, \"tenure\": 12}"
api POST /check-eligibility "$loan_request"
expect 200 "POST /check-eligibility"
[ "$(field "$BODY" 'd["approval"]')" = True ] || die "a new customer's small loan is not eligible: $BODY"
ok "POST /check-eligibility -> 200 $BODY"

api POST /create-loan "$loan_request"
expect 201 "POST /create-loan"
loan=$(field "$BODY" 'd["loan_id"]')
ok "POST /create-loan -> 201 $BODY"


api GET "/view-loan/$loan"
expect 200 "GET /view-loan/$loan"
[ "$(field "$BODY" 'd["customer"]["id"]')" = "$customer" ] || die "view-loan names another customer: $BODY"
ok "GET /view-loan/$loan -> 200 $BODY"

api GET "/view-loans/$customer"
expect 200 "GET /view-loans/$customer"
[ "$(field "$BODY" "[l['loan_id'] for l in d]")" = "[$loan]" ] || die "view-loans: $BODY"
ok "GET /view-loans/$customer -> 200 $BODY"

api GET /view-loan/999999999999
expect 404 "GET /view-loan/<unknown>"
ok "GET /view-loan/999999999999 -> 404 $BODY"

# A retry with the same Idempotency-Key gets the first answer and books nothing more.
key="smoke-$phone"
keyed_request="{\"customer_id\": $customer, \"loan_amount\": 1000, \"interest_rate\": 12.5, \"tenure\": 6}"
api POST /create-loan "$keyed_request" "Idempotency-Key: $key"
expect 201 "POST /create-loan with an Idempotency-Key"
first_keyed=$BODY
api POST /create-loan "$keyed_request" "Idempotency-Key: $key"
expect 201 "POST /create-loan retried with its Idempotency-Key"
[ "$BODY" = "$first_keyed" ] || die "the retry's answer differs: $BODY vs $first_keyed"
[ "$REPLAYED" = true ] || die "the retry's answer lacks Idempotent-Replayed: true"
api POST /create-loan "{\"customer_id\": $customer, \"loan_amount\": 2000, \"interest_rate\": 12.5, \"tenure\": 6}" "Idempotency-Key: $key"
expect 422 "POST /create-loan with a reused Idempotency-Key"
api GET "/view-loans/$customer"
[ "$(field "$BODY" 'len(d)')" = 2 ] || die "the keyed requests booked other than one loan: $BODY"
ok "POST /create-loan with an Idempotency-Key: retry replayed ($(field "$first_keyed" 'd["loan_id"]')), another body -> 422"

# --- 5. optionally, the test suite inside the stack ------------------------------------------
if [ -n "${RUN_TESTS_IN_STACK:-}" ]; then
    log_file="${TMPDIR:-/tmp}/tests-in-stack.$$.log"
    # Built explicitly: `run` reuses an existing image of that name, however old.
    "${COMPOSE[@]}" --profile test build tests >"$log_file" 2>&1 ||
        { tail -n 40 "$log_file"; die "building the test image failed"; }
    status=0
    "${COMPOSE[@]}" --profile test run --rm tests -q --color=no >>"$log_file" 2>&1 || status=$?
    if [ -n "${SMOKE_PROJECT:-}" ]; then      # compose-smoke removes only the images it built
        podman rmi credit-approval-system:test >/dev/null 2>&1 || true
    fi
    [ "$status" = 0 ] || { tail -n 40 "$log_file"; die "the test suite failed inside the stack"; }
    ok "test suite inside the stack: $(grep -E '[0-9]+ passed' "$log_file" | tail -n1)"
fi

printf 'smoke probe: all checks passed\n'
