#!/usr/bin/env bash
# A bundle rewritten and signed by an independent implementation of the format
# (tests/cli/bundle_tool.py: Python tarfile, hashlib, cryptography) verifies, and
# skopeo reads our bundles as OCI archives.
. "$MS_SRC/tests/cli/lib.sh"
setup_bundle
"$PY" "$HERE/bundle_tool.py" tamper b.mseal py.mseal resign key=alice.key
run 0 "$M" verify py.mseal --trust alice.pub
expect_in out "result: VERIFIED"

command -v skopeo >/dev/null || fail "skopeo is not installed (scripts/deps installs it)"
skopeo copy "oci-archive:b.mseal:1.0.0" "oci:copy:1.0.0" >skopeo.log 2>&1 || { cat skopeo.log; fail "skopeo copy failed"; }
# The model manifest survives byte for byte.
m=$(sed -n 's/^manifest: //p' <("$M" inspect b.mseal) | cut -d: -f2)
[ -f "copy/blobs/sha256/$m" ] || fail "skopeo's copy lacks the model manifest $m"
for f in model/*; do
  h=$(sha256sum "$f" | cut -c1-64)
  cmp "$f" "copy/blobs/sha256/$h" || fail "skopeo's copy lacks $f"
done
echo "interop: ok"
