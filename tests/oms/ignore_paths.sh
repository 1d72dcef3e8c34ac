#!/usr/bin/env bash
# --ignore-paths for verify-oms and sign-oms: an absolute path inside the
# model is used; an absolute path outside it, a `..` escape and the empty
# string are usage errors (exit 2, one line naming the path), never a crash.
. "$MS_SRC/tests/oms/lib.sh"
copy_vectors
D="$WORK/vectors/v1.0.1-elliptic-key"
KEY="$WORK/vectors/$K"
mkdir -p model/scratch
printf 'w' >model/w.bin
printf 's' >model/scratch/tmp
"$M" keygen -o k --algorithm ecdsa-p256 --unencrypted >/dev/null

# usage_err TEXT CMD...: exit 2, one line on stderr holding TEXT, nothing on stdout.
usage_err() {
  local text=$1
  shift
  run 2 "$M" "$@"
  expect_in err "$text"
  [ "$(wc -l <"$WORK/.err")" -eq 1 ] || fail "usage error is not one line: $*"
  [ ! -s "$WORK/.out" ] || fail "a usage error printed on stdout: $*"
}

verify=(verify-oms "$D" --signature "$D/model.sig" --key "$KEY")
sign=(sign-oms model --key k.key -o out.sig)

# An absolute path outside the model.
usage_err "modelseal verify-oms: --ignore-paths '/etc/passwd': '/etc/passwd' is not inside the model '$D'" \
  "${verify[@]}" --ignore-paths /etc/passwd
usage_err "modelseal sign-oms: --ignore-paths '/etc/passwd': '/etc/passwd' is not inside the model 'model'" \
  "${sign[@]}" --ignore-paths /etc/passwd
[ ! -e out.sig ] || fail "sign-oms wrote a signature after a usage error"
# ... one that does not exist, and the model's own parent.
usage_err "'/nonexistent/x' is not inside the model" "${verify[@]}" --ignore-paths /nonexistent/x
usage_err "'$WORK' is not inside the model 'model'" "${sign[@]}" --ignore-paths "$WORK"
# ... in a list, after a good entry.
usage_err "--ignore-paths '/tmp': '/tmp' is not inside the model" \
  "${verify[@]}" --ignore-paths ignore-me,/tmp

# `..` escapes: relative (to here and to the model), absolute.
usage_err "--ignore-paths '../x': '../x' is not inside the model 'model'" \
  "${sign[@]}" --ignore-paths ../x
usage_err "--ignore-paths 'scratch/../../x': 'scratch/../../x' is not inside the model" \
  "${verify[@]}" --ignore-paths scratch/../../x
usage_err "--ignore-paths '../model/../../x': '../model/../../x' is not inside the model 'model'" \
  "${sign[@]}" --ignore-paths ../model/../../x
usage_err "--ignore-paths '$D/../x': '$D/../x' is not inside the model" \
  "${verify[@]}" --ignore-paths "$D/../x"
usage_err "--ignore-paths '$WORK/model/..': '$WORK/model/..' is not inside the model" \
  "${sign[@]}" --ignore-paths "$WORK/model/.."
# The model itself.
usage_err "--ignore-paths '$WORK/model': '$WORK/model' is the model itself" \
  "${sign[@]}" --ignore-paths "$WORK/model"

# The empty string, alone and in a list.
usage_err "--ignore-paths '' has an empty entry" "${verify[@]}" --ignore-paths ''
usage_err "--ignore-paths '' has an empty entry" "${sign[@]}" --ignore-paths ''
usage_err "--ignore-paths 'scratch,' has an empty entry" "${sign[@]}" --ignore-paths scratch,
[ ! -e out.sig ] || fail "sign-oms wrote a signature after a usage error"

# An absolute path inside the model is that path.
run 0 "$M" "${verify[@]}" --ignore-paths "$D/ignore-me"
expect_in out "ignored:   ignore-me model.sig"
run 0 "$M" "${sign[@]}" --ignore-paths "$WORK/model/scratch"
expect_in out "signed model: 1 file,"
run 0 "$M" verify-oms model --signature out.sig --key k.pub
expect_in out "ignored:   scratch"
"$PY" - out.sig <<'PYEOF'
import base64, json, sys
b = json.load(open(sys.argv[1]))
s = json.loads(base64.b64decode(b["dsseEnvelope"]["payload"]))
ign = s["predicate"]["serialization"]["ignore_paths"]
assert ign == [".git", ".gitattributes", ".github", ".gitignore", "scratch"], ign
PYEOF
echo "oms ignore paths: ok"
