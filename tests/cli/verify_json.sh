#!/usr/bin/env bash
# verify --json for pipelines: whatever happens (usage errors, an unusable
# trust file or policy, an unreadable, rejected or verified bundle), stdout
# holds exactly one JSON report whose status and exitStatus agree with the
# exit status, and which validates against schemas/verify-report-v2.
. "$MS_SRC/tests/cli/lib.sh"
setup_bundle
"$M" keygen -o bob >/dev/null
head -c 3000 b.mseal >truncated.mseal
echo '{"trustVersion": 1, "keys": 7}' >bad-trust.json
echo '{"policyVersion": 1, "mode": "enforce", "licenses": {"allow": ["MIT"]}}' >deny.json
echo '{"policyVersion": 1, "mode": "audit", "licenses": {"allow": ["MIT"]}}' >audit.json
echo '{"policyVersion": 1, "mode": "enforce", "licenses": {"alow": ["MIT"]}}' >invalid.json
echo '{"policyVersion": 1, "mode": "enforce", "expires": "2020-01-01T00:00:00Z"}' >expired.json
echo '{"policyVersion": 1, "mode": "enforce", "licenses": {"allowClasses": ["permissive"]}}' >ok.json
"$M" policy sign ok.json --key alice.key -o ok.dsse.json >/dev/null

# name | expected exit | arguments after "verify" (--json is added)
cat >cases.txt <<'CASES'
usage-option|2|b.mseal --trust alice.pub --bogus
usage-no-bundle|2|--trust alice.pub
usage-no-trust|2|b.mseal
usage-at|2|b.mseal --trust alice.pub --at yesterday
usage-value|2|b.mseal --trust alice.pub --at
usage-policy-key|2|b.mseal --trust alice.pub --policy-key alice.pub
usage-extra|2|b.mseal other.mseal --trust alice.pub
trust-missing|3|b.mseal --trust missing.pub
trust-invalid|3|b.mseal --trust bad-trust.json
policy-missing|3|b.mseal --trust alice.pub --policy missing.json
policy-invalid|3|b.mseal --trust alice.pub --policy invalid.json
policy-expired|3|b.mseal --trust alice.pub --policy expired.json
policy-wrong-key|3|b.mseal --trust alice.pub --policy ok.dsse.json --policy-key bob.pub
policy-unsigned|3|b.mseal --trust alice.pub --policy ok.json --policy-key alice.pub
bundle-missing|3|missing.mseal --trust alice.pub
bundle-truncated|3|truncated.mseal --trust alice.pub
bundle-wrong-key|1|b.mseal --trust bob.pub
bundle-wrong-key-policy|1|b.mseal --trust bob.pub --policy ok.json
policy-rejects|1|b.mseal --trust alice.pub --policy deny.json
policy-audit|0|b.mseal --trust alice.pub --policy audit.json
policy-signed|0|b.mseal --trust alice.pub --policy ok.dsse.json --policy-key alice.pub
verified|0|b.mseal --trust alice.pub
CASES

n=0
while IFS='|' read -r name want args; do
  n=$((n + 1))
  # shellcheck disable=SC2086
  run "$want" "$M" verify $args --json
  "$PY" - "$MS_SRC/schemas/verify-report-v2.schema.json" "$WORK/.out" "$want" "$name" <<'PY'
import json, sys
import jsonschema
schema, out, want, name = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
text = open(out).read()
try:
    doc = json.loads(text)  # exactly one document: trailing data would raise
except ValueError as e:
    sys.exit(f"{name}: stdout is not one JSON document ({e}): {text!r}")
errors = [e.message for e in jsonschema.Draft202012Validator(json.load(open(schema))).iter_errors(doc)]
assert not errors, (name, errors)
status = {0: "verified", 1: "rejected", 2: "error", 3: "error"}[want]
assert doc["exitStatus"] == want, (name, doc["exitStatus"], want)
assert doc["status"] == status, (name, doc["status"], status)
assert doc["verified"] == (want == 0), name
if status == "error":
    assert doc["error"], name
PY
done <cases.txt
# The message is the one printed on stderr.
run 2 "$M" verify b.mseal --trust alice.pub --bogus --json
expect_in out '"error":	"unknown option '"'"'--bogus'"'"'"'
run 3 "$M" verify b.mseal --trust alice.pub --policy invalid.json --json
expect_in out 'licenses.alow: unknown field (did you mean'
run 1 "$M" verify b.mseal --trust bob.pub --policy ok.json --json
expect_in out '"state":	"not-run"'
# A verified bundle's structured summary.
run 0 "$M" verify b.mseal --trust alice.pub --json
"$PY" - "$WORK/.out" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
assert s["license"] == {"declared": "Apache-2.0", "declaredClasses": ["attribution"],
                        "concluded": "Apache-2.0", "inheritedClasses": [], "conflicts": 0}, s
assert s["compression"] is None, s
assert s["lineage"] == {"baseModels": [], "datasets": []}, s
PY
echo "verify --json: $n exit paths, one JSON report each"
