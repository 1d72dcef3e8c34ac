#!/usr/bin/env python3
"""Checks of policy/gen_spdx_tables.py.

usage: gen_check.py GENERATOR LICENSES.json EXCEPTIONS.json

The generator's output is deterministic and complete (every id of the
JSON files, sorted by lower-case id, with its flags), and it refuses
damaged input -- different list versions, ids outside the SPDX character
set, ids differing only in case, a license id equal to an exception id,
non-boolean flags -- with status 1 and without writing its output.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print('FAIL: ' + what)


def run(gen, lic, exc, out):
    return subprocess.run([sys.executable, gen, lic, exc, out], capture_output=True, text=True)


def main():
    gen, lic_path, exc_path = sys.argv[1:4]
    with open(lic_path, encoding='utf-8') as f:
        lic = json.load(f)
    with open(exc_path, encoding='utf-8') as f:
        exc = json.load(f)
    with tempfile.TemporaryDirectory() as tmp:
        out1, out2 = os.path.join(tmp, 'a.h'), os.path.join(tmp, 'b.h')
        r = run(gen, lic_path, exc_path, out1)
        check(r.returncode == 0, 'generator failed: ' + r.stderr)
        run(gen, lic_path, exc_path, out2)
        with open(out1, 'rb') as f:
            text = f.read()
        with open(out2, 'rb') as f:
            check(f.read() == text, 'two runs differ')
        text = text.decode('ascii')
        rows = re.findall(r'^    \{"([^"]+)", "([^"]+)", ([01]), ([01])\},$', text, re.M)
        check(len(rows) == len(lic['licenses']), 'license rows: %d' % len(rows))
        want = sorted(((e['licenseId'].lower(), e['licenseId'], int(e['isDeprecatedLicenseId']),
                        int(e['isOsiApproved'])) for e in lic['licenses']))
        got = [(low, ident, int(d), int(o)) for ident, low, d, o in rows]
        check(got == want, 'license rows differ from the JSON')
        erows = re.findall(r'^    \{"([^"]+)", "([^"]+)", ([01])\},$', text, re.M)
        check(len(erows) == len(exc['exceptions']), 'exception rows: %d' % len(erows))
        check('#define MS_SPDX_GEN_LIST_VERSION "%s"' % lic['licenseListVersion'] in text, 'version')

        def refused(name, lic_doc, exc_doc):
            lp, ep, op = (os.path.join(tmp, n) for n in ('l.json', 'e.json', 'o.h'))
            with open(lp, 'w', encoding='utf-8') as f:
                json.dump(lic_doc, f)
            with open(ep, 'w', encoding='utf-8') as f:
                json.dump(exc_doc, f)
            if os.path.exists(op):
                os.unlink(op)
            r = run(gen, lp, ep, op)
            check(r.returncode == 1 and r.stderr.startswith('gen_spdx_tables.py: '),
                  name + ': not refused (%d, %r)' % (r.returncode, r.stderr))
            check(not os.path.exists(op), name + ': output written')

        def with_license(entry):
            d = json.loads(json.dumps(lic))
            d['licenses'].append(entry)
            return d

        base = dict(lic['licenses'][0])
        refused('version mismatch', dict(lic, licenseListVersion='0.1'), exc)
        refused('bad character', with_license(dict(base, licenseId='Foo Bar')), exc)
        refused('quote', with_license(dict(base, licenseId='Foo"')), exc)
        refused('plus inside', with_license(dict(base, licenseId='Foo+Bar')), exc)
        refused('case collision', with_license(dict(base, licenseId=base['licenseId'].swapcase())), exc)
        refused('license equals exception',
                with_license(dict(base, licenseId=exc['exceptions'][0]['licenseExceptionId'])), exc)
        refused('flag not boolean', with_license(dict(base, licenseId='Foo-1.0', isOsiApproved='yes')), exc)
        refused('no licenses', dict(lic, licenses=[]), exc)
        refused('not JSON object', [], exc)
    if failures:
        print('%d failures' % failures)
        return 1
    print('gen_check: all checks passed')
    return 0


if __name__ == '__main__':
    sys.exit(main())
