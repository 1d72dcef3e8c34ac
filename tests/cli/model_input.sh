#!/usr/bin/env bash
# pack refuses malformed model inputs with exit 3 and a message naming the problem.
. "$MS_SRC/tests/cli/lib.sh"
"$M" keygen -o k >/dev/null
make_model good

mkdir empty
run 3 "$M" pack empty -o b.mseal --key k.key --name t --version 1.0.0
expect_in err "no .safetensors file"
cp -r good odd && echo x >odd/weights.bin
run 3 "$M" pack odd -o b.mseal --key k.key --name t --version 1.0.0
expect_in err "weights.bin"
cp -r good bad && head -c 40 good/model.safetensors >bad/model.safetensors
run 3 "$M" pack bad -o b.mseal --key k.key --name t --version 1.0.0
expect_in err "model.safetensors"
run 3 "$M" pack nowhere -o b.mseal --key k.key --name t --version 1.0.0
expect_in err "nowhere"
[ ! -e b.mseal ] || fail "a refused pack left a bundle"
run 3 "$M" pack good -o no/such/dir/b.mseal --key k.key --name t --version 1.0.0
expect_in err "no/such/dir/b.mseal"
ls no 2>/dev/null && fail "pack created directories"
echo "model input: ok"
