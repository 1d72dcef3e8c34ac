#!/usr/bin/env bash
# Every command that reads a whole bundle applies the same archive rules: no sparse
# or other odd entries, nothing but zero padding after the end of the archive.
. "$MS_SRC/tests/cli/lib.sh"
setup_bundle
size=$(stat -c %s b.mseal)
"$PY" "$HERE/bundle_tool.py" tamper b.mseal zeros.mseal trailing-zeros
"$PY" "$HERE/bundle_tool.py" tamper b.mseal tar.mseal trailing-tar
"$PY" "$HERE/bundle_tool.py" tamper b.mseal byte.mseal trailing-byte
"$PY" "$HERE/bundle_tool.py" tamper b.mseal lone.mseal trailing-lone-block
"$PY" "$HERE/bundle_tool.py" tamper b.mseal sparse.mseal sparse-weights

# Zero padding after the end-of-archive marker (tar's 10 KiB records) is fine.
run 0 "$M" verify zeros.mseal --trust alice.pub
run 0 "$M" inspect zeros.mseal
expect_not_in out "problems:"

# An archive appended to a signed bundle: tar --ignore-zeros sees its entry.
tar --ignore-zeros -tf tar.mseal 2>/dev/null | grep -qx model.safetensors ||
  fail "the appended archive is not visible to tar --ignore-zeros"
end_tar="data after the end of the archive: a non-zero byte at offset $size (the archive ends at $size; only zero padding may follow)"
run 1 "$M" verify tar.mseal --trust alice.pub
expect_in out "FAIL  archive: $end_tar"
expect_in out "result: REJECTED (1 of"
run 1 "$M" verify byte.mseal --trust alice.pub
expect_in out "FAIL  archive: data after the end of the archive: a non-zero byte at offset $((size + 700)) (the archive ends at $size;"
# A single zero block ends the archive for libarchive; what follows is not padding.
run 1 "$M" verify lone.mseal --trust alice.pub
expect_in out "FAIL  archive: data after the end of the archive: a non-zero byte at offset $((size - 512)) (the archive ends at $((size - 512));"

# The sparse weights blob is refused, so the manifest's weights layer also misses it.
sparse="sparse file 'blobs/sha256/"
for c in tar:1:"$end_tar" sparse:2:"$sparse"; do
  f=${c%%:*}.mseal
  n=${c#*:}
  msg=${n#*:}
  n=${n%%:*}
  run 0 "$M" inspect "$f"
  expect_in out "problems:    $n (run verify for a full check)"
  expect_in out "  $msg"
  run 0 "$M" inspect "$f" --json
  "$PY" -c 'import json,sys; p=json.load(open(sys.argv[1]))["problems"]; assert len(p)==int(sys.argv[3]) and p[0].startswith(sys.argv[2]), p' "$WORK/.out" "$msg" "$n"
  run 1 "$M" audit "$f"
  expect_in err "FAIL  archive: $msg"
  expect_in err "rejected: $n check(s) failed"
  run 1 "$M" unpack "$f" -o dest --trust alice.pub
  expect_in out "FAIL  archive: $msg"
  [ ! -e dest ] || fail "unpack of $f created its target"
  "$M" keygen -o bob >/dev/null
  run 1 "$M" sign "$f" --key bob.key --role approver -o signed.mseal
  expect_in err "refusing to sign a bundle that fails its own checks: $msg"
  [ ! -e signed.mseal ] || fail "sign wrote a co-signed copy of $f"
  rm -f bob.key bob.pub
done
# The directory entries a reader ignores are dropped by sign, a writer that must not
# write them; the co-signed bundle holds only the regular entries.
"$PY" - b.mseal dirs.mseal <<'PYEOF'
import sys, tarfile
src = tarfile.open(sys.argv[1])
with tarfile.open(sys.argv[2], "w:", format=tarfile.USTAR_FORMAT) as out:
    for m in src.getmembers():
        out.addfile(m, src.extractfile(m))
        if m.name == "index.json":
            for d in ("blobs/", "blobs/sha256/"):
                ti = tarfile.TarInfo(d)
                ti.type = tarfile.DIRTYPE
                out.addfile(ti)
PYEOF
run 0 "$M" verify dirs.mseal --trust alice.pub
"$M" keygen -o carol >/dev/null
run 0 "$M" sign dirs.mseal --key carol.key --role approver -o cosigned.mseal
run 0 "$M" verify cosigned.mseal --trust alice.pub
[ "$(tar -tf cosigned.mseal | grep -c '/$')" = 0 ] || fail "sign copied directory entries"
[ "$(tar -tf cosigned.mseal | wc -l)" = "$(($(tar -tf dirs.mseal | wc -l) - 2 + 1))" ] ||
  fail "sign did not keep every other entry"
echo "archive rules: ok"
