#!/usr/bin/env bash
# Signatures that cannot be read, keys that cannot be used, missing files:
# exit 3 naming the file and field.  Usage errors: exit 2, one line.
. "$MS_SRC/tests/oms/lib.sh"
copy_vectors
cd vectors
D=v1.1.0-elliptic-key

# bad CASE_NAME PYTHON TEXT: edit a copy of the v1.1.0 bundle, expect exit 3 and TEXT.
bad() {
  cp "$D/model.sig" "$WORK/$1.sig"
  bundle_edit "$WORK/$1.sig" "$2"
  run 3 "$M" verify-oms "$D" --signature "$WORK/$1.sig" --key "$K"
  expect_in err "modelseal verify-oms: $WORK/$1.sig"
  expect_in err "$3"
  [ ! -s "$WORK/.out" ] || fail "$1: a could-not-check result printed a report"
}

bad no-envelope 'del b["dsseEnvelope"]' "missing field 'dsseEnvelope'"
bad message-signature 'del b["dsseEnvelope"]; b["messageSignature"] = {}' \
  "holds a messageSignature, not a dsseEnvelope"
bad no-media-type 'del b["mediaType"]' "missing field 'mediaType'"
bad bundle-v02 'b["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.2"' \
  "Sigstore bundle media type 'application/vnd.dev.sigstore.bundle+json;version=0.2' is not supported"
bad not-a-bundle 'b["mediaType"] = "text/plain"' "mediaType 'text/plain' is not a Sigstore bundle"
bad no-payload 'del env["payload"]' "dsseEnvelope: missing field 'payload'"
bad no-payload-type 'del env["payloadType"]' "dsseEnvelope: missing field 'payloadType'"
bad payload-type 'env["payloadType"] = "text/plain"' "payloadType 'text/plain' is not 'application/vnd.in-toto+json'"
bad no-signatures 'del env["signatures"]' "dsseEnvelope: missing field 'signatures'"
bad zero-signatures 'env["signatures"] = []; sig = b""' "field 'signatures' is empty"
bad two-signatures 'env["signatures"].append(dict(env["signatures"][0]))' \
  "2 signatures; an OMS signature holds exactly one"
bad sig-not-base64 'env["signatures"][0]["sig"] = "not base64!"; sig = b""' \
  "signatures[0]: field 'sig' is not valid base64"
bad payload-not-base64 'env["payload"] = "%%%"; payload = None' "field 'payload' is not valid base64"
bad material-type 'b["verificationMaterial"] = []' "'verificationMaterial' is not an object"

# Not JSON at all, or not an object.
head -c 200 "$D/model.sig" >"$WORK/truncated.sig"
run 3 "$M" verify-oms "$D" --signature "$WORK/truncated.sig" --key "$K"
expect_in err "truncated.sig: invalid JSON near byte"
: >"$WORK/empty.sig"
run 3 "$M" verify-oms "$D" --signature "$WORK/empty.sig" --key "$K"
expect_in err "empty.sig: empty document"
echo '[1]' >"$WORK/array.sig"
run 3 "$M" verify-oms "$D" --signature "$WORK/array.sig" --key "$K"
expect_in err "array.sig: not a JSON object"
"$PY" -c 'import sys; s = open(sys.argv[1]).read(); open(sys.argv[2], "w").write(s[:-1] + ", \"mediaType\": \"x\"}")' \
  "$D/model.sig" "$WORK/dup.sig"
run 3 "$M" verify-oms "$D" --signature "$WORK/dup.sig" --key "$K"
expect_in err "duplicate"

# --json still reports a could-not-check result, on stdout.
run 3 "$M" verify-oms "$D" --signature "$WORK/empty.sig" --key "$K" --json
"$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["result"]=="not-checked" and r["exit_status"]==3 and "empty document" in r["message"], r' "$WORK/.out"

# Missing and unreadable files.
run 3 "$M" verify-oms "$D" --signature "$WORK/none.sig" --key "$K"
expect_in err "none.sig: cannot open"
run 3 "$M" verify-oms nothing-here --signature "$D/model.sig" --key "$K"
expect_in err "nothing-here"
run 3 "$M" verify-oms "$D" --signature "$D/model.sig" --key "$WORK/none.pem"
expect_in err "none.pem: cannot open"
echo "not a key" >"$WORK/junk.pem"
run 3 "$M" verify-oms "$D" --signature "$D/model.sig" --key "$WORK/junk.pem"
expect_in err "junk.pem"
"$M" keygen -o ed --unencrypted >/dev/null
run 3 "$M" verify-oms "$D" --signature "$D/model.sig" --key ed.pub
expect_in err "ed.pub: an ed25519 key; OMS signatures use ECDSA keys (P-256 or P-384)"
if [ "$(id -u)" -ne 0 ]; then
  chmod 000 "$D/signme-2"
  run 3 "$M" verify-oms "$D" --signature "$D/model.sig" --key "$K"
  expect_in err "signme-2: cannot open"
  chmod 644 "$D/signme-2"
fi

# Usage errors: exit 2, one line on stderr.
usage() {
  local text=$1
  shift
  run 2 "$M" "$@"
  expect_in err "$text"
  [ "$(wc -l <"$WORK/.err")" -eq 1 ] || fail "usage error is not one line: $*"
}
usage "modelseal verify-oms: missing MODEL" verify-oms --signature "$D/model.sig" --key "$K"
usage "missing --signature FILE" verify-oms "$D" --key "$K"
usage "missing --key FILE" verify-oms "$D" --signature "$D/model.sig"
usage "unexpected argument 'extra'" verify-oms "$D" extra --signature "$D/model.sig" --key "$K"
usage "unknown option '--frob'" verify-oms "$D" --frob
usage "option '--signature' needs a value" verify-oms "$D" --signature
usage "--ignore-paths '../x': '../x' is not inside the model" verify-oms "$D" \
  --signature "$D/model.sig" --key "$K" --ignore-paths ../x
usage "--ignore-paths 'a,,b' has an empty entry" verify-oms "$D" --signature "$D/model.sig" \
  --key "$K" --ignore-paths a,,b
usage "--ignore-paths applies to a model directory" verify-oms v1.0.0-elliptic-key/signme-1 \
  --signature v1.0.0-elliptic-key/model.sig --key "$K" --ignore-paths x
usage "modelseal sign-oms: missing MODEL" sign-oms --key k.key -o s.sig
usage "missing --key FILE" sign-oms "$D" -o s.sig
usage "missing -o SIG" sign-oms "$D" --key k.key
usage "unknown option '--frob'" sign-oms "$D" --frob
usage "MODEL 'nothing-here' is not a directory or a file" sign-oms nothing-here --key k.key -o s.sig
for c in verify-oms sign-oms; do
  run 0 "$M" "$c" --help
  expect_in out "usage: modelseal $c"
  [ ! -s "$WORK/.err" ] || fail "$c --help wrote to stderr"
done
run 0 "$M" --help
expect_in out "verify-oms"
expect_in out "sign-oms"
echo "oms malformed: ok"
