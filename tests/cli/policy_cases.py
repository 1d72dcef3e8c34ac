"""The table of verify --policy cases (tests/cli/policy.sh builds the bundles).

Each case: (name, command, policy, expected exit status, expected verdicts by
rule id, a text the output must contain).  command is "verify BUNDLE" (with
--trust alice.pub --trust bob.pub --trust carol.pub unless it names --trust),
"audit BUNDLE" or "check"; verify runs twice, with --json (the report is
checked against its schema, its status against the exit status, and every
expected verdict) and as text (the expected text must appear).
"""
import base64
import json
import os
import subprocess
import sys

import jsonschema

M, SCHEMAS = sys.argv[1], sys.argv[2]
AT = ["--at", "2023-12-01T00:00:00Z"]  # 17 days after SOURCE_DATE_EPOCH 1700000000
TRUST = ["--trust", "alice.pub", "--trust", "bob.pub", "--trust", "carol.pub"]


def P(mode="enforce", **sections):
    doc = {"policyVersion": 1, "mode": mode, "name": "t"}
    doc.update(sections)
    return doc


E = "enforce"
PASS, FAIL, WARN, NA = "pass", "fail", "warn", "not-evaluated"
PERMISSIVE = {"allowClasses": ["permissive"]}

CASES = [
    # licenses.allowed
    ("lic-allowed-pass", "verify plain.mseal", P(licenses=PERMISSIVE), 0,
     {"licenses.allowed": PASS}, "declared 'Apache-2.0' (metadata license)"),
    ("lic-allowed-deny-id", "verify plain.mseal", P(licenses={"deny": ["Apache-2.0"]}), 1,
     {"licenses.allowed": FAIL}, "'Apache-2.0' is denied"),
    ("lic-allowed-allow-list", "verify plain.mseal", P(licenses={"allow": ["MIT"]}), 1,
     {"licenses.allowed": FAIL}, "'Apache-2.0' is not in the allow list"),
    ("lic-allowed-allow-list-pass", "verify plain.mseal", P(licenses={"allow": ["MIT", "Apache-2.0"]}),
     0, {"licenses.allowed": PASS}, "licenses.allowed"),
    ("lic-allowed-deny-class", "verify plain.mseal", P(licenses={"denyClasses": ["attribution"]}), 1,
     {"licenses.allowed": FAIL}, "'Apache-2.0' is attribution, a denied class"),
    ("lic-allowed-no-license", "verify nolicense.mseal", P(licenses=PERMISSIVE), 1,
     {"licenses.allowed": FAIL}, "could not be evaluated: the bundle declares no valid license"),
    ("lic-allowed-no-license-optional", "verify nolicense.mseal",
     P(licenses=PERMISSIVE, optional=["licenses.allowed"]), 0, {"licenses.allowed": NA},
     "the bundle declares no valid license"),
    ("lic-allowed-unknown-ref", "verify unknown.mseal", P(licenses=PERMISSIVE), 1,
     {"licenses.allowed": FAIL}, "'LicenseRef-Acme-Internal' is not classified"),
    # licenses.unknown
    ("lic-unknown-pass", "verify plain.mseal", P(licenses={"unknown": "deny"}), 0,
     {"licenses.unknown": PASS}, "every license is on the SPDX list"),
    ("lic-unknown-deny", "verify unknown.mseal", P(licenses={"unknown": "deny"}), 1,
     {"licenses.unknown": FAIL}, "'LicenseRef-Acme-Internal' (metadata license)"),
    ("lic-unknown-warn", "verify unknown.mseal", P(licenses={"unknown": "warn"}), 0,
     {"licenses.unknown": WARN}, "cannot classify"),
    ("lic-unknown-none", "verify nolicense.mseal", P(licenses={"unknown": "deny"}), 1,
     {"licenses.unknown": FAIL}, "no valid declared license"),
    # licenses.inherited
    ("lic-inherited-pass", "verify rich.mseal", P(licenses={"denyInherited": ["noncommercial"]}), 0,
     {"licenses.inherited": PASS}, "none denied"),
    ("lic-inherited-nc", "verify nc.mseal", P(licenses={"denyInherited": ["noncommercial"]}), 1,
     {"licenses.inherited": FAIL}, "noncommercial from 'nc-data' under 'CC-BY-NC-4.0' (lineage)"),
    ("lic-inherited-use", "verify nc.mseal", P(licenses={"denyInherited": ["use-restricted"]}), 1,
     {"licenses.inherited": FAIL}, "use-restricted from 'llama-base'"),
    # licenses.conflicts
    ("lic-conflicts-pass", "verify rich.mseal", P(licenses={"conflicts": "fail"}), 0,
     {"licenses.conflicts": PASS}, "no conflicts"),
    ("lic-conflicts-fail", "verify nc.mseal", P(licenses={"conflicts": "fail"}), 1,
     {"licenses.conflicts": FAIL}, "license conflict"),
    ("lic-conflicts-warn", "verify nc.mseal", P(licenses={"conflicts": "warn"}), 0,
     {"licenses.conflicts": WARN}, "license conflict"),
    # datasets
    ("ds-digests-pass", "verify rich.mseal", P(datasets={"requireDigests": True}), 0,
     {"datasets.digests": PASS}, "2 datasets, each with a digest"),
    ("ds-digests-fail", "verify nc.mseal", P(datasets={"requireDigests": True}), 1,
     {"datasets.digests": FAIL}, "dataset 'nc-data' has no digest (metadata datasets[0])"),
    ("ds-denied-pass", "verify rich.mseal", P(datasets={"deny": [{"uri": "https://scraped.example/*"}]}),
     0, {"datasets.denied": PASS}, "none denied"),
    ("ds-denied-uri", "verify nc.mseal", P(datasets={"deny": [{"uri": "https://scraped.example/*"}]}),
     1, {"datasets.denied": FAIL}, "dataset 'nc-data' matches datasets.deny[0]"),
    ("ds-denied-license", "verify rich.mseal", P(datasets={"deny": [{"license": "CC0-1.0"}]}), 1,
     {"datasets.denied": FAIL}, "dataset 'eval-set' matches datasets.deny[0]"),
    ("ds-denied-digest", "verify rich.mseal",
     P(datasets={"deny": [{"digest": "sha256:" + "2" * 64}]}), 1, {"datasets.denied": FAIL},
     "dataset 'train-set' matches"),
    ("ds-roles-pass", "verify rich.mseal", P(datasets={"requiredRoles": ["evaluation"]}), 0,
     {"datasets.roles": PASS}, "evaluation: 'eval-set'"),
    ("ds-roles-fail", "verify nc.mseal", P(datasets={"requiredRoles": ["evaluation"]}), 1,
     {"datasets.roles": FAIL}, "no evaluation dataset declared"),
    ("ds-records-pass", "verify rich.mseal", P(datasets={"minRecords": 500}), 0,
     {"datasets.records": PASS}, "at least 500 records"),
    ("ds-records-fail", "verify rich.mseal", P(datasets={"minRecords": 1000}), 1,
     {"datasets.records": FAIL}, "dataset 'eval-set' has 500 records"),
    ("ds-records-missing", "verify nc.mseal", P(datasets={"minRecords": 1}), 1,
     {"datasets.records": FAIL}, "records not recorded"),
    # baseModels
    ("bm-digests-pass", "verify rich.mseal", P(baseModels={"requireDigests": True}), 0,
     {"baseModels.digests": PASS}, "1 base model, each with a digest"),
    ("bm-depth-pass", "verify rich.mseal", P(baseModels={"maxDepth": 1}), 0,
     {"baseModels.depth": PASS}, "lineage depth 1"),
    ("bm-depth-fail", "verify rich.mseal", P(baseModels={"maxDepth": 0}), 1,
     {"baseModels.depth": FAIL}, "lineage depth 1 (1 base model in metadata)"),
    ("bm-verified-no-parents", "verify rich.mseal", P(baseModels={"requireVerified": True}), 1,
     {"baseModels.verified": FAIL}, "verify with --verify-parents PATH"),
    ("bm-verified-none", "verify plain.mseal", P(baseModels={"requireVerified": True}), 0,
     {"baseModels.verified": PASS}, "0 base models"),
    # signers
    ("sig-roles-pass", "verify rich.mseal", P(signers={"requiredRoles": {"packager": 1, "approver": 1}}),
     0, {"signers.roles": PASS}, "approver: 1 of 1 (signatures)"),
    ("sig-roles-fail", "verify plain.mseal", P(signers={"requiredRoles": {"approver": 1}}), 1,
     {"signers.roles": FAIL}, "approver: 0 of 1"),
    ("sig-roles-threshold", "verify rich.mseal", P(signers={"requiredRoles": {"approver": 2}}), 1,
     {"signers.roles": FAIL}, "approver: 1 of 2"),
    ("sig-alg-pass", "verify rich.mseal", P(signers={"algorithms": ["ed25519"]}), 0,
     {"signers.algorithms": PASS}, "ed25519"),
    ("sig-alg-fail", "verify fine.mseal", P(signers={"algorithms": ["ed25519"]}), 1,
     {"signers.algorithms": FAIL}, "ecdsa-p256"),
    # metadata
    ("md-pass", "verify rich.mseal",
     P(metadata={"required": ["description", "authors", "intendedUse", "limitations"]}), 0,
     {"metadata.required": PASS}, "4 required fields present"),
    ("md-fail", "verify plain.mseal", P(metadata={"required": ["description", "authors", "limitations"]}),
     1, {"metadata.required": FAIL}, "authors missing (metadata); limitations missing (metadata)"),
    # compression
    ("cmp-schemes-pass", "verify rich.mseal", P(compression={"schemes": ["q4_0", "none"]}), 0,
     {"compression.schemes": PASS}, "all in allowed schemes"),
    ("cmp-schemes-fail", "verify rich.mseal", P(compression={"schemes": ["q8_0", "none"]}), 1,
     {"compression.schemes": FAIL}, "uses q4_0 (compression report)"),
    ("cmp-schemes-none", "verify plain.mseal", P(compression={"schemes": ["q8_0"]}), 1,
     {"compression.schemes": FAIL}, "could not be evaluated: the bundle carries no compression report"),
    ("cmp-worst-pass", "verify fine.mseal", P(compression={"minWorstSqnrDb": 30}), 0,
     {"compression.worstSqnr": PASS}, "floor 30.00 dB"),
    ("cmp-worst-fail", "verify rich.mseal", P(compression={"minWorstSqnrDb": 30}), 1,
     {"compression.worstSqnr": FAIL}, "worst tensor 'layers.0.attn.weight'"),
    ("cmp-model-pass", "verify fine.mseal", P(compression={"minModelSqnrDb": 30}), 0,
     {"compression.modelSqnr": PASS}, "model SQNR"),
    ("cmp-model-fail", "verify rich.mseal", P(compression={"minModelSqnrDb": 30}), 1,
     {"compression.modelSqnr": FAIL}, "the model is below the SQNR floor"),
    ("cmp-probe-pass", "verify rich.mseal", P(compression={"minProbeSqnrDb": 5}), 0,
     {"compression.probeSqnr": PASS}, "worst probe"),
    ("cmp-probe-fail", "verify rich.mseal", P(compression={"minProbeSqnrDb": 60}), 1,
     {"compression.probeSqnr": FAIL}, "floor 60.00 dB"),
    ("cmp-probe-none", "verify fine.mseal", P(compression={"minProbeSqnrDb": 5}), 1,
     {"compression.probeSqnr": FAIL}, "no probe SQNR in the compression report"),
    ("cmp-bpw-pass", "verify rich.mseal", P(compression={"maxBitsPerWeight": 5}), 0,
     {"compression.bitsPerWeight": PASS}, "bits per weight"),
    ("cmp-bpw-fail", "verify fine.mseal", P(compression={"maxBitsPerWeight": 5}), 1,
     {"compression.bitsPerWeight": FAIL}, "too many bits per weight"),
    ("cmp-sparsity-pass", "verify rich.mseal", P(compression={"maxSparsity": 0.5}), 0,
     {"compression.sparsity": PASS}, "sparsity"),
    ("cmp-sparsity-fail", "verify rich.mseal", P(compression={"maxSparsity": 0.1}), 1,
     {"compression.sparsity": FAIL}, "the model is pruned more than allowed"),
    ("cmp-fallbacks-fail", "verify edge.mseal", P(compression={"allowFallbacks": False}), 1,
     {"compression.fallbacks": FAIL}, "tensor 'layers.0.mlp.weight' asked q4_k, got q4_0"),
    ("cmp-fallbacks-allowed", "verify edge.mseal", P(compression={"allowFallbacks": True}), 0,
     {"compression.fallbacks": PASS}, "asked q4_k, got q4_0"),
    ("cmp-fallbacks-pass", "verify rich.mseal", P(compression={"allowFallbacks": False}), 0,
     {"compression.fallbacks": PASS}, "every tensor got its requested scheme"),
    # integrity
    ("int-probes-pass", "verify rich.mseal", P(integrity={"requireProbes": True}), 0,
     {"integrity.probes": PASS}, "probes recomputed and matched"),
    ("int-probes-fail", "verify fine.mseal", P(integrity={"requireProbes": True}), 1,
     {"integrity.probes": FAIL}, "no probes layer"),
    # release
    ("rel-version-pass", "verify rich.mseal", P(release={"minVersion": "2.0.0"}), 0,
     {"release.minVersion": PASS}, "version 2.1.0, minimum 2.0.0"),
    ("rel-version-fail", "verify plain.mseal", P(release={"minVersion": "1.0.1"}), 1,
     {"release.minVersion": FAIL}, "version 1.0.0, minimum 1.0.1"),
    ("rel-rollback-pass", "verify plain.mseal --state state", P(release={"requireRollbackState": True}),
     0, {"release.rollbackState": PASS}, "rollback state checked (--state)"),
    ("rel-rollback-fail", "verify plain.mseal", P(release={"requireRollbackState": True}), 1,
     {"release.rollbackState": FAIL}, "verify with --state DIR"),
    ("rel-age-pass", "verify plain.mseal", P(release={"maxAgeDays": 30}), 0,
     {"release.maxAge": PASS}, "built 16 days ago, limit 30"),
    ("rel-age-fail", "verify plain.mseal", P(release={"maxAgeDays": 7}), 1,
     {"release.maxAge": FAIL}, "the build is too old"),
    # bundle
    ("bdl-size-pass", "verify plain.mseal", P(bundle={"maxSizeBytes": 10 ** 9}), 0,
     {"bundle.maxSize": PASS}, "limit 1000000000 (bundle file)"),
    ("bdl-size-fail", "verify plain.mseal", P(bundle={"maxSizeBytes": 1000}), 1,
     {"bundle.maxSize": FAIL}, "the bundle is too large"),
    ("bdl-format-pass", "verify plain.mseal", P(bundle={"formatVersions": ["1.0"]}), 0,
     {"bundle.formatVersion": PASS}, "format version 1 (manifest)"),
    ("bdl-format-fail", "verify plain.mseal", P(bundle={"formatVersions": ["2"]}), 1,
     {"bundle.formatVersion": FAIL}, "not allowed"),
    # audit versus enforce; every rule reported, none short-circuits
    ("mode-audit", "verify nc.mseal",
     P("audit", licenses={"conflicts": "fail", "denyInherited": ["noncommercial"]},
       datasets={"requireDigests": True}), 0,
     {"licenses.conflicts": FAIL, "licenses.inherited": FAIL, "datasets.digests": FAIL},
     "failed (audit mode: not enforced)"),
    ("mode-audit-na", "verify plain.mseal", P("audit", compression={"schemes": ["q8_0"]}), 0,
     {"compression.schemes": NA}, "n/a"),
    ("mode-enforce-all", "verify nc.mseal",
     P(licenses={"conflicts": "fail", "denyInherited": ["noncommercial"]},
       datasets={"requireDigests": True}, release={"minVersion": "0.1.0"}), 1,
     {"licenses.conflicts": FAIL, "licenses.inherited": FAIL, "datasets.digests": FAIL,
      "release.minVersion": PASS}, "policy result: FAILED (1 pass, 3 fail"),
    # a bundle that fails verification: the policy is not run
    ("not-run", "verify plain.mseal --trust bob.pub", P(licenses=PERMISSIVE), 1, {},
     "not run: the bundle failed verification"),
    # policies that cannot be used: exit 3
    ("expired", "verify plain.mseal", P(expires="2023-11-20T00:00:00Z", licenses=PERMISSIVE), 3, None,
     "policy 't' expired at 2023-11-20T00:00:00Z"),
    ("invalid-verify", "verify plain.mseal", P(licenses={"alow": ["MIT"]}), 3, None,
     "licenses.alow: unknown field (did you mean 'allow'?)"),
    ("unreadable", "verify plain.mseal", "@missing.json", 3, None, "missing.json"),
    ("not-json", "verify plain.mseal", "{\"policyVersion\": 1,", 3, None, "invalid JSON"),
    # signed policies: ("signed", KEY, POLICY, TAMPER) is POLICY signed by KEY.key
    ("signed-good", "verify plain.mseal --policy-key alice.pub", ("signed", "alice", P(licenses=PERMISSIVE), False),
     0, {"licenses.allowed": PASS}, "licenses.allowed"),
    ("signed-good-fail", "verify plain.mseal --policy-key alice.pub",
     ("signed", "alice", P(licenses={"deny": ["Apache-2.0"]}), False), 1, {"licenses.allowed": FAIL},
     "'Apache-2.0' is denied"),
    ("signed-no-key-needed", "verify plain.mseal", ("signed", "alice", P(licenses=PERMISSIVE), False),
     0, {"licenses.allowed": PASS}, "licenses.allowed"),
    ("signed-wrong-key", "verify plain.mseal --policy-key bob.pub",
     ("signed", "alice", P(licenses=PERMISSIVE), False), 3, None,
     "no valid signature by the policy key"),
    ("signed-tampered", "verify plain.mseal --policy-key alice.pub",
     ("signed", "alice", P(licenses=PERMISSIVE), True), 3, None, "no valid signature by the policy key"),
    ("signed-missing", "verify plain.mseal --policy-key alice.pub", P(licenses=PERMISSIVE), 3, None,
     "not a signed policy (a DSSE envelope) but a policy key was given"),
    ("signed-no-signatures", "verify plain.mseal --policy-key alice.pub",
     ("signed", "alice", P(licenses=PERMISSIVE), "strip"), 3, None,
     "json.dsse: DSSE envelope: field 'signatures' is empty"),
    ("signed-other-type", "verify plain.mseal --policy-key alice.pub",
     ("signed", "alice", P(licenses=PERMISSIVE), "type"), 3, None,
     "payload type is not application/vnd.modelseal.policy.v1+json"),
    ("signed-audit", "audit plain.mseal --policy-key alice.pub",
     ("signed", "alice", P(licenses=PERMISSIVE), False), 0, {"licenses.allowed": PASS}, "pass licenses.allowed"),
    ("signed-check", "check --policy-key bob.pub", ("signed", "alice", P(), False), 3, None,
     "no valid signature by the policy key"),
    # policy check
    ("check-valid", "check", P(licenses=PERMISSIVE), 0, None, "valid policy 't' (enforce mode)"),
    ("check-mode", "check", P(mode="enforced"), 3, None,
     "mode: 'enforced' is not one of 'enforce', 'audit' (did you mean 'enforce'?)"),
    ("check-version", "check", {"policyVersion": 2, "mode": "audit"}, 3, None,
     "policyVersion: expected 1, found 2"),
    ("check-class", "check", P(licenses={"denyClasses": ["non-commercial"]}), 3, None,
     "licenses.denyClasses[0]: unknown license class 'non-commercial' (did you mean 'noncommercial'?)"),
    ("check-type", "check", P(compression={"minWorstSqnrDb": "30"}), 3, None,
     "compression.minWorstSqnrDb: expected a number, found a string"),
    ("check-nested", "check", P(datasets={"deny": [{"nam": "x"}]}), 3, None,
     "datasets.deny[0].nam: unknown field (did you mean 'name'?)"),
    ("check-role", "check", P(signers={"requiredRoles": {"approver": "two"}}), 3, None,
     "signers.requiredRoles.approver: expected a threshold from 1 to 1000, found a string"),
    ("check-duplicate", "check", '{"policyVersion": 1, "mode": "audit", "mode": "enforce"}', 3, None,
     "duplicate key 'mode'"),
    ("check-many", "check", {"policyVersion": 1, "mode": "x", "bundel": {}}, 3, None,
     "bundel: unknown field (did you mean 'bundle'?)"),
    # the example policies (examples/policies/)
    ("example-commercial-check", "check", "@examples/commercial-strict.json", 0, None,
     "valid policy 'commercial-strict' (enforce mode)"),
    ("example-research-check", "check", "@examples/research-audit.json", 0, None,
     "valid policy 'research-audit' (audit mode)"),
    ("example-edge-check", "check", "@examples/edge-device.json", 0, None,
     "valid policy 'edge-device' (enforce mode)"),
    ("example-commercial-pass", "verify release.mseal", "@examples/commercial-strict.json", 0,
     {"signers.roles": PASS, "compression.worstSqnr": PASS, "integrity.probes": PASS,
      "licenses.inherited": PASS}, "policy result: passed (11 pass"),
    ("example-commercial-fail", "verify rich.mseal", "@examples/commercial-strict.json", 1,
     {"compression.worstSqnr": FAIL, "signers.roles": PASS}, "floor 30.00 dB"),
    ("example-commercial-nc", "verify nc.mseal", "@examples/commercial-strict.json", 1,
     {"licenses.inherited": FAIL, "licenses.conflicts": FAIL, "datasets.digests": FAIL,
      "signers.roles": FAIL, "compression.worstSqnr": FAIL}, "noncommercial from 'nc-data'"),
    ("example-edge-pass", "verify rich.mseal", "@examples/edge-device.json", 0,
     {"compression.fallbacks": PASS, "bundle.maxSize": PASS, "compression.worstSqnr": PASS},
     "policy result: passed"),
    ("example-edge-fail", "verify edge.mseal", "@examples/edge-device.json", 1,
     {"compression.fallbacks": FAIL}, "asked q4_k, got q4_0"),
    ("example-research", "verify nc.mseal", "@examples/research-audit.json", 0,
     {"licenses.inherited": FAIL, "licenses.conflicts": WARN, "datasets.digests": FAIL},
     "failed (audit mode: not enforced)"),
    # audit --policy shows the verdicts beside the picture, without changing the status
    ("audit-text", "audit nc.mseal", P(licenses={"conflicts": "fail"}), 0,
     {"licenses.conflicts": FAIL}, "FAIL licenses.conflicts"),
]

report_schema = json.load(open(os.path.join(SCHEMAS, "verify-report-v2.schema.json")))
audit_schema = json.load(open(os.path.join(SCHEMAS, "audit-v1.schema.json")))
policy_schema = json.load(open(os.path.join(SCHEMAS, "policy-v1.schema.json")))
failures = 0


def run(args):
    p = subprocess.run([M] + args, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def bad(name, why, out=""):
    global failures
    failures += 1
    print(f"FAIL {name}: {why}\n{out}", file=sys.stderr)


for name, command, policy, want_rc, verdicts, text in CASES:
    path = f"policy-{name}.json"
    if isinstance(policy, str) and policy.startswith("@examples/"):
        path = os.path.join(os.path.dirname(SCHEMAS), "examples", "policies", policy[len("@examples/"):])
        errors = list(jsonschema.Draft202012Validator(policy_schema).iter_errors(json.load(open(path))))
        if errors:
            bad(name, f"{path} does not match policy-v1.schema.json: {[e.message for e in errors]}")
    elif isinstance(policy, str) and policy.startswith("@"):
        path = policy[1:]
    elif isinstance(policy, tuple):
        _, key, doc, tamper = policy
        with open(path, "w") as f:
            json.dump(doc, f)
        rc, out, err = run(["policy", "sign", path, "--key", key + ".key", "-o", path + ".dsse"])
        if rc != 0:
            bad(name, f"policy sign exited {rc}", out + err)
        path += ".dsse"
        env = json.load(open(path))
        if tamper is True:
            body = base64.b64decode(env["payload"]).replace(b'"t"', b'"u"')
            env["payload"] = base64.b64encode(body).decode()
        elif tamper == "strip":
            env["signatures"] = []
        elif tamper == "type":
            env["payloadType"] = "application/vnd.in-toto+json"
        json.dump(env, open(path, "w"))
    else:
        with open(path, "w") as f:
            f.write(policy if isinstance(policy, str) else json.dumps(policy, indent=1))
    words = command.split()
    if words[0] == "check":
        rc, out, err = run(["policy", "check", path] + words[1:])
        if rc != want_rc:
            bad(name, f"exit {rc}, expected {want_rc}", out + err)
        if text not in out + err:
            bad(name, f"output lacks {text!r}", out + err)
        if want_rc != 0 and not all(l.startswith(f"modelseal policy check: {path}: ") for l in err.splitlines()):
            bad(name, "a mistake line does not name the file", err)
        continue
    args = words[:2] + ["--policy", path] + AT + words[2:]
    if words[0] == "verify" and "--trust" not in words:
        args += TRUST
    if words[0] == "audit":
        args += TRUST
    rc, out, err = run(args + (["--json"] if words[0] == "verify" else ["--format", "json"]))
    if rc != want_rc:
        bad(name, f"exit {rc}, expected {want_rc} (json)", out + err)
    if verdicts is not None:
        try:
            doc = json.loads(out)
        except ValueError as e:
            bad(name, f"stdout is not JSON: {e}", out)
            continue
        schema = report_schema if words[0] == "verify" else audit_schema
        errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(doc)]
        if errors:
            bad(name, f"schema: {errors}")
        if words[0] == "verify":
            want_status = {0: "verified", 1: "rejected"}[want_rc]
            if doc["status"] != want_status or doc["verified"] != (want_rc == 0):
                bad(name, f"status {doc['status']}, expected {want_status}")
        pol = doc.get("policy", {})
        got = {r["rule"]: r["verdict"] for r in pol.get("rules", [])}
        if not verdicts and pol.get("state") != "not-run":
            bad(name, f"policy state {pol.get('state')}, expected not-run")
        for rule, v in verdicts.items():
            if got.get(rule) != v:
                bad(name, f"{rule}: {got.get(rule)}, expected {v}", json.dumps(pol, indent=1))
        # Only configured rules are reported.
        if verdicts and set(got) - set(verdicts) and name != "mode-enforce-all" and \
                not name.startswith("example-"):
            bad(name, f"unexpected rules {sorted(set(got) - set(verdicts))}")
    rc, out, err = run(args)
    if rc != want_rc:
        bad(name, f"exit {rc}, expected {want_rc} (text)", out + err)
    if text not in out + err:
        bad(name, f"text output lacks {text!r}", out + err)

print(f"policy: {len(CASES)} cases, {failures} failed")
sys.exit(1 if failures else 0)
