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

# File names that could not be unpacked safely are refused at pack time.
cp -r good slash && printf '{}' >'slash/back\slash.json'
run 3 "$M" pack slash -o b.mseal --key k.key --name t --version 1.0.0
expect_in err "file name cannot go into a bundle: backslash in path"
[ ! -e b.mseal ] || fail "pack wrote a bundle with an unsafe file name"
cp -r good utf && printf '{}' >"utf/bad$(printf '\xff').json"
run 3 "$M" pack utf -o b.mseal --key k.key --name t --version 1.0.0
expect_in err "not valid UTF-8"
run 2 "$M" pack good -o b.mseal --key k.key --name t --version 1.0.0 --description "$(printf 'bad \xff')"
expect_in err "the description is not valid UTF-8"
echo "model input (names): ok"
