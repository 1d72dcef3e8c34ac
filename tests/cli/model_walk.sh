#!/usr/bin/env bash
# Walking a model directory safely: symbolic links stay beneath the model (or
# --follow-links-under DIR), FIFOs never hang a read, and each directory is
# walked once.  With the argument "fallback" the links are resolved by the
# component-by-component walk instead of openat2.
. "$MS_SRC/tests/cli/lib.sh"
if [ "${1:-}" = fallback ]; then
  export MODELSEAL_NO_OPENAT2=1
fi
"$M" keygen -o signing >/dev/null
make_model good

# --- Links that leave the model directory are refused, naming the link and its target.
cp -r good env && ln -s /proc/self/environ env/tokenizer_notes.txt
run 1 "$M" pack env -o b.mseal --key signing.key --name t --version 1.0.0
expect_in err "env/tokenizer_notes.txt: symbolic link to '/proc/self/environ' leads outside env"
cp -r good key && ln -s /proc/self/cwd/signing.key key/special_tokens.txt
run 1 "$M" pack key -o b.mseal --key signing.key --name t --version 1.0.0
expect_in err "key/special_tokens.txt: symbolic link to '/proc/self/cwd/signing.key' leads outside key"
cp -r good up && ln -s .. up/extras
run 1 "$M" pack up -o b.mseal --key signing.key --name t --version 1.0.0
expect_in err "up/extras: symbolic link to '..' leads outside up"
# Relative links that climb out through another link: both links are named.
cp -r good hop && mkdir hop/sub && ln -s ../../signing.key hop/sub/k.txt && ln -s sub/k.txt hop/a.txt
run 1 "$M" pack hop -o b.mseal --key signing.key --name t --version 1.0.0
expect_in err "hop/a.txt: symbolic link to 'sub/k.txt' leads outside hop (through 'sub/k.txt' -> '../../signing.key')"
# The model card is read the same way, before the walk.
cp -r good card && rm card/README.md && ln -s /proc/self/environ card/README.md
run 1 "$M" pack card -o b.mseal --key signing.key --name t --version 1.0.0
expect_in err "card/README.md: symbolic link to '/proc/self/environ' leads outside card"
[ ! -e b.mseal ] || fail "a refused pack left a bundle"

# Links that stay inside are followed, listed and recorded.
cp -r good inside && mkdir inside/.store && mv inside/config.json inside/.store/ &&
  ln -s .store/config.json inside/config.json
run 0 "$M" pack inside -o in.mseal --key signing.key --name t --version 1.0.0
expect_in out "followed links (relative to inside):"
expect_in out "  config.json -> .store/config.json"
echo "model walk (links): ok"

# --- A FIFO in any place a file is read from fails at once instead of hanging.
mkfifo fifo
cp -r good fcard && rm fcard/README.md && mkfifo fcard/README.md
run 3 timeout 20 "$M" pack fcard -o b.mseal --key signing.key --name t --version 1.0.0
expect_in err "fcard/README.md: not a regular file (a FIFO)"
cp -r good findex && mkfifo findex/model.safetensors.index.json
run 3 timeout 20 "$M" pack findex -o b.mseal --key signing.key --name t --version 1.0.0
expect_in err "findex/model.safetensors.index.json: not a regular file or directory (a FIFO)"
mkfifo lone.safetensors
run 2 timeout 20 "$M" pack lone.safetensors -o b.mseal --key signing.key --name t --version 1.0.0
expect_in err "lone.safetensors: not a regular file or directory"
run 3 timeout 20 "$M" pack good -o b.mseal --key signing.key --spec fifo
expect_in err "fifo: not a regular file (a FIFO)"
run 3 timeout 20 "$M" pack good -o b.mseal --key signing.key --name t --version 1.0.0 --recipe fifo
expect_in err "fifo: not a regular file (a FIFO)"
run 3 timeout 20 "$M" pack good -o b.mseal --key fifo --name t --version 1.0.0
expect_in err "fifo: not a regular file (a FIFO)"
run 0 "$M" pack good -o g.mseal --key signing.key --name t --version 1.0.0
run 3 timeout 20 "$M" verify g.mseal --trust fifo
expect_in err "fifo: not a regular file (a FIFO)"
run 3 timeout 20 "$M" verify fifo --trust signing.pub
expect_in all "fifo: not a regular file"
# A file that says it is empty and still returns data is not read as empty.
run 3 "$M" pack good -o b.mseal --key signing.key --spec /proc/self/status
expect_in err "/proc/self/status: holds more bytes than its size says"
echo "model walk (FIFOs): ok"

# --- N directories, each with two links to the next, once took 2^N walks.
cp -r good chain && mkdir chain/.c
for i in $(seq 0 19); do
  mkdir chain/.c/d$i
  ln -s ../d$((i + 1)) chain/.c/d$i/a
  ln -s ../d$((i + 1)) chain/.c/d$i/b
done
mkdir chain/.c/d20 && ln -s .c/d0 chain/start
start=$(date +%s)
run 3 timeout 20 "$M" pack chain -o b.mseal --key signing.key --name t --version 1.0.0
expect_in err "/b: the directory is already in the model as 'start/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a'"
[ $(($(date +%s) - start)) -lt 10 ] || fail "the link chain took more than 10 seconds"
cp -r good loop && ln -s . loop/self
run 3 "$M" pack loop -o b.mseal --key signing.key --name t --version 1.0.0
expect_in err "loop/self: directory loop (links back to an enclosing directory)"
echo "model walk (directories): ok"

# --- A Hugging Face cache: snapshots link into ../../blobs, allowed only with --follow-links-under.
hf_cache() {
  local repo="$1/models--org--tiny" rev=0123456789abcdef0123456789abcdef01234567
  mkdir -p "$repo/blobs" "$repo/snapshots/$rev/sub" "$repo/refs"
  printf '%s' "$rev" >"$repo/refs/main"
  for f in model.safetensors config.json README.md tokenizer.json; do
    local sha
    sha=$(sha256sum "good/$f" | cut -d' ' -f1)
    cp "good/$f" "$repo/blobs/$sha"
    ln -s "../../blobs/$sha" "$repo/snapshots/$rev/$f"
  done
  local sha
  sha=$(printf '{"sub": true}' | sha256sum | cut -d' ' -f1)
  printf '{"sub": true}' >"$repo/blobs/$sha"
  ln -s "../../../blobs/$sha" "$repo/snapshots/$rev/sub/config.json"
}
hf_cache hf
repo=hf/models--org--tiny
snap=$repo/snapshots/0123456789abcdef0123456789abcdef01234567
wsha=$(sha256sum good/model.safetensors | cut -d' ' -f1)
run 1 "$M" pack "$snap" -o b.mseal --key signing.key --name t --version 1.0.0
expect_in err "$snap/README.md: symbolic link to '../../blobs/"
expect_in err "leads outside $snap"
run 0 "$M" pack "$snap" -o hf.mseal --key signing.key --name t --version 1.0.0 --follow-links-under "$repo"
expect_in out "packed t 1.0.0: 5 files,"
expect_in out "followed links (relative to $repo):"
expect_in out "  snapshots/0123456789abcdef0123456789abcdef01234567/model.safetensors -> blobs/$wsha"
expect_in out "  snapshots/0123456789abcdef0123456789abcdef01234567/sub/config.json -> blobs/"
run 0 "$M" verify hf.mseal --trust signing.pub
"$PY" "$HERE/bundle_tool.py" statement hf.mseal >statement.json
"$PY" - statement.json "$wsha" "$WORK" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
links = s["predicate"]["buildDefinition"]["externalParameters"]["followedLinks"]
snap = "snapshots/0123456789abcdef0123456789abcdef01234567/"
assert [l["link"] for l in links] == [snap + f for f in
        ("README.md", "config.json", "model.safetensors", "sub/config.json", "tokenizer.json")], links
assert {"link": snap + "model.safetensors", "target": "blobs/" + sys.argv[2]} in links, links
assert all(l["target"].startswith("blobs/") for l in links), links
assert sys.argv[3] not in open(sys.argv[1]).read(), "the statement names an absolute path"
names = sorted(x["name"] for x in s["subject"][1:])
assert names == ["README.md", "config.json", "model.safetensors", "sub/config.json",
                 "tokenizer.json"], names
PY
# The same cache elsewhere packs to the same bytes.
mkdir -p elsewhere/deeper && cp -a hf elsewhere/deeper/
run 0 "$M" pack "elsewhere/deeper/$snap" -o hf2.mseal --key signing.key --name t --version 1.0.0 \
  --follow-links-under "elsewhere/deeper/$repo"
cmp hf.mseal hf2.mseal || fail "packing the cache from another place changed the bundle"
# A link that leaves the allowed root is still refused.
ln -s ../../../../signing.key "$snap/notes.txt"
run 1 "$M" pack "$snap" -o b.mseal --key signing.key --name t --version 1.0.0 --follow-links-under "$repo"
expect_in err "$snap/notes.txt: symbolic link to '../../../../signing.key' leads outside $repo"
rm "$snap/notes.txt"
# The root must hold the model.
run 2 "$M" pack "$snap" -o b.mseal --key signing.key --name t --version 1.0.0 --follow-links-under good
expect_in err "the model directory is not inside good"
[ ! -e b.mseal ] || fail "a refused pack left a bundle"
echo "model walk (Hugging Face cache): ok"
