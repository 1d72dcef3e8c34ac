#!/usr/bin/env bash
# The renderer on hand-made audits (test_render.c): the documents it writes
# must pass check_spdx.py like those of `modelseal audit`.
. "$MS_SRC/tests/cli/lib.sh"
SPDX_DIR="$MS_SRC/tests/audit_spdx"
run 0 "$1" "$WORK"
expect_in out "checks passed"
for doc in edge nopicture long; do
  run 0 "$PY" "$SPDX_DIR/check_spdx.py" "$SPDX_DIR/schema" "$doc.json"
  expect_in out "ok: $doc.json"
done
# Every package still has its one declared and one concluded license, and the
# unknown role is trained on, as the license audit reads it.
cat >edge.expect.json <<'JSON'
{"model": {"declared": null, "concluded": null},
 "bases": [{"name": "no-digest", "sha256": null, "declared": "Apache-2.0", "concluded": null,
            "rel": "ancestorOf"},
           {"name": "bad-digest", "sha256": null, "declared": null, "rel": "ancestorOf"},
           {"name": "upper", "sha256": null, "declared": null, "rel": "ancestorOf"}],
 "datasets": [{"name": "odd role", "sha256": null, "declared": "MIT", "rel": "trainedOn"},
              {"name": "calib", "declared": null, "rel": "trainedOn"}],
 "files": 2}
JSON
run 0 "$PY" "$SPDX_DIR/check_spdx.py" "$SPDX_DIR/schema" edge.json --expect edge.expect.json
echo "audit-spdx-render: ok"
