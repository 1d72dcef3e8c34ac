# Shared helpers for the OMS tests: each runs in a fresh scratch directory
# with the real modelseal binary ($MODELSEAL) and a copy of the vectors.
set -euo pipefail

PY=/usr/bin/python3
M="$MODELSEAL"
HERE="$MS_SRC/tests/oms"
V="$HERE/vectors"
K=keys/signing-key-pub.pem

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ms-oms.XXXXXX")
trap 'chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
cd "$WORK"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# run EXPECTED_STATUS CMD...: run it; stdout in .out, stderr in .err, both in .all.
run() {
  local want=$1
  shift
  set +e
  "$@" >"$WORK/.out" 2>"$WORK/.err"
  local got=$?
  set -e
  cat "$WORK/.out" "$WORK/.err" >"$WORK/.all"
  if [ "$got" -ne "$want" ]; then
    echo "--- stdout" >&2; cat "$WORK/.out" >&2
    echo "--- stderr" >&2; cat "$WORK/.err" >&2
    fail "'$*' exited $got, expected $want"
  fi
}

# expect_in out|err|all TEXT: the output contains TEXT literally.
expect_in() {
  grep -qF -- "$2" "$WORK/.$1" || {
    echo "--- $1:" >&2; cat "$WORK/.$1" >&2
    fail "$1 does not contain: $2"
  }
}

expect_not_in() {
  if grep -qF -- "$2" "$WORK/.$1"; then
    echo "--- $1:" >&2; cat "$WORK/.$1" >&2
    fail "$1 contains: $2"
  fi
}

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
