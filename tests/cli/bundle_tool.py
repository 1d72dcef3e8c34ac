#!/usr/bin/python3
"""Test helper for modelseal bundles: builds models, tampers with bundles,
forges re-signed bundles and crafts hostile archives.

It reads and writes the bundle format (docs/bundle-format.md) with Python's
own tar, JSON, hashlib and the `cryptography` package: an implementation
independent of modelseal's C code, so a bundle it forges and signs is also an
interoperability check of the specification.
"""
import base64
import hashlib
import io
import json
import os
import struct
import sys
import tarfile

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
AT_MODEL = "application/vnd.cncf.model.manifest.v1+json"
AT_SIG = "application/vnd.modelseal.signature.v1+json"
MT_WEIGHT = "application/vnd.cncf.model.weight.v1.raw"
MT_WCONFIG = "application/vnd.cncf.model.weight.config.v1.raw"
MT_DOC = "application/vnd.cncf.model.doc.v1.raw"
MT_METADATA = "application/vnd.modelseal.metadata.v1+json"
MT_REPORT = "application/vnd.modelseal.compression-report.v1+json"
MT_PROBES = "application/vnd.modelseal.probes.v1.raw"
MT_DSSE = "application/vnd.dsse.envelope.v1+json"


def sha(b):
    return hashlib.sha256(b).hexdigest()


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def safetensors(tensors, metadata=None):
    """tensors: list of (name, dtype, shape, bytes), written in name order."""
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    off = 0
    data = b""
    for name, dtype, shape, raw in sorted(tensors):
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(raw)]}
        off += len(raw)
        data += raw
    hb = json.dumps(header, separators=(",", ":")).encode()
    hb += b" " * ((8 - len(hb) % 8) % 8)
    return struct.pack("<Q", len(hb)) + hb + data


def make_model(d):
    os.makedirs(d, exist_ok=True)
    w1 = struct.pack("<12f", *[i * 0.25 - 1.0 for i in range(12)])
    b1 = struct.pack("<3f", 0.5, -0.5, 0.0)
    with open(os.path.join(d, "model.safetensors"), "wb") as f:
        f.write(safetensors([("fc.weight", "F32", [3, 4], w1), ("fc.bias", "F32", [3], b1)],
                            {"format": "pt"}))
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump({"architectures": ["Tiny"], "hidden_size": 4}, f)
    with open(os.path.join(d, "tokenizer.json"), "w") as f:
        json.dump({"version": "1.0", "vocab": {"a": 0, "b": 1}}, f)
    with open(os.path.join(d, "README.md"), "w") as f:
        f.write("# tiny\n\nA tiny model for tests.\n")


def make_model_wide(d, seed=7, nan=False):
    """Tensors shaped to exercise every scheme: 256-wide rows (k-quants), 96-wide rows
    (fallbacks), a norm and a bias that stay unquantized, and an integer tensor."""
    import random
    rnd = random.Random(seed)
    os.makedirs(d, exist_ok=True)

    def gauss(n, scale=0.02):
        return [rnd.gauss(0.0, scale) for _ in range(n)]

    attn = gauss(64 * 256)
    for r in range(64):          # an outlier column, as real weights have
        attn[r * 256 + 7] *= 20
    if nan:
        attn[5] = float("nan")
    tensors = [
        ("layers.0.attn.weight", "F32", [64, 256], struct.pack("<%df" % len(attn), *attn)),
        ("layers.0.mlp.weight", "F32", [32, 96], struct.pack("<3072f", *gauss(3072))),
        ("layers.0.norm.weight", "F32", [256], struct.pack("<256f", *[1.0] * 256)),
        ("layers.0.mlp.bias", "F32", [32], struct.pack("<32f", *gauss(32))),
        ("embed.weight", "BF16", [16, 256],
         b"".join(struct.pack("<f", v)[2:] for v in gauss(4096))),
        ("position_ids", "I64", [8], struct.pack("<8q", *range(8))),
    ]
    with open(os.path.join(d, "model.safetensors"), "wb") as f:
        f.write(safetensors(tensors, {"format": "pt"}))
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump({"architectures": ["Wide"], "hidden_size": 256}, f)


class Bundle:
    def __init__(self, path):
        self.entries = []  # [name, bytes, TarInfo]
        with tarfile.open(path, "r:") as t:
            for m in t.getmembers():
                data = t.extractfile(m).read() if m.isfile() else b""
                self.entries.append([m.name, data, m])

    def get(self, name):
        for e in self.entries:
            if e[0] == name:
                return e[1]
        raise KeyError(name)

    def blob(self, hexd):
        return self.get("blobs/sha256/" + hexd)

    def index(self):
        return json.loads(self.get("index.json"))

    def manifest_desc(self, artifact):
        for d in self.index()["manifests"]:
            if d.get("artifactType") == artifact:
                return d
        raise KeyError(artifact)

    def doc(self, desc):
        return json.loads(self.blob(desc["digest"][7:]))

    def put_blob(self, data):
        h = sha(data)
        name = "blobs/sha256/" + h
        if not any(e[0] == name for e in self.entries):
            self.entries.append([name, data, None])
        return h

    def drop(self, name):
        self.entries = [e for e in self.entries if e[0] != name]

    def set_entry(self, name, data):
        for e in self.entries:
            if e[0] == name:
                e[1] = data
                return
        self.entries.append([name, data, None])

    def write(self, path, extra=()):
        # The format's order: oci-layout, index.json, then each manifest before the
        # blobs it references (a verifier reads the archive once).
        manifests = []
        try:
            manifests = ["blobs/sha256/" + d["digest"][7:] for d in self.index()["manifests"]]
        except (KeyError, ValueError):
            pass
        rank = {"oci-layout": 0, "index.json": 1}
        rank.update({name: 2 + i for i, name in enumerate(manifests)})
        entries = sorted(self.entries, key=lambda e: rank.get(e[0], len(rank) + 2))
        with tarfile.open(path, "w:", format=tarfile.USTAR_FORMAT) as t:
            for name, data, _ in entries + list(extra):
                ti = tarfile.TarInfo(name)
                ti.size = len(data)
                ti.mode = 0o644
                t.addfile(ti, io.BytesIO(data))

    def write_sparse(self, path, sparse_name):
        """Write like write(), with entry sparse_name as a GNU sparse (PAX 1.0) file whose
        map swaps its two halves: the stored bytes, read in order, are the blob (and hash
        to its name), but tar programs that apply the map extract the halves swapped."""
        manifests = ["blobs/sha256/" + d["digest"][7:] for d in self.index()["manifests"]]
        rank = {"oci-layout": 0, "index.json": 1}
        rank.update({name: 2 + i for i, name in enumerate(manifests)})
        out = b""
        for name, data, _ in sorted(self.entries, key=lambda e: rank.get(e[0], len(rank) + 2)):
            out += sparse_entry(name, data) if name == sparse_name else ustar_entry(name, data)
        with open(path, "wb") as f:
            f.write(out + b"\0" * 1024)

    def gc(self):
        """Drop blobs no longer referenced (after rewrites)."""
        refs = set()
        for d in self.index()["manifests"]:
            h = d["digest"][7:]
            refs.add(h)
            m = json.loads(self.blob(h))
            refs.add(m["config"]["digest"][7:])
            for l in m.get("layers", []):
                refs.add(l["digest"][7:])
        self.entries = [e for e in self.entries
                        if not e[0].startswith("blobs/sha256/") or e[0][13:] in refs]


def pad512(b):
    return b + b"\0" * ((512 - len(b) % 512) % 512)


def ustar_entry(name, data):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode = 0o644
    return ti.tobuf(tarfile.USTAR_FORMAT, "utf-8", "surrogateescape") + pad512(data)


def sparse_entry(name, data, regions=None):
    """A GNU sparse 1.0 entry (a pax header naming it, then the map as decimal lines
    padded to a block, then the data).  regions: [(offset, length)] in stored order; by
    default the first half of data goes to the end of the file and the second to the start."""
    n = len(data)
    if regions is None:
        k = n // 2
        regions = [(n - k, k), (0, n - k)]
    smap = "%d\n" % len(regions) + "".join("%d\n%d\n" % r for r in regions)
    body = pad512(smap.encode()) + data
    d, f = os.path.split(name)
    ti = tarfile.TarInfo(os.path.join(d, "GNUSparseFile.0", f))
    ti.size = len(body)
    ti.mode = 0o644
    ti.pax_headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0",
                      "GNU.sparse.name": name, "GNU.sparse.realsize": str(n)}
    return ti.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape") + pad512(body)


def descriptor(mt, data, artifact=None, annotations=None):
    d = {"mediaType": mt}
    if artifact:
        d["artifactType"] = artifact
    d["digest"] = "sha256:" + sha(data)
    d["size"] = len(data)
    if annotations:
        d["annotations"] = annotations
    return d


def load_seed(keyfile):
    fields = {}
    for line in open(keyfile).read().splitlines()[1:]:
        k, v = line.split(": ", 1)
        fields[k] = v
    if fields.get("encryption", "none") != "none":
        # An encrypted key (docs/keys.md): the passphrase the CLI tests use.
        import nacl.bindings
        import nacl.pwhash
        raw = open(keyfile, "rb").read()
        ad = raw[:raw.index(b"\nkey: ") + 1]
        kek = nacl.pwhash.argon2id.kdf(
            32, os.environ["MODELSEAL_PASSPHRASE"].encode(), base64.b64decode(fields["salt"]),
            opslimit=int(fields["kdf-opslimit"]), memlimit=int(fields["kdf-memlimit"]))
        seed = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            base64.b64decode(fields["key"]), ad, base64.b64decode(fields["nonce"]), kek)
        return seed, fields["keyid"]
    return base64.b64decode(fields["key"]), fields["keyid"]


def pae(ptype, body):
    t = ptype.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)


def sign_statement(statement, keyfile):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    seed, keyid = load_seed(keyfile)
    sk = Ed25519PrivateKey.from_private_bytes(seed)
    ptype = "application/vnd.in-toto+json"
    sig = sk.sign(pae(ptype, statement))
    env = {"payloadType": ptype, "payload": base64.b64encode(statement).decode(),
           "signatures": [{"keyid": keyid, "sig": base64.b64encode(sig).decode()}]}
    return dumps(env), keyid


def rebuild(b, manifest, keyfile=None, statement_edit=None, envelope=None):
    """Store a new model manifest; rewrite the signature manifest and index to match.
    With keyfile, also write and sign a statement for the new manifest."""
    mbytes = dumps(manifest)
    mh = b.put_blob(mbytes)
    sd = b.manifest_desc(AT_SIG)
    sm = b.doc(sd)
    if keyfile:
        md = b.doc(b.manifest_desc(AT_MODEL))
        env_old = json.loads(b.blob(sm["layers"][0]["digest"][7:]))
        st = json.loads(base64.b64decode(env_old["payload"]))
        st["subject"][0]["digest"]["sha256"] = mh
        files = [l for l in manifest["layers"] if "annotations" in l]
        st["subject"] = [st["subject"][0]] + [
            {"name": l["annotations"]["org.cncf.model.filepath"],
             "digest": {"sha256": l["digest"][7:]}} for l in files]
        if statement_edit:
            statement_edit(st)
        envelope, _ = sign_statement(dumps(st), keyfile)
    if envelope is not None:
        eh = b.put_blob(envelope)
        sm["layers"][0]["digest"] = "sha256:" + eh
        sm["layers"][0]["size"] = len(envelope)
    sm["subject"] = descriptor(MT_MANIFEST, mbytes, AT_MODEL)
    smbytes = dumps(sm)
    b.put_blob(smbytes)
    idx = b.index()
    for d in idx["manifests"]:
        if d.get("artifactType") == AT_MODEL:
            d["digest"], d["size"] = "sha256:" + mh, len(mbytes)
        else:
            d["digest"], d["size"] = "sha256:" + sha(smbytes), len(smbytes)
    b.set_entry("index.json", dumps(idx))
    b.gc()


def store_signature_manifest(b, sm):
    """Store a changed signature manifest and point index.json at it."""
    smb = dumps(sm)
    b.put_blob(smb)
    idx = b.index()
    for d in idx["manifests"]:
        if d.get("artifactType") == AT_SIG:
            d["digest"], d["size"] = "sha256:" + sha(smb), len(smb)
    b.set_entry("index.json", dumps(idx))
    b.gc()


def flip(data, at=None):
    data = bytearray(data)
    i = len(data) // 2 if at is None else at
    data[i] ^= 0x01
    return bytes(data)


def tamper(src, out, case, other=None, key=None):
    order = None
    if "+" in case:
        case, order = case.split("+", 1)
    b = Bundle(src)
    md = b.manifest_desc(AT_MODEL)
    m = b.doc(md)
    sm = b.doc(b.manifest_desc(AT_SIG))
    layer = {l["mediaType"]: l["digest"][7:] for l in m["layers"]}

    def flip_blob(h):
        b.set_entry("blobs/sha256/" + h, flip(b.blob(h)))

    if case == "sparse-weights":
        b.write_sparse(out, "blobs/sha256/" + layer[MT_WEIGHT])
        return
    if case.startswith("trailing-"):
        # After the end-of-archive marker: zero padding (allowed), or a second archive
        # holding a model file, or a stray byte (both refused).
        with open(src, "rb") as f:
            data = f.read()
        if case == "trailing-zeros":
            data += b"\0" * 10240
        elif case == "trailing-tar":
            weights = b.blob(layer[MT_WEIGHT])
            data += ustar_entry("model.safetensors", flip(weights)) + b"\0" * 1024
        elif case == "trailing-byte":
            data += b"\0" * 700 + b"\n"
        elif case == "trailing-lone-block":
            # One zero block, then an entry: readers that stop at the first zero block
            # and those that want two see different archives.
            data = data[:-512] + ustar_entry("model.safetensors", b"x") + b"\0" * 1024
        else:
            sys.exit("unknown tamper case " + case)
        with open(out, "wb") as f:
            f.write(data)
        return
    if case == "weights":
        flip_blob(layer[MT_WEIGHT])
    elif case == "config-file":
        flip_blob(layer[MT_WCONFIG])
    elif case == "doc":
        flip_blob(layer[MT_DOC])
    elif case == "modelpack-config":
        flip_blob(m["config"]["digest"][7:])
    elif case == "metadata":
        flip_blob(layer[MT_METADATA])
    elif case == "manifest":
        flip_blob(md["digest"][7:])
    elif case == "signature-manifest":
        flip_blob(b.manifest_desc(AT_SIG)["digest"][7:])
    elif case == "envelope":
        flip_blob(sm["layers"][0]["digest"][7:])
    elif case == "index-version":
        idx = b.index()
        idx["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] = "9.9.9"
        b.set_entry("index.json", dumps(idx))
    elif case == "drop-blob":
        b.drop("blobs/sha256/" + layer[MT_WCONFIG])
    elif case == "add-blob":
        b.put_blob(b"an unsigned addition\n")
    elif case == "duplicate-entry":
        name = "blobs/sha256/" + layer[MT_WEIGHT]
        b.entries.append([name, flip(b.get(name)), None])
    elif case == "foreign-signature":
        o = Bundle(other)
        osm = o.doc(o.manifest_desc(AT_SIG))
        rebuild(b, m, envelope=o.blob(osm["layers"][0]["digest"][7:]))
    elif case == "rehash-weights":
        # Change the weights and fix every digest on the way up, leaving the old signature.
        h = layer[MT_WEIGHT]
        new = flip(b.blob(h))
        b.drop("blobs/sha256/" + h)
        nh = b.put_blob(new)
        for l in m["layers"]:
            if l["digest"][7:] == h:
                l["digest"] = "sha256:" + nh
        cfg = b.doc(m["config"])
        cfg["modelfs"]["diffIds"] = [l["digest"] for l in m["layers"]]
        cb = dumps(cfg)
        b.put_blob(cb)
        m["config"] = descriptor(m["config"]["mediaType"], cb)
        rebuild(b, m)
    elif case == "format-2":
        m["annotations"]["dev.modelseal.format.version"] = "2"
        rebuild(b, m, keyfile=key)
    elif case.startswith("format="):
        m["annotations"]["dev.modelseal.format.version"] = case[len("format="):]
        rebuild(b, m, keyfile=key)
    elif case == "metadata-name" or case.startswith("metadata="):
        # metadata=KEY:JSON sets one top-level field of the metadata (JSON null
        # deletes it), then re-signs: the signatures hold, the content is wrong.
        meta = json.loads(b.blob(layer[MT_METADATA]))
        if case == "metadata-name":
            meta["name"] = "Tiny Model"
        else:
            key_, _, val = case[len("metadata="):].partition(":")
            val = json.loads(val)
            if val is None:
                meta.pop(key_, None)
            else:
                meta[key_] = val
        mb = dumps(meta)
        b.put_blob(mb)
        for l in m["layers"]:
            if l["mediaType"] == MT_METADATA:
                l["digest"], l["size"] = "sha256:" + sha(mb), len(mb)
        cfg = b.doc(m["config"])
        cfg["modelfs"]["diffIds"] = [l["digest"] for l in m["layers"]]
        cb = dumps(cfg)
        b.put_blob(cb)
        m["config"] = descriptor(m["config"]["mediaType"], cb)
        rebuild(b, m, keyfile=key)
    elif case == "no-format":
        del m["annotations"]["dev.modelseal.format.version"]
        rebuild(b, m, keyfile=key)
    elif case == "resign-extra-subject":
        rebuild(b, m, keyfile=key, statement_edit=lambda st: st["subject"].append(
            {"name": "extra.bin", "digest": {"sha256": "0" * 64}}))
    elif case == "resign":
        rebuild(b, m, keyfile=key)
    elif case == "duplicate-envelope":
        # The last envelope listed twice in the signature manifest: one key, two signatures.
        sm["layers"].append(dict(sm["layers"][-1]))
        store_signature_manifest(b, sm)
    elif case == "smuggle-provenance":
        # This bundle's own statement, no longer validly signed, listed first; a validly
        # signed envelope of another bundle second. A verifier must check the statement
        # the counted signature is over, not the first one that claims to be provenance.
        own = json.loads(b.blob(sm["layers"][0]["digest"][7:]))
        own["signatures"][0]["sig"] = base64.b64encode(b"\0" * 64).decode()
        ob = dumps(own)
        b.put_blob(ob)
        sm["layers"][0]["digest"], sm["layers"][0]["size"] = "sha256:" + sha(ob), len(ob)
        o = Bundle(other)
        osm = o.doc(o.manifest_desc(AT_SIG))
        layer = osm["layers"][0]
        b.put_blob(o.blob(layer["digest"][7:]))
        sm["layers"].append(layer)
        store_signature_manifest(b, sm)
    elif case == "transplant-approval":
        # The approval envelope of another bundle added to this one's signature manifest.
        o = Bundle(other)
        osm = o.doc(o.manifest_desc(AT_SIG))
        layer = osm["layers"][-1]
        b.put_blob(o.blob(layer["digest"][7:]))
        sm["layers"].append(layer)
        store_signature_manifest(b, sm)
    elif case == "resign-weights-data":
        # Flip the sign of the first stored scale of the first compressed tensor (the
        # high byte of a block's fp16 scale, or of an int8 row's f32 scale), then fix
        # every digest and sign again: only the integrity probes can notice.
        h = layer[MT_WEIGHT]
        data = bytearray(b.blob(h))
        n = struct.unpack("<Q", data[:8])[0]
        header = json.loads(data[8:8 + n])
        comp = json.loads(header["__metadata__"]["modelseal.compression"])["tensors"]
        name = sorted(comp)[0]
        scheme = comp[name]["scheme"]
        at = 8 + n + header[name]["data_offsets"][0]
        at += {"q8_0": 1, "q4_0": 1, "int8": 3, "q4_k": 1, "q6_k": 209}[scheme]
        data[at] ^= 0x80
        nh = b.put_blob(bytes(data))
        b.drop("blobs/sha256/" + h)
        for l in m["layers"]:
            if l["digest"][7:] == h:
                l["digest"], l["size"] = "sha256:" + nh, len(data)
        cfg = b.doc(m["config"])
        cfg["modelfs"]["diffIds"] = [l["digest"] for l in m["layers"]]
        cb = dumps(cfg)
        b.put_blob(cb)
        m["config"] = descriptor(m["config"]["mediaType"], cb)
        rebuild(b, m, keyfile=key)
    elif case.startswith("filepath="):
        newpath = case[len("filepath="):]
        for l in m["layers"]:
            if l["mediaType"] == MT_DOC:
                l["annotations"]["org.cncf.model.filepath"] = newpath
        rebuild(b, m, keyfile=key)
    else:
        sys.exit("unknown tamper case " + case)
    if order is None:
        b.write(out)
        return
    # Reorder the archive (the order is not signed): the verifier must not lose checks.
    man = b.doc(b.manifest_desc(AT_MODEL))
    files = {"blobs/sha256/" + l["digest"][7:] for l in man["layers"]
             if l["mediaType"] in (MT_WEIGHT, MT_WCONFIG, MT_DOC)}
    probes = {"blobs/sha256/" + l["digest"][7:] for l in man["layers"]
              if l["mediaType"] == MT_PROBES}
    if order == "weights-first":
        rank = lambda e: 0 if e[0] in files else 1
    elif order == "probes-early":
        rank = lambda e: {"oci-layout": 0, "index.json": 1}.get(e[0], 2 if e[0] in probes else 3)
    else:
        sys.exit("unknown order " + order)
    entries = sorted(b.entries, key=rank)
    with tarfile.open(out, "w:", format=tarfile.USTAR_FORMAT) as t:
        for name, data, _ in entries:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mode = 0o644
            t.addfile(ti, io.BytesIO(data))


def st_split(data):
    """A safetensors file as (header dict, data section)."""
    n = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8:8 + n]), data[8 + n:]


def st_join(header, body):
    hb = json.dumps(header, separators=(",", ":")).encode()
    hb += b" " * ((8 - len(hb) % 8) % 8)
    return struct.pack("<Q", len(hb)) + hb + body


def forge(src, out, key, ops):
    """Change a compressed bundle as an attacker who holds a trusted key would: each op
    edits the model manifest's layers or a blob, then every digest is fixed and the
    bundle signed again. The probes layer and the compression report stay byte for byte
    unless an op names them. Ops, applied in order:
      alter          change the stored weights of model.safetensors (one value's sign)
      decoy          add the untouched model.safetensors as a weights layer decoy.safetensors
      relabel        give model.safetensors the configuration media type (never probed)
      strip-record   drop model.safetensors' modelseal.compression record
      bad-header     make model.safetensors' header length point past its end
      bf16-header    relabel model.safetensors' first F16 tensor as BF16 in its header
      probes-v1      make the probes layer version 1: no modelseal.probes.files
      drop-probe=N   drop tensor N's recorded outputs (and binding) from the probes layer
      format=V       set dev.modelseal.format.version
      add-layer=MT   add a layer of media type MT"""
    b = Bundle(src)
    m = b.doc(b.manifest_desc(AT_MODEL))
    layers = m["layers"]
    target = next(l for l in layers
                  if l.get("annotations", {}).get("org.cncf.model.filepath") == "model.safetensors")
    original = b.blob(target["digest"][7:])

    def set_blob(layer, data):
        layer["digest"], layer["size"] = "sha256:" + b.put_blob(data), len(data)

    def edit_weights(fn):
        header, body = st_split(b.blob(target["digest"][7:]))
        body = fn(header, bytearray(body))
        set_blob(target, st_join(header, bytes(body)))

    for op in ops:
        if op == "alter":
            def alter(header, body):
                comp = json.loads(header["__metadata__"]["modelseal.compression"])["tensors"]
                name = sorted(comp)[0]
                at = header[name]["data_offsets"][0] + {
                    "q8_0": 1, "q4_0": 1, "int8": 3, "q4_k": 1, "q6_k": 209, "f16": 1,
                    "bf16": 1}[comp[name]["scheme"]]
                body[at] ^= 0x80
                return body
            edit_weights(alter)
        elif op == "decoy":
            d = descriptor(MT_WEIGHT, original,
                           annotations={"org.cncf.model.filepath": "decoy.safetensors"})
            b.put_blob(original)
            layers.insert(layers.index(target), d)
        elif op == "relabel":
            target["mediaType"] = MT_WCONFIG
        elif op == "strip-record":
            edit_weights(lambda h, body: (h["__metadata__"].pop("modelseal.compression"), body)[1])
        elif op == "bad-header":
            data = bytearray(b.blob(target["digest"][7:]))
            data[:8] = struct.pack("<Q", len(data))
            set_blob(target, bytes(data))
        elif op == "bf16-header":
            def relabel(header, body):
                name = sorted(k for k, v in header.items() if k != "__metadata__"
                              and v["dtype"] == "F16")[0]
                header[name]["dtype"] = "BF16"
                return body
            edit_weights(relabel)
        elif op == "probes-v1":
            pl = next(l for l in layers if l["mediaType"] == MT_PROBES)
            header, body = st_split(b.blob(pl["digest"][7:]))
            header["__metadata__"].pop("modelseal.probes.files", None)
            header["__metadata__"]["modelseal.probes.version"] = "1"
            set_blob(pl, st_join(header, body))
        elif op.startswith("drop-probe="):
            name = op[len("drop-probe="):]
            pl = next(l for l in layers if l["mediaType"] == MT_PROBES)
            header, body = st_split(b.blob(pl["digest"][7:]))
            tensors = [(k, v["dtype"], v["shape"], body[v["data_offsets"][0]:v["data_offsets"][1]])
                       for k, v in header.items()
                       if k != "__metadata__" and k not in (name + "@orig", name + "@comp")]
            meta = header["__metadata__"]
            files = json.loads(meta.get("modelseal.probes.files", "{}"))
            files.pop(name, None)
            if "modelseal.probes.files" in meta:
                meta["modelseal.probes.files"] = dumps(files).decode()
            set_blob(pl, safetensors(tensors, meta))
        elif op.startswith("format="):
            m["annotations"]["dev.modelseal.format.version"] = op[len("format="):]
        elif op.startswith("add-layer="):
            data = b"a layer of a later format version\n"
            b.put_blob(data)
            layers.append(descriptor(op[len("add-layer="):], data))
        else:
            sys.exit("unknown forge op " + op)
    cfg = b.doc(m["config"])
    cfg["modelfs"]["diffIds"] = [l["digest"] for l in layers]
    cb = dumps(cfg)
    b.put_blob(cb)
    m["config"] = descriptor(m["config"]["mediaType"], cb)
    rebuild(b, m, keyfile=key)
    # The probes blob stays ahead of the model files (bundle-format.md 4.3).
    probes = ["blobs/sha256/" + l["digest"][7:] for l in layers if l["mediaType"] == MT_PROBES]
    b.entries.sort(key=lambda e: 0 if e[0] in probes else 1)
    b.write(out)


def hostile(out, case):
    """Archives with entries that must never be extracted."""
    with tarfile.open(out, "w:", format=tarfile.GNU_FORMAT) as t:
        def add(name, data=b"x", **kw):
            ti = tarfile.TarInfo(name)
            for k, v in kw.items():
                setattr(ti, k, v)
            if ti.type == tarfile.REGTYPE:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
            else:
                t.addfile(ti)
        add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        if case == "absolute":
            add(os.path.join(os.environ["ESCAPE"], "abs.txt"), b"owned\n")
        elif case == "dotdot":
            add("../" * 8 + os.environ["ESCAPE"].lstrip("/") + "/dotdot.txt", b"owned\n")
        elif case == "symlink":
            add("blobs/sha256/link", type=tarfile.SYMTYPE, linkname=os.environ["ESCAPE"])
            add("blobs/sha256/link/through.txt", b"owned\n")
        elif case == "hardlink":
            add("blobs/sha256/" + "a" * 64, type=tarfile.LNKTYPE,
                linkname=os.path.join(os.environ["ESCAPE"], "target.txt"))
        elif case == "device":
            add("blobs/sha256/" + "b" * 64, type=tarfile.CHRTYPE, devmajor=1, devminor=3)
        elif case == "sparse":
            # A GNU sparse file: tar programs disagree on where its bytes go.
            raw = sparse_entry("blobs/sha256/" + "c" * 64, b"owned, twice\n")
            t.fileobj.write(raw)
            t.offset += len(raw)
        elif case == "typeflag":
            # A typeflag POSIX does not define (old GNU 'N'): libarchive and GNU tar
            # extract it as a regular file, Python's tarfile does not.
            ti = tarfile.TarInfo("blobs/sha256/" + "d" * 64)
            ti.type = b"N"
            ti.size = 6
            t.addfile(ti, io.BytesIO(b"owned\n"))
        else:
            sys.exit("unknown hostile case " + case)


def main(argv):
    cmd = argv[1]
    if cmd == "make-model":
        make_model(argv[2])
    elif cmd == "make-model-wide":
        make_model_wide(argv[2], nan="--nan" in argv)
    elif cmd == "tamper":
        args = dict(a.split("=", 1) for a in argv[5:])
        tamper(argv[2], argv[3], argv[4], other=args.get("other"), key=args.get("key"))
    elif cmd == "forge":
        forge(argv[2], argv[3], argv[4], argv[5:])
    elif cmd == "hostile":
        hostile(argv[2], argv[3])
    elif cmd == "trust-file":
        # trust-file OUT KEYSPEC...: KEYSPEC = pubfile:role1,role2[:field=value...]
        # fields: notBefore, notAfter, revokedAt, revokedReason; THRESH role=n via --t
        keys, thresholds = [], {}
        for spec in argv[3:]:
            if spec.startswith("threshold:"):
                role, n = spec[len("threshold:"):].split("=")
                thresholds[role] = int(n)
                continue
            parts = spec.split(":")
            pub, roles = parts[0], parts[1].split(",")
            text = open(pub).read()
            fields = dict(l.split(": ", 1) for l in text.splitlines()[1:])
            k = {"keyid": fields["keyid"], "algorithm": fields["algorithm"], "publicKey": text,
                 "roles": roles}
            for extra in parts[2:]:
                f, v = extra.split("=", 1)
                if f in ("notBefore", "notAfter"):
                    k[f] = v.replace("_", ":")
                elif f == "revokedAt":
                    k.setdefault("revoked", {})["at"] = v.replace("_", ":")
                elif f == "revokedReason":
                    k.setdefault("revoked", {})["reason"] = v
            keys.append(k)
        doc = {"trustVersion": 1, "keys": keys}
        if thresholds:
            doc["thresholds"] = thresholds
        json.dump(doc, open(argv[2], "w"), indent=1)
    elif cmd == "statement":
        b = Bundle(argv[2])
        sm = b.doc(b.manifest_desc(AT_SIG))
        env = json.loads(b.blob(sm["layers"][0]["digest"][7:]))
        sys.stdout.write(base64.b64decode(env["payload"]).decode() + "\n")
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
