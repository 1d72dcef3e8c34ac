#!/usr/bin/env bash
# pack --license is validated and canonicalized exactly as a spec file's
# license, and pack warns when it disagrees with the model card's license.
. "$MS_SRC/tests/cli/lib.sh"
make_model model
"$M" keygen -o alice >/dev/null
pack() { "$M" pack "$1" -o out.mseal --key alice.key --name t --version 1.0.0 "${@:2}"; }

run 2 pack model --license "Apache2.0"
expect_in err "modelseal pack: --license: unknown license 'Apache2.0' at column 1 (did you mean 'Apache-2.0'?)"
[ ! -e out.mseal ] || fail "a bundle was written for an invalid license"
run 2 pack model --license "MIT AND"
expect_in err "modelseal pack: --license: "
# The same text in a spec file is refused with the same suggestion.
printf '{"specVersion": 1, "license": "Apache2.0"}\n' >spec.json
run 2 pack model --spec spec.json
expect_in err "(did you mean 'Apache-2.0'?)"

run 0 pack model --license "apache-2.0 or mit"
run 0 "$M" inspect out.mseal
expect_in out "license:     Apache-2.0 OR MIT"
run 0 pack model --license "GPL-2.0"
expect_in err "warning: --license: "
expect_in err "GPL-2.0"

# The card says llama3; recording MIT deserves a warning, recording the card's license does not.
cp -r model card
printf -- '---\nlicense: llama3\n---\n# tiny\n' >card/README.md
run 0 pack card --license MIT
expect_in err "warning: README.md: line 2: the model card's license 'llama3' (LicenseRef-Llama-3-Community) differs from the license recorded, 'MIT': check which one applies"
run 0 pack card --license LicenseRef-Llama-3-Community
expect_not_in err "differs from the license recorded"
run 0 pack card
expect_not_in err "differs from the license recorded"
run 0 "$M" inspect out.mseal
expect_in out "license:     LicenseRef-Llama-3-Community"
echo "pack --license: ok"
