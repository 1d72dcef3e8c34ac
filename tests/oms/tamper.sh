#!/usr/bin/env bash
# tamper.sh CASE STATUS TEXT: change a copy of a signed vector model (or its
# signature, or the key) and check verify-oms exits STATUS, naming TEXT.
. "$MS_SRC/tests/oms/lib.sh"
case_name=$1 want=$2 text=$3

copy_vectors
cd vectors
D=v1.1.0-elliptic-key
KEY=$K
case "$case_name" in
  byte-changed) printf 'X' | dd of="$D/signme-1" bs=1 seek=3 conv=notrunc status=none ;;
  file-added) echo extra >"$D/extra.bin" ;;
  file-removed) rm "$D/signme-2" ;;
  renamed) mv "$D/signme-2" "$D/signme-3" ;;
  symlink-added) ln -s signme-1 "$D/link" ;;
  signature-bytes) bundle_edit "$D/model.sig" 'sig = sig[:20] + bytes([sig[20] ^ 0x01]) + sig[21:]' ;;
  payload-bytes)
    # The signed list claims another digest for signme-2: the signature no longer matches.
    bundle_edit "$D/model.sig" 'payload = payload.replace(b"32dcb1f8", b"32dcb1f9")' ;;
  wrong-key)
    "$M" keygen -o other --algorithm ecdsa-p384 --unencrypted >/dev/null
    KEY=other.pub ;;
  no-ignore-paths) D=v1.0.1-elliptic-key ;;
  directory-for-file) D=v1.0.0-elliptic-key ;;
  *) fail "unknown case $case_name" ;;
esac

run "$want" "$M" verify-oms "$D" --signature "$D/model.sig" --key "$KEY"
expect_in all "$text"
expect_in err "modelseal verify-oms: "
case "$case_name" in
  renamed) expect_in out "added:     signme-3 (not in the signature)" ;;
  wrong-key) expect_in out "warning:   the bundle's publicKey.hint" ;;
  signature-bytes | payload-bytes) expect_in out "dsse:      INVALID" ;;
esac
# Nothing after a bad signature is trusted: no file is listed.
case "$case_name" in
  signature-bytes | payload-bytes | wrong-key) expect_not_in out "subject:" ;;
esac
echo "oms tamper $case_name: ok"
