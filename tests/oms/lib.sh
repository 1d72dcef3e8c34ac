# Shared helpers for the OMS tests: each runs in a fresh scratch directory
# with the real modelseal binary ($MODELSEAL) and a copy of the vectors.
# The scratch directory, run, expect_in, expect_not_in and fail come from
# the CLI tests' helpers; HERE is this directory.
. "$MS_SRC/tests/cli/lib.sh"
HERE="$MS_SRC/tests/oms"
V="$HERE/vectors"
K=keys/signing-key-pub.pem

# A writable copy of the vectors in $WORK/vectors.
copy_vectors() {
  cp -R "$V" "$WORK/vectors"
  chmod -R u+w "$WORK/vectors"
}

# bundle_edit SIG PYTHON-STATEMENTS: rewrite the bundle SIG in place; `b` is
# the parsed bundle, `payload` the decoded payload bytes (written back).
bundle_edit() {
  "$PY" - "$1" "$2" <<'PYEOF'
import base64, json, sys
path, code = sys.argv[1], sys.argv[2]
b = json.load(open(path))
env = b.get("dsseEnvelope", {})
payload = base64.b64decode(env["payload"]) if "payload" in env else b""
sig = base64.b64decode(env["signatures"][0]["sig"]) if env.get("signatures") else b""
exec(code)
if "payload" in env and isinstance(payload, bytes):
    env["payload"] = base64.b64encode(payload).decode()
if env.get("signatures") and isinstance(sig, bytes) and sig:
    env["signatures"][0]["sig"] = base64.b64encode(sig).decode()
open(path, "w").write(json.dumps(b))
PYEOF
}
