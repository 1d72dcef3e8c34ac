#!/usr/bin/python3
"""Check an SPDX 3.0.1 document written by `modelseal audit --format spdx`.

usage: check_spdx.py [--whole] SCHEMA_DIR DOC.json [--expect EXPECT.json]

SCHEMA_DIR holds spdx-3.0.1-json-schema.json and spdx-3.0.1-context.jsonld
(tests/audit_spdx/schema).  The document is validated against the schema,
then against the rules the schema does not express (docs/audit.md, "SPDX
3.0.1 export"): identifiers, references, the root element, one declared and
one concluded license per package, the lineage relationships, hashes.
With --expect, the facts of one scenario are compared too (see expect()).
--whole validates the document against the schema in one pass (slow), instead
of entry by entry (see schema_errors()).

Prints "ok: ..." and exits 0, or prints every problem found and exits 1.
"""
import json
import re
import sys

import jsonschema

CONTEXT_URL = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
# SPDX individuals a reference may name instead of an element of the graph.
LICENSE_INDIVIDUALS = {"expandedlicensing_NoAssertionLicense", "expandedlicensing_NoneLicense"}
PACKAGE_TYPES = {"software_Package", "ai_AIPackage", "dataset_DatasetPackage"}
LICENSE_TYPES = {"simplelicensing_LicenseExpression"}
AGENT_TYPES = {"Agent", "Person", "Organization", "SoftwareAgent"}
# Relationship type -> (types allowed as from, types allowed as to).
RELATIONSHIPS = {
    "contains": ({"ai_AIPackage"}, {"software_File"}),
    "trainedOn": ({"ai_AIPackage"}, {"dataset_DatasetPackage"}),
    "testedOn": ({"ai_AIPackage"}, {"dataset_DatasetPackage"}),
    "ancestorOf": ({"ai_AIPackage"}, {"ai_AIPackage"}),
    "hasDeclaredLicense": (PACKAGE_TYPES, LICENSE_TYPES),
    "hasConcludedLicense": (PACKAGE_TYPES, LICENSE_TYPES),
}
PROFILES = {"core", "software", "ai", "dataset", "simpleLicensing"}
HEX64 = re.compile(r"^[0-9a-f]{64}$")
DATETIME = re.compile(r"^\d\d\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


class Checker:
    def __init__(self):
        self.errors = []

    def fail(self, msg):
        self.errors.append(msg)

    def check(self, cond, msg):
        if not cond:
            self.fail(msg)
        return cond


def walk(node, path="$"):
    """Every (path, dict) in a JSON tree."""
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from walk(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, f"{path}[{i}]")


def fast_validator(cls):
    """cls with anyOf memoized for valid primitive instances.

    The SPDX schema checks every reference (a string) against anyOf lists of
    forty classes; jsonschema 4.10 re-evaluates them for each occurrence.  A
    primitive valid under one anyOf is valid under it everywhere, so
    successes are cached; failures are always re-evaluated (their errors
    carry paths).  Results are those of cls."""
    base = cls.VALIDATORS["anyOf"]
    valid = set()

    def any_of(validator, any_of_schemas, instance, schema):
        if instance is None or isinstance(instance, (str, int, float, bool)):
            key = (id(any_of_schemas), type(instance), instance)
            if key in valid:
                return
            errors = list(base(validator, any_of_schemas, instance, schema))
            if not errors:
                valid.add(key)
            yield from errors
        else:
            yield from base(validator, any_of_schemas, instance, schema)

    return jsonschema.validators.extend(cls, {"anyOf": any_of})


def schema_errors(c, schema_dir, doc, whole):
    """Validate against the official schema.  whole: the document in one pass
    (slow: jsonschema takes seconds per element); else the envelope (@context,
    @graph) against the whole schema and each @graph entry against the class
    its "type" names, with unevaluatedProperties false, as the schema's @graph
    items do.  Every class of the schema's AnyClass requires its own type
    constant, so an entry can only be valid through the class it names: the
    two ways give the same verdict."""
    with open(f"{schema_dir}/spdx-3.0.1-json-schema.json", encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    c.check(cls is jsonschema.Draft202012Validator,
            f"schema declares {schema.get('$schema')}, expected draft 2020-12")
    cls.check_schema(schema)
    fast = fast_validator(cls)

    def report(errors, prefix):
        for e in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
            where = "/".join(str(p) for p in e.absolute_path)
            c.fail(f"schema: at {prefix}/{where}: {e.message[:300]}")

    if whole or not isinstance(doc, dict) or not isinstance(doc.get("@graph"), list):
        report(fast(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(doc), "")
        return
    envelope = dict(doc, **{"@graph": []})
    report(fast(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(envelope), "")
    classes = {r["$ref"].rsplit("/", 1)[1] for r in schema["$defs"]["AnyClass"]["anyOf"]}
    defs = {"$schema": schema["$schema"], "$defs": schema["$defs"]}
    for i, o in enumerate(doc["@graph"]):
        t = o.get("type") if isinstance(o, dict) else None
        name = t if isinstance(t, str) and t in classes else "AnyClass"
        sub = dict(defs, **{"type": "object", "$ref": f"#/$defs/{name}",
                            "unevaluatedProperties": False})
        report(fast(sub, format_checker=cls.FORMAT_CHECKER).iter_errors(o), f"/@graph/{i}")


def context_terms(schema_dir):
    with open(f"{schema_dir}/spdx-3.0.1-context.jsonld", encoding="utf-8") as f:
        return json.load(f)["@context"]


def rules(c, doc, ctx):
    c.check(doc.get("@context") == CONTEXT_URL, f"@context is not {CONTEXT_URL}")
    graph = doc.get("@graph")
    if not c.check(isinstance(graph, list) and graph, "no @graph array"):
        return None
    if not c.check(all(isinstance(o, dict) for o in graph), "a @graph entry is not an object"):
        return None

    # Every key is a term of the SPDX context (else JSON-LD drops it), every type too.
    for path, o in walk(graph, "$.@graph"):
        for k in o:
            c.check(k in ("@id",) or k in ctx, f"{path}: key '{k}' is not an SPDX 3.0.1 term")
        if "type" in o:
            c.check(isinstance(o["type"], str) and o["type"] in ctx,
                    f"{path}: type {o.get('type')!r} is not an SPDX 3.0.1 class")

    # CreationInfo: blank nodes, complete.
    infos = {o.get("@id"): o for o in graph if o.get("type") == "CreationInfo"}
    c.check(len(infos) == sum(o.get("type") == "CreationInfo" for o in graph),
            "two CreationInfo objects share an @id")
    c.check(len(infos) >= 1, "no CreationInfo")
    for iid, ci in infos.items():
        c.check(isinstance(iid, str) and iid.startswith("_:"),
                f"CreationInfo @id {iid!r} is not a blank node")
        c.check(ci.get("specVersion") == "3.0.1", f"CreationInfo {iid}: specVersion is not 3.0.1")
        c.check(isinstance(ci.get("created"), str) and DATETIME.match(ci["created"]),
                f"CreationInfo {iid}: created {ci.get('created')!r} is not YYYY-MM-DDTHH:MM:SSZ")

    # Elements: unique IRI spdxIds, each with a resolving creationInfo.
    elements = [o for o in graph if o.get("type") != "CreationInfo"]
    by_id = {}
    for o in elements:
        sid = o.get("spdxId")
        if not c.check(isinstance(sid, str), f"element of type {o.get('type')} has no spdxId"):
            continue
        c.check(not sid.startswith("_:") and ":" in sid, f"spdxId {sid!r} is not an IRI")
        c.check(sid not in by_id, f"spdxId {sid} is not unique")
        by_id.setdefault(sid, o)
        c.check(o.get("creationInfo") in infos,
                f"{sid}: creationInfo {o.get('creationInfo')!r} is not a CreationInfo of the graph")
    for iid, ci in infos.items():
        for a in ci.get("createdBy", []):
            c.check(a in by_id and by_id[a]["type"] in AGENT_TYPES,
                    f"CreationInfo {iid}: createdBy {a} is not an agent of the graph")
        for t in ci.get("createdUsing", []):
            c.check(t in by_id and by_id[t]["type"] == "Tool",
                    f"CreationInfo {iid}: createdUsing {t} is not a Tool of the graph")

    def typ(ref):
        return by_id[ref].get("type") if isinstance(ref, str) and ref in by_id else None

    # The document and its root: the model.
    docs = [o for o in elements if o.get("type") == "SpdxDocument"]
    if not c.check(len(docs) == 1, f"{len(docs)} SpdxDocument elements, expected 1"):
        return None
    sdoc = docs[0]
    roots = sdoc.get("rootElement", [])
    c.check(len(roots) == 1 and typ(roots[0]) == "ai_AIPackage",
            f"rootElement {roots} is not exactly one ai_AIPackage of the graph")
    model = roots[0] if roots else None
    missing = PROFILES - set(sdoc.get("profileConformance", []))
    c.check(not missing, f"profileConformance lacks {sorted(missing)}")
    members = sdoc.get("element", [])
    c.check(len(members) == len(set(members)), "SpdxDocument.element lists an element twice")
    for m in members:
        c.check(m in by_id, f"SpdxDocument.element names {m}, which is not in the graph")
    unlisted = set(by_id) - set(members) - {sdoc["spdxId"]}
    c.check(not unlisted, f"elements not in SpdxDocument.element: {sorted(unlisted)}")

    # Agents named as originators resolve.
    for o in elements:
        for a in o.get("originatedBy", []) + ([o["suppliedBy"]] if "suppliedBy" in o else []):
            c.check(typ(a) in AGENT_TYPES, f"{o['spdxId']}: agent {a} is not an agent of the graph")

    # Relationships: known types, resolving ends of the right kinds.
    rels = [o for o in elements if o.get("type") == "Relationship"]
    for r in rels:
        rid, rt = r["spdxId"], r.get("relationshipType")
        if not c.check(rt in RELATIONSHIPS, f"{rid}: unexpected relationship type {rt!r}"):
            continue
        froms, tos = RELATIONSHIPS[rt]
        c.check(typ(r.get("from")) in froms,
                f"{rid} ({rt}): from {r.get('from')!r} is not a {'/'.join(sorted(froms))} of the graph")
        to = r.get("to", [])
        c.check(len(to) >= 1, f"{rid} ({rt}): no 'to'")
        for t in to:
            ok = typ(t) in tos or (tos is LICENSE_TYPES and t in LICENSE_INDIVIDUALS)
            c.check(ok, f"{rid} ({rt}): to {t!r} is not a {'/'.join(sorted(tos))} of the graph"
                        + (" nor a license individual" if tos is LICENSE_TYPES else ""))
        if rt in ("hasDeclaredLicense", "hasConcludedLicense"):
            c.check(len(to) == 1, f"{rid} ({rt}): {len(to)} licenses, expected 1")
        if rt in ("trainedOn", "testedOn", "contains"):
            c.check(r.get("from") == model, f"{rid} ({rt}): from {r.get('from')}, not the model")
        if rt == "ancestorOf":
            c.check(to == [model], f"{rid} (ancestorOf): to {to}, not [the model]")
            c.check(r.get("from") != model, f"{rid} (ancestorOf): the model is its own ancestor")

    def rels_of(rt, frm=None, to=None):
        return [r for r in rels if r.get("relationshipType") == rt
                and (frm is None or r.get("from") == frm)
                and (to is None or to in r.get("to", []))]

    # Exactly one declared and one concluded license per package.
    packages = [o["spdxId"] for o in elements if o.get("type") in PACKAGE_TYPES]
    for p in packages:
        for rt in ("hasDeclaredLicense", "hasConcludedLicense"):
            n = len(rels_of(rt, frm=p))
            c.check(n == 1, f"package {p}: {n} {rt} relationships, expected exactly 1")

    # Lineage: each dataset trained or tested on exactly once, each base an ancestor once.
    for o in elements:
        sid = o["spdxId"]
        if o.get("type") == "dataset_DatasetPackage":
            n = len(rels_of("trainedOn", model, sid)) + len(rels_of("testedOn", model, sid))
            c.check(n == 1, f"dataset {sid}: {n} trainedOn/testedOn relationships from the model, expected 1")
        elif o.get("type") == "ai_AIPackage" and sid != model:
            n = len(rels_of("ancestorOf", sid, model))
            c.check(n == 1, f"base model {sid}: {n} ancestorOf relationships to the model, expected 1")
        elif o.get("type") == "software_File":
            n = len(rels_of("contains", model, sid))
            c.check(n == 1, f"file {sid}: contained {n} times by the model, expected 1")

    # License expressions: non-empty, no NOASSERTION/NONE inside (the individuals say that).
    for o in elements:
        if o.get("type") == "simplelicensing_LicenseExpression":
            e = o.get("simplelicensing_licenseExpression", "")
            c.check(e.strip() != "", f"{o['spdxId']}: empty license expression")
            c.check(not re.search(r"\b(NOASSERTION|NONE)\b", e),
                    f"{o['spdxId']}: NOASSERTION/NONE inside a license expression")
            for ent in o.get("simplelicensing_customIdToUri", []):
                c.check(ent.get("key", "").startswith("LicenseRef-") and ent["key"] in e,
                        f"{o['spdxId']}: customIdToUri key {ent.get('key')!r} is not a LicenseRef of the expression")

    # Hashes: SHA-256, 64 lower-case hex digits.
    for path, o in walk(graph, "$.@graph"):
        if o.get("type") == "Hash":
            c.check(o.get("algorithm") == "sha256", f"{path}: hash algorithm {o.get('algorithm')!r}")
            c.check(isinstance(o.get("hashValue"), str) and HEX64.match(o["hashValue"]),
                    f"{path}: hashValue {o.get('hashValue')!r} is not 64 lower-case hex digits")
    if model in by_id:
        c.check(any(h.get("type") == "Hash" for h in by_id[model].get("verifiedUsing", [])),
                "the model has no verifiedUsing hash (the bundle file's SHA-256)")

    # Annotations: about an element of the graph, with a statement.
    for o in elements:
        if o.get("type") == "Annotation":
            c.check(o.get("subject") in by_id, f"{o['spdxId']}: subject {o.get('subject')} is not in the graph")
            c.check(bool(o.get("statement")), f"{o['spdxId']}: no statement")
    return {"by_id": by_id, "model": model, "rels_of": rels_of, "elements": elements}


def license_of(g, pkg, rt):
    """The expression (None for NoAssertionLicense) of a package's one license relationship."""
    rs = g["rels_of"](rt, frm=pkg)
    if len(rs) != 1 or len(rs[0].get("to", [])) != 1:
        return "<missing>"
    t = rs[0]["to"][0]
    if t == "expandedlicensing_NoAssertionLicense":
        return None
    return g["by_id"].get(t, {}).get("simplelicensing_licenseExpression", "<dangling>")


def hashes(o):
    return [h.get("hashValue") for h in o.get("verifiedUsing", []) if h.get("type") == "Hash"]


def expect(c, g, exp):
    """Compare with a scenario: {"model": {...}, "bases": [...], "datasets": [...],
    "files": N, "annotations": {"review": N, "other": N}, "statements": [substrings]}.
    Absent keys are not checked; a license of null means NoAssertion."""
    by_id, model = g["by_id"], g["model"]
    m = by_id.get(model, {})
    em = exp.get("model", {})
    for k, field in (("name", "name"), ("version", "software_packageVersion"),
                     ("description", "description"), ("limitation", "ai_limitation"),
                     ("purl", "software_packageUrl"), ("builtTime", "builtTime")):
        if k in em:
            c.check(m.get(field) == em[k], f"model {field}: {m.get(field)!r}, expected {em[k]!r}")
    if "bundle_sha256" in em:
        c.check(hashes(m) == [em["bundle_sha256"]], f"model hashes {hashes(m)}, expected [{em['bundle_sha256']}]")
    if "manifest" in em:
        ids = [e.get("identifier") for e in m.get("externalIdentifier", [])]
        c.check("sha256:" + em["manifest"] in ids, f"model identifiers {ids} lack the manifest digest")
    if "authors" in em:
        names = [by_id.get(a, {}).get("name") for a in m.get("originatedBy", [])]
        c.check(names == em["authors"], f"model authors {names!r}, expected {em['authors']!r}")
    for k, rt in (("declared", "hasDeclaredLicense"), ("concluded", "hasConcludedLicense")):
        if k in em:
            got = license_of(g, model, rt)
            c.check(got == em[k], f"model {k} license {got!r}, expected {em[k]!r}")
    if "comment_contains" in em:
        for s in em["comment_contains"]:
            c.check(s in m.get("comment", ""), f"model comment lacks {s!r}")

    def compare(kind, found, wanted):
        c.check(len(found) == len(wanted), f"{len(found)} {kind}, expected {len(wanted)}")
        for o, w in zip(found, wanted):
            sid = o["spdxId"]
            if "name" in w:
                c.check(o.get("name") == w["name"], f"{sid}: name {o.get('name')!r}, expected {w['name']!r}")
            if "sha256" in w:
                want = [w["sha256"]] if w["sha256"] else []
                c.check(hashes(o) == want, f"{sid}: hashes {hashes(o)}, expected {want}")
            if "uri" in w:
                c.check(o.get("software_downloadLocation") == w["uri"],
                        f"{sid}: downloadLocation {o.get('software_downloadLocation')!r}, expected {w['uri']!r}")
            for k, rt in (("declared", "hasDeclaredLicense"), ("concluded", "hasConcludedLicense")):
                if k in w:
                    got = license_of(g, sid, rt)
                    c.check(got == w[k], f"{sid}: {k} license {got!r}, expected {w[k]!r}")
            if "rel" in w:
                if w["rel"] == "ancestorOf":
                    rs = g["rels_of"]("ancestorOf", frm=sid, to=model)
                else:
                    rs = g["rels_of"](w["rel"], frm=model, to=sid)
                c.check(len(rs) == 1, f"{sid}: no {w['rel']} relationship with the model")
                for s in w.get("rel_comment_contains", []):
                    c.check(any(s in r.get("comment", "") for r in rs),
                            f"{sid}: the {w['rel']} relationship's comment lacks {s!r}")
            for s in w.get("comment_contains", []):
                c.check(s in o.get("comment", ""), f"{sid}: comment lacks {s!r}")

    els = g["elements"]
    if "datasets" in exp:
        compare("datasets", [o for o in els if o.get("type") == "dataset_DatasetPackage"], exp["datasets"])
    if "bases" in exp:
        compare("base models", [o for o in els if o.get("type") == "ai_AIPackage" and o["spdxId"] != model],
                exp["bases"])
    if "files" in exp:
        n = sum(o.get("type") == "software_File" for o in els)
        c.check(n == exp["files"], f"{n} files, expected {exp['files']}")
    anns = [o for o in els if o.get("type") == "Annotation"]
    for kind, n in exp.get("annotations", {}).items():
        got = sum(o.get("annotationType") == kind for o in anns)
        c.check(got == n, f"{got} '{kind}' annotations, expected {n}")
    for s in exp.get("statements", []):
        c.check(any(s in o.get("statement", "") for o in anns), f"no annotation statement contains {s!r}")


def main(argv):
    args = argv[1:]
    whole = bool(args) and args[0] == "--whole"
    if whole:
        args = args[1:]
    if len(args) not in (2, 4) or (len(args) == 4 and args[2] != "--expect"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    schema_dir, path = args[0], args[1]
    c = Checker()
    with open(path, "rb") as f:
        raw = f.read()
    c.check(raw.endswith(b"\n"), "the document does not end with a newline")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        print(f"{path}: not UTF-8 JSON: {e}", file=sys.stderr)
        return 1
    schema_errors(c, schema_dir, doc, whole)
    g = rules(c, doc, context_terms(schema_dir))
    if g is not None and len(args) == 4:
        with open(args[3], encoding="utf-8") as f:
            expect(c, g, json.load(f))
    if c.errors:
        for e in c.errors:
            print(f"{path}: {e}", file=sys.stderr)
        return 1
    n = len(doc["@graph"])
    print(f"ok: {path}: {n} graph objects, schema and rules hold")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
