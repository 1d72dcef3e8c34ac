#!/usr/bin/env bash
# Trust files: roles, thresholds, expiry, revocation, unknown keys, --at; co-signing.
. "$MS_SRC/tests/cli/lib.sh"
T="$PY $HERE/bundle_tool.py"
make_model model
for k in alice bob carol dave; do "$M" keygen -o $k >/dev/null; done
run 0 "$M" pack model -o b.mseal --key alice.key --name tiny --version 1.0.0
manifest=$(sed -n 's/^manifest: //p' "$WORK/.out")

# Roles and thresholds: the packager alone does not meet an approver threshold.
$T trust-file trust.json alice.pub:packager bob.pub:approver dave.pub:auditor \
  threshold:packager=1 threshold:approver=1
run 1 "$M" verify b.mseal --trust trust.json
expect_in out "role 'approver' needs 1 valid signature by distinct trusted keys, has 0"
expect_in out "role:      approver: 0 valid of 1 required"
expect_in out "role:      packager: 1 valid of 1 required"

# bob approves: the model manifest is unchanged, the output deterministic.
run 0 "$M" sign b.mseal --key bob.key --role approver -o c.mseal
expect_in out "signed c.mseal as approver with key"
run 0 "$M" sign b.mseal --key bob.key --role approver -o c2.mseal
cmp c.mseal c2.mseal
run 0 "$M" inspect c.mseal
expect_in out "manifest:    $manifest"
run 0 "$M" verify c.mseal --trust trust.json
expect_in out "as approver: valid"
expect_in out "every role's threshold met"
expect_in out "result: VERIFIED"
run 0 "$M" verify c.mseal --trust trust.json --json
"$PY" - "$WORK/.out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
roles = {x["role"]: (x["required"], x["valid"]) for x in r["roles"]}
assert roles == {"packager": (1, 1), "approver": (1, 1)}, roles
assert sorted(s["role"] for s in r["signatures"]) == ["approver", "packager"]
PY
# Plain public keys still work: trusted for every role, one signature needed.
run 0 "$M" verify c.mseal --trust alice.pub

# The same key and role again: refused; a key signing twice counts once.
run 3 "$M" sign c.mseal --key bob.key --role approver -o d.mseal
expect_in err "already signed by key"
$T trust-file trust2.json alice.pub:packager bob.pub:approver threshold:approver=2
$T tamper c.mseal dup.mseal duplicate-envelope
run 1 "$M" verify dup.mseal --trust trust2.json
expect_in out "as approver: duplicate - this key already counted for this role"
expect_in out "role 'approver' needs 2 valid signatures by distinct trusted keys, has 1"

# Unknown keys are listed and do not count; a role the trust file does not give does not count.
run 0 "$M" sign c.mseal --key carol.key --role approver -o e.mseal
run 0 "$M" verify e.mseal --trust trust.json
expect_in out "untrusted-key"
run 0 "$M" sign b.mseal --key dave.key --role approver -o f.mseal
run 1 "$M" verify f.mseal --trust trust.json
expect_in out "as approver: role-not-allowed - the trust file does not allow this key the role 'approver'"

# Expiry, not-yet-valid and revocation, judged now or --at a given time.
$T trust-file exp.json alice.pub:packager:notAfter=2020-01-01T00_00_00Z
run 1 "$M" verify b.mseal --trust exp.json
expect_in out "as packager: expired - key expired on 2020-01-01T00:00:00Z"
run 0 "$M" verify b.mseal --trust exp.json --at 2019-06-01T00:00:00Z
$T trust-file nyv.json alice.pub:packager:notBefore=2999-01-01T00_00_00Z
run 1 "$M" verify b.mseal --trust nyv.json
expect_in out "not-yet-valid - key not valid before 2999-01-01T00:00:00Z"
run 0 "$M" verify b.mseal --trust nyv.json --at 2999-06-01T00:00:00+02:00
$T trust-file rev.json "alice.pub:packager:revokedAt=2024-03-01T00_00_00Z:revokedReason=key leaked"
run 1 "$M" verify b.mseal --trust rev.json
expect_in out "as packager: revoked - key revoked on 2024-03-01T00:00:00Z: key leaked"
run 0 "$M" verify b.mseal --trust rev.json --at 2024-02-01T00:00:00Z
# The epoch itself is a time like any other, not "now".
$T trust-file epoch.json alice.pub:packager:notBefore=2000-01-01T00_00_00Z
run 0 "$M" verify b.mseal --trust epoch.json
run 1 "$M" verify b.mseal --trust epoch.json --at 1970-01-01T00:00:00Z
expect_in out "not-yet-valid - key not valid before 2000-01-01T00:00:00Z"
run 1 "$M" audit b.mseal --trust epoch.json --at 1970-01-01T00:00:00Z
run 2 "$M" verify b.mseal --trust rev.json --at yesterday
expect_in err "--at 'yesterday' is not an RFC 3339 time"

# An approval taken from another bundle does not count here.
mkdir other && cp model/model.safetensors other/
"$M" pack other -o o.mseal --key alice.key --name other --version 2.0.0 >/dev/null
"$M" sign o.mseal --key bob.key --role approver >/dev/null
$T tamper b.mseal g.mseal transplant-approval other=o.mseal
run 1 "$M" verify g.mseal --trust trust.json
expect_in out "wrong-statement - approval of another model manifest"

# sign refuses a bundle that fails its own checks, and bad roles.
$T tamper b.mseal t.mseal weights
run 1 "$M" sign t.mseal --key bob.key --role approver -o x.mseal
expect_in err "refusing to sign a bundle that fails its own checks"
[ ! -e x.mseal ] || fail "sign wrote a refused bundle"
run 2 "$M" sign b.mseal --key bob.key --role Approver
expect_in err "invalid --role 'Approver'"
run 2 "$M" sign b.mseal --key bob.key
expect_in err "missing --role ROLE"

# Trust file errors name the field; schema agrees.
echo '{"trustVersion": 1, "keys": [], "treshold": {}}' >typo.json
run 3 "$M" verify b.mseal --trust typo.json
expect_in err "typo.json: unknown field 'treshold'"
"$PY" - alice.pub >badid.json <<'PY'
import json, sys
t = open(sys.argv[1]).read()
print(json.dumps({"trustVersion": 1, "keys": [{"keyid": "0" * 64, "algorithm": "ed25519",
      "publicKey": t, "roles": ["packager"]}]}))
PY
run 3 "$M" verify b.mseal --trust badid.json
expect_in err "keyid or algorithm does not match publicKey"
run 2 "$M" verify b.mseal --trust trust.json --trust exp.json
expect_in err "only one trust file may be given"
"$PY" - "$MS_SRC/schemas/trust-v1.schema.json" trust.json exp.json rev.json typo.json <<'PY'
import json, sys
import jsonschema
s = json.load(open(sys.argv[1]))
v = jsonschema.Draft202012Validator(s)
for f in sys.argv[2:5]:
    errs = [e.message for e in v.iter_errors(json.load(open(f)))]
    assert not errs, (f, errs)
assert list(v.iter_errors(json.load(open(sys.argv[5]))))
PY
echo "trust: ok"
