#!/usr/bin/python3
"""Check a CycloneDX 1.6 BOM written by `modelseal audit --format cyclonedx`.

    check_cdx.py BOM.json [--audit AUDIT.json] [--datasets N] [--base-models N]
                 [--files N] [--compressed yes|no] [--conflicts N]

1. The BOM validates against the official CycloneDX 1.6 JSON schema
   (draft-07; tests/audit_cdx/schema/, references resolved from a local
   store, never from the network).
2. Rules the schema cannot express (docs/audit.md, "CycloneDX 1.6 export"):
   bom-refs unique, every reference resolves, hashes are SHA-256 as 64
   lower-case hex digits, the model is metadata.component with type
   machine-learning-model, one data component per dataset and one pedigree
   ancestor per base model, license expressions parse as SPDX expressions
   over the ids of the schema's SPDX list, and more.
3. With --audit (the `--format json` audit of the same bundle), the facts
   agree with it: names, digests, roles, licenses, finding counts.

Exit status 0 when every check passes; 1 with one line per failure otherwise.
"""
import argparse
import json
import os
import re
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA_DIR = os.path.join(HERE, "schema")
NS = "dev.modelseal:"
HEX64 = re.compile(r"^[0-9a-f]{64}$")
UUID8 = re.compile(r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
PURL_OCI = re.compile(r"^pkg:oci/[A-Za-z0-9._~%-]+@sha256%3A([0-9a-f]{64})$")
ROLES = {"training", "evaluation", "calibration"}
RELATIONS = {"finetune", "quantized", "merge", "adapter", "distilled", "unspecified"}

errors = []


def err(msg):
    errors.append(msg)


def load(name):
    with open(os.path.join(SCHEMA_DIR, name), encoding="utf-8") as f:
        return json.load(f)


def schema_errors(doc):
    """Validate against bom-1.6 with its two sibling schemas from a local store."""
    bom = load("bom-1.6.schema.json")
    store = {}
    for name in ("bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json"):
        s = bom if name == "bom-1.6.schema.json" else load(name)
        store[s["$id"]] = s

    def offline(uri):
        raise jsonschema.RefResolutionError(f"reference {uri} is not in the local store")

    resolver = jsonschema.RefResolver.from_schema(
        bom, store=store, handlers={"http": offline, "https": offline})
    jsonschema.Draft7Validator.check_schema(bom)
    # Formats the installed jsonschema can check (iri-reference, uri, idn-email, ...) are
    # checked; date-time needs a module Debian does not ship, so the timestamp is checked
    # by check_rules() instead.
    v = jsonschema.Draft7Validator(bom, resolver=resolver,
                                   format_checker=jsonschema.draft7_format_checker)
    out = []
    for e in sorted(v.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        path = "/".join(map(str, e.absolute_path)) or "(root)"
        out.append(f"schema: {path}: {e.message[:300]}")
    return out


def spdx_ids():
    return set(load("spdx.schema.json")["enum"])


# ---- SPDX expressions ----

TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")
IDSTRING = r"[A-Za-z0-9.\-]+"
LICREF = re.compile(rf"^(DocumentRef-{IDSTRING}:)?LicenseRef-{IDSTRING}$")


def parse_expression(text, ids):
    """Raise ValueError unless text is an SPDX expression over the given ids."""
    toks = []
    pos = 0
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            if text[pos:].strip() == "":
                break
            raise ValueError(f"cannot tokenize at {pos}")
        toks.append(m.group(1))
        pos = m.end()
    if not toks:
        raise ValueError("empty expression")
    i = 0

    def peek():
        return toks[i] if i < len(toks) else None

    def take():
        nonlocal i
        t = peek()
        if t is None:
            raise ValueError("unexpected end")
        i += 1
        return t

    def simple():
        t = take()
        if t in ("AND", "OR", "WITH", "(", ")"):
            raise ValueError(f"expected a license, got {t!r}")
        if LICREF.match(t):
            return
        base = t[:-1] if t.endswith("+") else t
        if base not in ids:
            raise ValueError(f"unknown license id {t!r}")

    def term():
        if peek() == "(":
            take()
            expr()
            if take() != ")":
                raise ValueError("missing ')'")
            return
        simple()
        if peek() == "WITH":
            take()
            e = take()
            if e not in ids:
                raise ValueError(f"unknown exception id {e!r}")

    def conj():
        term()
        while peek() == "AND":
            take()
            term()

    def expr():
        conj()
        while peek() == "OR":
            take()
            conj()

    expr()
    if i != len(toks):
        raise ValueError(f"unexpected {toks[i]!r}")


# ---- walking the document ----

def walk(node, path="$"):
    """Yield (path, dict) for every object in the tree."""
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from walk(v, f"{path}.{k}")
    elif isinstance(node, list):
        for n, v in enumerate(node):
            yield from walk(v, f"{path}[{n}]")


def props(obj):
    out = {}
    for p in obj.get("properties", []):
        out.setdefault(p["name"], []).append(p.get("value"))
    return out


def one_prop(obj, name, where):
    vals = props(obj).get(name, [])
    if len(vals) != 1:
        err(f"{where}: expected one property {name}, found {len(vals)}")
        return None
    return vals[0]


def check_rules(bom, ids, args):
    if bom.get("bomFormat") != "CycloneDX" or bom.get("specVersion") != "1.6":
        err("bomFormat/specVersion are not CycloneDX 1.6")
    if bom.get("version") != 1:
        err("version is not 1")
    if not UUID8.match(bom.get("serialNumber", "")):
        err(f"serialNumber {bom.get('serialNumber')!r} is not a version-8 RFC 9562 UUID URN")
    md = bom.get("metadata", {})
    if not RFC3339.match(md.get("timestamp", "")):
        err(f"metadata.timestamp {md.get('timestamp')!r} is not RFC 3339")
    tools = md.get("tools", {}).get("components", []) if isinstance(md.get("tools"), dict) else []
    if not any(t.get("name") == "modelseal" and t.get("version") for t in tools):
        err("metadata.tools.components does not name modelseal with a version")

    # bom-refs: unique, and every reference resolves.
    refs = {}
    for path, o in walk(bom):
        r = o.get("bom-ref")
        if r is None:
            continue
        if not isinstance(r, str) or not r:
            err(f"{path}: empty bom-ref")
        elif r in refs:
            err(f"{path}: bom-ref {r!r} also at {refs[r]}")
        else:
            refs[r] = path
        if isinstance(r, str) and r.startswith("urn:cdx:"):
            err(f"{path}: bom-ref {r!r} starts with urn:cdx:")

    def resolve(path, r):
        if r not in refs:
            err(f"{path}: reference {r!r} matches no bom-ref")

    for path, o in walk(bom):
        if isinstance(o.get("ref"), str):
            resolve(f"{path}.ref", o["ref"])
        for key in ("dependsOn", "provides", "subjects", "assemblies", "dependencies"):
            v = o.get(key)
            if isinstance(v, list):
                for n, r in enumerate(v):
                    if isinstance(r, str):
                        resolve(f"{path}.{key}[{n}]", r)

    # hashes: SHA-256, 64 lower-case hex digits.
    for path, o in walk(bom):
        for n, h in enumerate(o.get("hashes", []) if isinstance(o.get("hashes"), list) else []):
            if h.get("alg") != "SHA-256" or not HEX64.match(h.get("content", "")):
                err(f"{path}.hashes[{n}]: not SHA-256 as 64 lower-case hex digits: {h}")

    # license expressions
    for path, o in walk(bom):
        if "expression" in o:
            e = o["expression"]
            if not isinstance(e, str) or not e.strip():
                err(f"{path}: empty license expression")
                continue
            try:
                parse_expression(e, ids)
            except ValueError as x:
                err(f"{path}: license expression {e!r}: {x}")

    # properties: our namespace
    for path, o in walk(bom):
        for p in o.get("properties", []) if isinstance(o.get("properties"), list) else []:
            if not p.get("name", "").startswith(NS):
                err(f"{path}: property {p.get('name')!r} outside {NS}")
            if "value" not in p:
                err(f"{path}: property {p.get('name')!r} without a value")

    # external references and data URLs: no spaces or control characters
    for path, o in walk(bom):
        for key in ("url",):
            u = o.get(key)
            if isinstance(u, str) and (not u or re.search(r"[\x00-\x20\x7f\"<>\\^`{|}]", u)):
                err(f"{path}.{key}: {u!r} is not an IRI reference")

    # the model
    model = md.get("component")
    if not isinstance(model, dict):
        err("metadata.component is missing")
        return None
    if model.get("type") != "machine-learning-model":
        err(f"metadata.component has type {model.get('type')!r}, not machine-learning-model")
    mref = model.get("bom-ref")
    if not mref:
        err("metadata.component has no bom-ref")
    mdig = one_prop(model, NS + "manifestDigest", "model")
    mhash = [h["content"] for h in model.get("hashes", [])]
    if mdig is None or not mdig.startswith("sha256:") or mhash != [mdig[7:]]:
        err(f"model: hashes {mhash} are not its manifest digest {mdig}")
    m = PURL_OCI.match(model.get("purl", ""))
    if not m or (mdig and m.group(1) != mdig[7:]):
        err(f"model: purl {model.get('purl')!r} is not pkg:oci/NAME@sha256%3A<manifest digest>")
    dist = [r for r in model.get("externalReferences", []) if r.get("type") == "distribution"]
    bdig = one_prop(model, NS + "bundle.digest", "model")
    if len(dist) != 1 or [h["content"] for h in dist[0].get("hashes", [])] != [(bdig or "")[7:]]:
        err("model: no distribution reference carrying the bundle's SHA-256")
    for name in ("license.declared", "license.concluded", "signatures.verified", "bundle.size"):
        one_prop(model, NS + name, "model")
    for lic in model.get("licenses", []):
        if "expression" in lic and lic["expression"] != props(model)[NS + "license.declared"][0]:
            err("model: license expression differs from dev.modelseal:license.declared")

    # files: nested file components, each with a hash
    files = [c for c in model.get("components", [])]
    for c in files:
        if c.get("type") != "file" or len(c.get("hashes", [])) != 1:
            err(f"model component {c.get('name')!r}: not a file with one hash")
    if args.files is not None and len(files) != args.files:
        err(f"{len(files)} file components, expected {args.files}")

    # datasets: top-level data components, one per dataset, all referenced
    comps = bom.get("components", [])
    data = [c for c in comps if c.get("type") == "data"]
    if len(data) != len(comps):
        err("a top-level component is not a data component")
    if args.datasets is not None and len(data) != args.datasets:
        err(f"{len(data)} data components, expected one per dataset: {args.datasets}")
    card = model.get("modelCard", {})
    card_refs = [d.get("ref") for d in card.get("modelParameters", {}).get("datasets", [])]
    dep = [d for d in bom.get("dependencies", []) if d.get("ref") == mref]
    dep_on = dep[0].get("dependsOn", []) if dep else []
    for c in data:
        w = f"data component {c.get('bom-ref')!r}"
        role = one_prop(c, NS + "role", w)
        if role not in ROLES:
            err(f"{w}: role {role!r}")
        ds = c.get("data", [])
        if len(ds) != 1 or ds[0].get("type") != "dataset" or ds[0].get("name") != c.get("name"):
            err(f"{w}: data[] is not one dataset named like the component")
        if c.get("bom-ref") not in card_refs:
            err(f"{w}: not in the model card's modelParameters.datasets")
        if c.get("bom-ref") not in dep_on:
            err(f"{w}: the model's dependencies do not list it")
        one_prop(c, NS + "license.propagates", w)
    if len(card_refs) != len(data):
        err("modelParameters.datasets does not match the data components")

    # base models: pedigree ancestors
    anc = model.get("pedigree", {}).get("ancestors", [])
    if args.base_models is not None and len(anc) != args.base_models:
        err(f"{len(anc)} pedigree ancestors, expected one per base model: {args.base_models}")
    for c in anc:
        w = f"ancestor {c.get('bom-ref')!r}"
        if c.get("type") != "machine-learning-model":
            err(f"{w}: type {c.get('type')!r}")
        rel = one_prop(c, NS + "relation", w)
        if rel not in RELATIONS:
            err(f"{w}: relation {rel!r}")
        h = c.get("hashes", [])
        dg = props(c).get(NS + "manifestDigest", [None])[0]
        if h and (dg is None or [x["content"] for x in h] != [dg[7:]]):
            err(f"{w}: hash is not its manifest digest")
        if h:
            m = PURL_OCI.match(c.get("purl", ""))
            if not m or m.group(1) != h[0]["content"]:
                err(f"{w}: purl {c.get('purl')!r} does not carry its digest")
        elif "purl" in c:
            err(f"{w}: a purl without a digest")
        if rel == "adapter" and c.get("bom-ref") not in dep_on:
            err(f"{w}: an adapter's base is not a dependency of the model")

    # compression fidelity
    qa = card.get("quantitativeAnalysis")
    comp_prop = props(model).get(NS + "compression", [])
    if qa is not None:
        kinds = set()
        for pm in qa.get("performanceMetrics", []):
            kinds.add(pm.get("type"))
            v = pm.get("value")
            try:
                float(v)
            except (TypeError, ValueError):
                if v != "exact":
                    err(f"performance metric {pm}: value is neither a number nor 'exact'")
        if comp_prop:
            err("quantitativeAnalysis present although dev.modelseal:compression is none")
    if args.compressed == "yes":
        if qa is None:
            err("compressed bundle without quantitativeAnalysis")
        else:
            need = {"bits per weight", "SQNR (dB)", "cosine similarity", "relative RMSE",
                    "max absolute error", "sparsity"}
            if not need <= kinds:
                err(f"performance metrics lack {sorted(need - kinds)}")
            if not any(str(p.get("slice", "")).startswith("worst tensor: ")
                       for p in qa.get("performanceMetrics", [])):
                err("no SQNR of the worst tensor")
    if args.compressed == "no":
        if qa is not None:
            err("uncompressed bundle with quantitativeAnalysis")
        if comp_prop != ["none"]:
            err("uncompressed bundle without dev.modelseal:compression = none")

    conflicts = props(model).get(NS + "license.conflict", [])
    if args.conflicts is not None and len(conflicts) != args.conflicts:
        err(f"{len(conflicts)} license conflicts, expected {args.conflicts}")
    ann = bom.get("annotations", [])
    if conflicts and not any(a.get("text", "").startswith("license conflict") for a in ann):
        err("license conflicts without an annotation")
    return model


def check_audit(bom, model, audit):
    """The BOM says what the JSON audit of the same bundle says."""
    m = audit["model"]
    if model.get("name") != m["name"] or model.get("version") != m["version"]:
        err("model name/version differ from the audit")
    if props(model).get(NS + "manifestDigest") != [m["manifestDigest"]]:
        err("manifest digest differs from the audit")
    if props(model).get(NS + "bundle.digest") != [audit["bundle"]["digest"]]:
        err("bundle digest differs from the audit")
    if model.get("description") != m.get("description"):
        err("description differs from the audit")
    if [a["name"] for a in model.get("authors", [])] != m.get("authors", []):
        err("authors differ from the audit")
    card = m.get("card", {})
    cons = model.get("modelCard", {}).get("considerations", {})
    if cons.get("useCases", []) != ([card["intendedUse"]] if "intendedUse" in card else []):
        err("useCases differ from the card's intendedUse")
    if ("limitations" in card) != (card.get("limitations") in cons.get("technicalLimitations", [])):
        err("technicalLimitations lack the card's limitations")
    oos = props(model.get("modelCard", {})).get(NS + "card.outOfScopeUse", [])
    if oos != ([card["outOfScopeUse"]] if "outOfScopeUse" in card else []):
        err("the card's outOfScopeUse is not kept")
    lic = audit["licenses"]
    if props(model).get(NS + "license.declared") != [lic["declared"] or "NOASSERTION"]:
        err("declared license differs from the audit")
    if props(model).get(NS + "license.concluded") != [lic["concluded"] or "NOASSERTION"]:
        err("concluded license differs from the audit")
    for key, name in (("conflicts", "conflict"), ("warnings", "warning"), ("notes", "note")):
        if len(props(model).get(NS + "license." + name, [])) != len(lic[key]):
            err(f"{key}: count differs from the audit")
    data = [c for c in bom.get("components", []) if c.get("type") == "data"]
    ds = audit["lineage"]["datasets"]
    if len(data) != len(ds):
        err("dataset count differs from the audit")
    for c, d in zip(data, ds):
        w = f"dataset {d['name']!r}"
        if c.get("name") != d["name"] or props(c).get(NS + "role") != [d["role"]]:
            err(f"{w}: name or role differs")
        hx = [h["content"] for h in c.get("hashes", [])]
        want = [d["digest"][7:]] if d.get("digest", "").startswith("sha256:") else []
        if hx != want:
            err(f"{w}: hashes {hx} differ from digest {d.get('digest')}")
        if "records" in d and props(c).get(NS + "records") != [str(d["records"])]:
            err(f"{w}: records differ")
        can = d["licensing"].get("canonical")
        exprs = [x["expression"] for x in c.get("licenses", []) if "expression" in x]
        if can is not None and exprs != [can]:
            err(f"{w}: license {exprs} differs from {can}")
    anc = model.get("pedigree", {}).get("ancestors", [])
    bases = audit["lineage"]["baseModels"]
    if len(anc) != len(bases):
        err("base model count differs from the audit")
    for c, b in zip(anc, bases):
        w = f"base model {b['name']!r}"
        if c.get("name") != b["name"]:
            err(f"{w}: name differs")
        if props(c).get(NS + "relation") != [b.get("relation", "unspecified")]:
            err(f"{w}: relation differs")
        hx = [h["content"] for h in c.get("hashes", [])]
        want = [b["digest"][7:]] if b.get("digest", "").startswith("sha256:") else []
        if hx != want:
            err(f"{w}: hashes {hx} differ from digest {b.get('digest')}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bom")
    ap.add_argument("--audit", help="the --format json audit of the same bundle")
    ap.add_argument("--datasets", type=int)
    ap.add_argument("--base-models", type=int)
    ap.add_argument("--files", type=int)
    ap.add_argument("--compressed", choices=["yes", "no"])
    ap.add_argument("--conflicts", type=int)
    args = ap.parse_args()
    with open(args.bom, "rb") as f:
        raw = f.read()
    try:
        bom = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        print(f"{args.bom}: not JSON: {e}")
        return 1
    if not raw.endswith(b"}\n"):
        err("the document does not end in a newline")
    errors.extend(schema_errors(bom))
    if isinstance(bom, dict):
        model = check_rules(bom, spdx_ids(), args)
        if args.audit and model is not None:
            with open(args.audit, encoding="utf-8") as f:
                check_audit(bom, model, json.load(f))
    for e in errors:
        print(f"{args.bom}: {e}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
