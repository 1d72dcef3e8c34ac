#!/usr/bin/env python3
"""An independent GGUF v3 reader and writer, written from the GGUF
specification with the standard library only, for checking modelseal's
own (gguf/) from outside.

  gguf_tool.py dump FILE        print header, metadata and tensor infos as JSON
  gguf_tool.py seeds DIR        write the fuzz seed corpus (valid-* parse, bad-* do not)
"""
import json
import struct
import sys

VT = {0: 'B', 1: 'b', 2: 'H', 3: 'h', 4: 'I', 5: 'i', 6: 'f', 7: '?', 10: 'Q', 11: 'q', 12: 'd'}
STRING, ARRAY = 8, 9
# ggml type id -> (name, values per block, bytes per block)
GGML = {0: ('F32', 1, 4), 1: ('F16', 1, 2), 2: ('Q4_0', 32, 18), 8: ('Q8_0', 32, 34),
        12: ('Q4_K', 256, 144), 14: ('Q6_K', 256, 210), 24: ('I8', 1, 1), 25: ('I16', 1, 2),
        26: ('I32', 1, 4), 27: ('I64', 1, 8), 28: ('F64', 1, 8), 30: ('BF16', 1, 2)}


class Reader:
    def __init__(self, data):
        self.d = data
        self.p = 0

    def take(self, n):
        if self.p + n > len(self.d):
            raise ValueError('truncated at %d' % self.p)
        b = self.d[self.p:self.p + n]
        self.p += n
        return b

    def scalar(self, fmt):
        return struct.unpack('<' + fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self):
        return self.take(self.scalar('Q')).decode('utf-8')

    def value(self, t):
        if t in VT:
            return self.scalar(VT[t])
        if t == STRING:
            return self.string()
        if t == ARRAY:
            et = self.scalar('I')
            n = self.scalar('Q')
            return [self.value(et) for _ in range(n)]
        raise ValueError('value type %d' % t)


def parse(data):
    r = Reader(data)
    if r.take(4) != b'GGUF':
        raise ValueError('magic')
    version = r.scalar('I')
    nt = r.scalar('Q')
    nkv = r.scalar('Q')
    kv = {}
    types = {}
    for _ in range(nkv):
        k = r.string()
        t = r.scalar('I')
        if k in kv:
            raise ValueError('duplicate key ' + k)
        kv[k] = r.value(t)
        types[k] = t
    align = kv.get('general.alignment', 32)
    tensors = []
    for _ in range(nt):
        name = r.string()
        nd = r.scalar('I')
        dims = [r.scalar('Q') for _ in range(nd)]
        typ = r.scalar('I')
        off = r.scalar('Q')
        tensors.append({'name': name, 'dims': dims, 'type': typ, 'offset': off})
    data_off = (r.p + align - 1) // align * align
    for t in tensors:
        tname, blk, bsz = GGML[t['type']]
        n = 1
        for d in t['dims']:
            n *= d
        if t['dims'][0] % blk or t['offset'] % align:
            raise ValueError('tensor %s geometry' % t['name'])
        t['nbytes'] = n // blk * bsz
        t['type_name'] = tname
        t['file_offset'] = data_off + t['offset']
        if t['file_offset'] + t['nbytes'] > len(data):
            raise ValueError('tensor %s past the end' % t['name'])
    return {'version': version, 'alignment': align, 'data_offset': data_off,
            'kv': kv, 'kv_types': types, 'tensors': tensors}


def enc_str(s):
    b = s.encode('utf-8') if isinstance(s, str) else s
    return struct.pack('<Q', len(b)) + b


def enc_kv(key, t, v, et=None):
    out = enc_str(key) + struct.pack('<I', t)
    if t in VT:
        return out + struct.pack('<' + VT[t], v)
    if t == STRING:
        return out + enc_str(v)
    out += struct.pack('<IQ', et, len(v))
    for x in v:
        out += enc_str(x) if et == STRING else struct.pack('<' + VT[et], x)
    return out


def build(kvs, tensors, align=32, version=3, pad_byte=0):
    """kvs: encoded pairs; tensors: (name, dims, type, data bytes)."""
    head = b'GGUF' + struct.pack('<IQQ', version, len(tensors), len(kvs)) + b''.join(kvs)
    off = 0
    infos = b''
    blobs = b''
    for name, dims, typ, data in tensors:
        infos += enc_str(name) + struct.pack('<I', len(dims))
        infos += b''.join(struct.pack('<Q', d) for d in dims)
        infos += struct.pack('<IQ', typ, off)
        blobs += data + b'\0' * ((-len(data)) % align)
        off = len(blobs)
    h = head + infos
    return h + bytes([pad_byte]) * ((-len(h)) % align) + blobs


def seeds(outdir):
    import os
    os.makedirs(outdir, exist_ok=True)
    f32 = struct.pack('<4f', 1, -2, 0.5, 3)
    q8 = struct.pack('<e', 0.25) + bytes(range(32))
    meta = [enc_kv('general.architecture', STRING, 'llama'),
            enc_kv('general.name', STRING, 'tiny'),
            enc_kv('general.tags', ARRAY, ['a', 'bc'], STRING),
            enc_kv('tokenizer.ggml.token_type', ARRAY, [1, 2, 3], 5),
            enc_kv('general.flag', 7, True),
            enc_kv('general.file_type', 4, 7)]
    tens = [('tok.weight', [4], 0, f32), ('blk.0.w', [32, 1], 8, q8)]
    cases = {
        'valid-basic': build(meta, tens),
        'valid-align64': build([enc_kv('general.alignment', 4, 64)] + meta, tens, align=64),
        'valid-empty': build([], []),
        'valid-nested': build([enc_str('x.y') + struct.pack('<IIQ', ARRAY, ARRAY, 2) +
                               struct.pack('<IQ', 4, 1) + struct.pack('<I', 7) +
                               struct.pack('<IQ', STRING, 1) + enc_str('z')], tens),
        'bad-magic': b'GGUX' + build(meta, tens)[4:],
        'bad-version2': build(meta, tens, version=2),
        'bad-dupkey': build(meta + [enc_kv('general.name', STRING, 'again')], tens),
        'bad-dupname': build(meta, tens + [('tok.weight', [4], 0, f32)]),
        'bad-key': build([enc_kv('General.Name', STRING, 'x')], tens),
        'bad-block': build(meta, [('w', [16], 8, q8[:17])]),
        'bad-type': build(meta, [('w', [4], 99, f32)]),
        'bad-truncated': build(meta, tens)[:-40],
        'bad-bool': build([enc_kv('general.flag', 0, 2).replace(b'\0\0\0\0\x02', b'\x07\0\0\0\x02')], tens),
        'bad-padding': build(meta, tens, pad_byte=1),
        'bad-align': build([enc_kv('general.alignment', 4, 12)] + meta, tens),
    }
    for name, data in cases.items():
        with open(os.path.join(outdir, name), 'wb') as f:
            f.write(data)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == 'dump':
        with open(sys.argv[2], 'rb') as f:
            g = parse(f.read())
        json.dump(g, sys.stdout, indent=1, sort_keys=True)
        print()
    elif len(sys.argv) == 3 and sys.argv[1] == 'seeds':
        seeds(sys.argv[2])
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == '__main__':
    main()
