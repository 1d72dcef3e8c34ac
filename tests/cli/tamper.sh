#!/usr/bin/env bash
# tamper.sh CASE STATUS MESSAGE: a tampered bundle is refused with STATUS and MESSAGE.
. "$MS_SRC/tests/cli/lib.sh"
case_name=$1
want_status=$2
want_message=$3

setup_bundle
run 0 "$M" verify b.mseal --trust alice.pub
extra=()
case "$case_name" in
  foreign-signature|smuggle-provenance)
    mkdir other && cp model/model.safetensors other/
    "$M" pack other -o other.mseal --key alice.key --name other --version 2.0.0 >/dev/null
    extra=(other=other.mseal) ;;
  format-2|no-format|resign-extra-subject|filepath=*|format=*|metadata-name|metadata=*)
    extra=(key=alice.key) ;;
esac

case "$case_name" in
  truncate)
    size=$(stat -c %s b.mseal)
    head -c $((size / 2)) b.mseal >t.mseal ;;
  truncate-header)
    head -c 700 b.mseal >t.mseal ;;
  empty)
    : >t.mseal ;;
  not-a-tar)
    cp model/config.json t.mseal ;;
  gzip)
    gzip -c b.mseal >t.mseal ;;
  wrong-key)
    cp b.mseal t.mseal
    "$M" keygen -o mallory >/dev/null ;;
  *)
    "$PY" "$HERE/bundle_tool.py" tamper b.mseal t.mseal "$case_name" "${extra[@]}" ;;
esac

trust=alice.pub
[ "$case_name" = wrong-key ] && trust=mallory.pub
run "$want_status" "$M" verify t.mseal --trust "$trust"
expect_in out "$want_message"
[ "$want_status" -eq 1 ] && expect_in out "result: REJECTED"

# The JSON report lists the same failure, and unpack refuses without writing anything.
run "$want_status" "$M" verify t.mseal --trust "$trust" --json
"$PY" - "$WORK/.out" "$want_status" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verified"] is False
assert r["status"] == ("rejected" if sys.argv[2] == "1" else "error"), r["status"]
if sys.argv[2] == "1":
    assert r["failures"] >= 1 and any(not c["ok"] for c in r["checks"])
PY
expect_in out "$(printf '%s' "$want_message" | sed 's/"/\\"/g')"
run "$want_status" "$M" unpack t.mseal -o dest --trust "$trust"
[ ! -e dest ] || fail "unpack of a rejected bundle created its target"
echo "tamper $case_name: ok"
