#!/usr/bin/env bash
# Real output validates against schemas/ (python3-jsonschema, an independent checker).
. "$MS_SRC/tests/cli/lib.sh"
setup_bundle
"$M" verify b.mseal --trust alice.pub --json >ok.json
"$PY" "$HERE/bundle_tool.py" tamper b.mseal t.mseal weights
set +e; "$M" verify t.mseal --trust alice.pub --json >bad.json; set -e
head -c 900 b.mseal >trunc.mseal
set +e; "$M" verify trunc.mseal --trust alice.pub --json >err.json; set -e
"$M" inspect b.mseal --json >inspect.json
"$M" inspect t.mseal --json >inspect-bad.json
"$PY" - "$MS_SRC/schemas" b.mseal <<'PY'
import base64, json, sys, tarfile
import jsonschema
d = sys.argv[1]
def check(schema, doc, want_valid=True):
    s = json.load(open(f"{d}/{schema}"))
    jsonschema.Draft202012Validator.check_schema(s)
    errors = list(jsonschema.Draft202012Validator(s).iter_errors(doc))
    assert (not errors) == want_valid, (schema, [e.message for e in errors])
for f in ("ok.json", "bad.json", "err.json"):
    check("verify-report-v2.schema.json", json.load(open(f)))
assert json.load(open("err.json"))["status"] == "error"
assert json.load(open("bad.json"))["status"] == "rejected"
for f in ("inspect.json", "inspect-bad.json"):
    check("inspect-v1.schema.json", json.load(open(f)))
# The metadata layer of the bundle itself.
with tarfile.open(sys.argv[2]) as t:
    blobs = {m.name: t.extractfile(m).read() for m in t.getmembers()}
idx = json.loads(blobs["index.json"])
man = json.loads(blobs["blobs/sha256/" + idx["manifests"][0]["digest"][7:]])
meta = [l for l in man["layers"] if l["mediaType"] == "application/vnd.modelseal.metadata.v1+json"]
doc = json.loads(blobs["blobs/sha256/" + meta[0]["digest"][7:]])
check("metadata-v1.schema.json", doc)
# The schemas are not vacuous.
check("metadata-v1.schema.json", dict(doc, version="v1"), want_valid=False)
check("metadata-v1.schema.json", dict(doc, extra=1), want_valid=False)
check("verify-report-v2.schema.json", dict(json.load(open("ok.json")), status="fine"), want_valid=False)
PY
echo "schemas: ok"
