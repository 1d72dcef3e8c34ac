#!/usr/bin/env bash
# Keys through the CLI: keygen with each algorithm, encrypted by default;
# the passphrase sources and their precedence (--passphrase-file,
# MODELSEAL_PASSPHRASE, the terminal); PEM keys made by openssl(1) for pack
# and verify.  The terminal prompt runs in a pseudo-terminal (Python's pty);
# `setsid -w` runs a command with no controlling terminal at all.
. "$MS_SRC/tests/cli/lib.sh"

make_model model
nofile() { [ ! -e "$1" ] || fail "$1 exists"; }
field() { sed -n "s/^$2: //p" "$1"; }

# ---- keygen: algorithms, encryption by default ---------------------------------
for alg in ed25519 ecdsa-p256 ecdsa-p384; do
  run 0 "$M" keygen -o "k-$alg" --algorithm "$alg"
  expect_in out "wrote k-$alg.key (secret, mode 0600) and k-$alg.pub"
  expect_in out "algorithm: $alg"
  expect_in out "encryption: argon2id-xchacha20poly1305 (passphrase)"
  [ "$(stat -c %a "k-$alg.key")" = 600 ] || fail "k-$alg.key mode"
  [ "$(field "k-$alg.key" algorithm)" = "$alg" ] || fail "k-$alg.key algorithm"
  [ "$(field "k-$alg.key" encryption)" = argon2id-xchacha20poly1305 ] || fail "not encrypted"
  [ "$(field "k-$alg.key" kdf-memlimit)" = 67108864 ] || fail "memlimit"
  [ "$(field "k-$alg.key" kdf-opslimit)" = 2 ] || fail "opslimit"
  keyid=$(field "k-$alg.pub" keyid)
  run 0 "$M" pack model -o "b-$alg.mseal" --key "k-$alg.key" --name tiny --version 1.0.0
  run 0 "$M" verify "b-$alg.mseal" --trust "k-$alg.pub"
  expect_in out "signature: $alg $keyid as packager: valid"
  expect_in out "result: VERIFIED"
done
# The key id of an ECDSA key is SHA-256 of the DER SubjectPublicKeyInfo.
[ "$(field k-ecdsa-p256.pub key | base64 -d | sha256sum | cut -c1-64)" = \
  "$(field k-ecdsa-p256.pub keyid)" ] || fail "ecdsa key id is not sha256(SPKI)"
run 1 "$M" verify b-ecdsa-p256.mseal --trust k-ecdsa-p384.pub
run 2 "$M" keygen -o x --algorithm ecdsa-p521
expect_in err "unknown algorithm 'ecdsa-p521' (available: ed25519, ecdsa-p256, ecdsa-p384)"
run 3 "$M" keygen -o k-ed25519
expect_in err "k-ed25519.key: already exists"

# ---- --unencrypted -----------------------------------------------------------
run 0 "$M" keygen -o plain --unencrypted
expect_in out "encryption: none"
[ "$(field plain.key encryption)" = none ] || fail "plain.key is encrypted"
grep -q '^salt:' plain.key && fail "plain.key has a salt"
# Needs no passphrase, and none of the sources is consulted.
run 0 env -u MODELSEAL_PASSPHRASE setsid -w "$M" pack model -o p.mseal --key plain.key \
  --name tiny --version 1.0.0
run 0 "$M" pack model -o p.mseal --key plain.key --name tiny --version 1.0.0 \
  --passphrase-file /nonexistent
run 2 "$M" keygen -o x --unencrypted --passphrase-file /dev/null
expect_in err "--unencrypted excludes --passphrase-file"
nofile x.key

# ---- no passphrase source and no terminal: usage error, nothing written ------
run 2 env -u MODELSEAL_PASSPHRASE setsid -w "$M" keygen -o nopass
expect_in err "modelseal keygen: no passphrase: use --passphrase-file, MODELSEAL_PASSPHRASE or --unencrypted"
nofile nopass.key
nofile nopass.pub
MODELSEAL_PASSPHRASE= run 2 setsid -w "$M" keygen -o nopass
expect_in err "no passphrase"
run 2 env -u MODELSEAL_PASSPHRASE setsid -w "$M" pack model -o n.mseal --key k-ed25519.key \
  --name tiny --version 1.0.0
expect_in err "modelseal pack: k-ed25519.key: encrypted key and no passphrase: use --passphrase-file or MODELSEAL_PASSPHRASE"
nofile n.mseal

# ---- wrong passphrase ----------------------------------------------------------
MODELSEAL_PASSPHRASE=wrong run 3 "$M" pack model -o n.mseal --key k-ed25519.key --name tiny \
  --version 1.0.0
expect_in err "modelseal pack: k-ed25519.key: wrong passphrase"
nofile n.mseal

# ---- --passphrase-file: first line; it wins over the environment --------------
printf 'file pass\nnot this line\n' >pass.txt
MODELSEAL_PASSPHRASE=ignored run 0 "$M" keygen -o fk --passphrase-file pass.txt
MODELSEAL_PASSPHRASE=ignored run 0 "$M" pack model -o f.mseal --key fk.key \
  --passphrase-file pass.txt --name tiny --version 1.0.0
run 3 "$M" pack model -o f.mseal --key fk.key --name tiny --version 1.0.0
expect_in err "fk.key: wrong passphrase"
printf 'file pass' >nonl.txt
run 0 "$M" pack model -o f.mseal --key fk.key --passphrase-file nonl.txt --name tiny \
  --version 1.0.0
# A pipe, as with --passphrase-file <(pass show ...).
run 0 "$M" pack model -o f.mseal --key fk.key --passphrase-file <(printf 'file pass\n') \
  --name tiny --version 1.0.0
: >empty.txt
run 2 "$M" keygen -o e --passphrase-file empty.txt
expect_in err "empty.txt: passphrase file is empty"
nofile e.key
run 2 "$M" pack model -o f.mseal --key fk.key --passphrase-file empty.txt --name tiny \
  --version 1.0.0
run 3 "$M" keygen -o e --passphrase-file missing.txt
expect_in err "missing.txt: cannot open"
nofile e.key
run 2 "$M" pack model -o f.mseal --key fk.key --passphrase-file --name tiny --version 1.0.0
run 0 "$M" pack --help
expect_in out "--passphrase-file F"
run 0 "$M" keygen --help
expect_in out "--unencrypted"

# ---- the encrypted key file is refused when others may read it ----------------
chmod 644 fk.key
run 3 "$M" pack model -o f.mseal --key fk.key --passphrase-file pass.txt --name tiny \
  --version 1.0.0
expect_in err "fk.key: secret key file is readable by group or others (mode 0644)"
# Refused without first asking for a passphrase.
run 3 env -u MODELSEAL_PASSPHRASE setsid -w "$M" pack model -o f.mseal --key fk.key --name tiny \
  --version 1.0.0
expect_in err "fk.key: secret key file is readable by group or others (mode 0644)"
chmod 600 fk.key

# ---- the terminal prompt, in a pseudo-terminal ---------------------------------
# pty_run.py EXPECTED_EXIT CMD...: run CMD on a new pty; answer each "passphrase"
# prompt from the list in $ANSWERS (separated by '|'); check nothing typed is
# echoed; print what the terminal showed.
cat >pty_run.py <<'PY'
import os, pty, signal, sys
want, argv = int(sys.argv[1]), sys.argv[2:]
answers = os.environ.pop("ANSWERS").split("|")
signal.alarm(60)
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
seen, done = b"", 0  # done: how much of seen holds prompts already answered
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
    tail = seen[done:]
    if answers and tail.endswith(b": ") and b"passphrase" in tail.lower():
        os.write(fd, answers.pop(0).encode() + b"\n")
        done = len(seen)
_, status = os.waitpid(pid, 0)
text = seen.decode("utf-8", "replace")
print(text)
code = os.waitstatus_to_exitcode(status)
assert code == want, "exit %d, expected %d" % (code, want)
assert "tty secret" not in text, "the passphrase was echoed"
PY
ANSWERS="tty secret|tty secret" run 0 env -u MODELSEAL_PASSPHRASE "$PY" pty_run.py 0 "$M" keygen -o tk
expect_in out "New passphrase for tk.key:"
expect_in out "Repeat the passphrase:"
expect_in out "wrote tk.key"
printf 'tty secret\n' >tk.txt
run 0 "$M" pack model -o t.mseal --key tk.key --passphrase-file tk.txt --name tiny --version 1.0.0
ANSWERS="tty secret" run 0 env -u MODELSEAL_PASSPHRASE "$PY" pty_run.py 0 "$M" pack model \
  -o t2.mseal --key tk.key --name tiny --version 1.0.0
expect_in out "Passphrase for tk.key:"
expect_in out "packed tiny 1.0.0"
ANSWERS="tty secrex" run 0 env -u MODELSEAL_PASSPHRASE "$PY" pty_run.py 3 "$M" pack model \
  -o t3.mseal --key tk.key --name tiny --version 1.0.0
expect_in out "tk.key: wrong passphrase"
ANSWERS="tty secret|tty secrex" run 0 env -u MODELSEAL_PASSPHRASE "$PY" pty_run.py 2 "$M" keygen -o tm
expect_in out "the passphrases do not match"
nofile tm.key
ANSWERS="" run 0 env -u MODELSEAL_PASSPHRASE "$PY" pty_run.py 2 "$M" keygen -o te
expect_in out "empty passphrase"
nofile te.key
# The environment comes before the terminal: no prompt.
ANSWERS="" run 0 "$PY" pty_run.py 0 "$M" keygen -o tenv
expect_not_in out "passphrase for"

# ---- PEM keys from openssl(1) --------------------------------------------------
if command -v openssl >/dev/null 2>&1; then
  for spec in "ed25519:-algorithm ed25519:ed25519" \
              "p256:-algorithm EC -pkeyopt ec_paramgen_curve:P-256:ecdsa-p256" \
              "p384:-algorithm EC -pkeyopt ec_paramgen_curve:P-384:ecdsa-p384"; do
    k=${spec%%:*}
    rest=${spec#*:}
    alg=${rest##*:}
    # shellcheck disable=SC2086
    openssl genpkey ${rest%:*} -out "$k.pem" 2>/dev/null
    openssl pkey -in "$k.pem" -pubout -out "$k.pub.pem"
    chmod 644 "$k.pem"
    run 3 "$M" pack model -o "$k.mseal" --key "$k.pem" --name tiny --version 1.0.0
    expect_in err "$k.pem: secret key file is readable by group or others"
    chmod 600 "$k.pem"
    # A PEM key is never encrypted here: no passphrase needed.
    run 0 env -u MODELSEAL_PASSPHRASE setsid -w "$M" pack model -o "$k.mseal" --key "$k.pem" \
      --name tiny --version 1.0.0
    run 0 "$M" verify "$k.mseal" --trust "$k.pub.pem"
    expect_in out "signature: $alg"
    expect_in out "result: VERIFIED"
    run 1 "$M" verify "$k.mseal" --trust k-ed25519.pub
  done
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa.pem 2>/dev/null
  chmod 600 rsa.pem
  run 3 "$M" pack model -o r.mseal --key rsa.pem --name tiny --version 1.0.0
  expect_in err "rsa.pem: unsupported key algorithm 'rsa'"
  openssl pkey -in rsa.pem -pubout -out rsa.pub.pem
  run 3 "$M" verify b-ed25519.mseal --trust rsa.pub.pem
  expect_in err "unsupported key algorithm 'rsa'"
else
  echo "skip: openssl(1) not found: no PEM checks"
fi
echo "cli keys: ok"
