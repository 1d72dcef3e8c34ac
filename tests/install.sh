#!/usr/bin/env bash
# `meson install` puts the tool, both libraries, the public headers and a
# pkg-config file in place, and a program that includes only
# <modelseal/modelseal.h> builds against the installed copy and runs.
set -euo pipefail
dest=$(mktemp -d "${TMPDIR:-/tmp}/ms-install.XXXXXX")
trap 'rm -rf "$dest"' EXIT
meson install -C "$MS_BUILD" --destdir "$dest" --no-rebuild --quiet >/dev/null
option() {
  meson introspect "$MS_BUILD" --buildoptions | /usr/bin/python3 -c \
    'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]==sys.argv[1]))' "$1"
}
prefix=$(option prefix)
san=()
[ "$(option sanitize_all)" = True ] && san=(-fsanitize=address,undefined)
root="$dest$prefix"
for f in bin/modelseal include/modelseal/modelseal.h include/modelseal/bundle.h \
         include/modelseal/error.h include/modelseal/oms.h; do
  [ -e "$root/$f" ] || { echo "missing $f"; exit 1; }
done
pc=$(find "$root" -name modelseal.pc | head -1)
[ -n "$pc" ] || { echo "missing modelseal.pc"; exit 1; }
ls "$(dirname "$(dirname "$pc")")"/libmodelseal.so* >/dev/null
ls "$(dirname "$(dirname "$pc")")"/libmodelseal.a >/dev/null
cat >"$dest/use.c" <<'C'
#include <modelseal/modelseal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void)
{
    if (ms_semver_problem("1.2.3") != NULL || ms_exit_status(MS_E_REJECTED) != 1)
        return 1;
    /* The OMS API comes with the umbrella header too. */
    static const uint8_t spki[3] = {1, 2, 3};
    size_t n = 0;
    char *pem = ms_oms_spki_pem(spki, sizeof spki, &n);
    if (pem == NULL || strcmp(pem, "-----BEGIN PUBLIC KEY-----\nAQID\n-----END PUBLIC KEY-----\n") != 0 ||
        n != strlen(pem) || strcmp(ms_oms_file_state_name(MS_OMS_FILE_ADDED), "added") != 0 ||
        strcmp(MS_OMS_PREDICATE_TYPE, "https://model_signing/signature/v1.0") != 0)
        return 1;
    free(pem);
    printf("%s\n", ms_version());
    return 0;
}
C
export PKG_CONFIG_PATH="$(dirname "$pc")" PKG_CONFIG_SYSROOT_DIR="$dest"
cc -std=c11 -Wall -Werror "${san[@]}" -o "$dest/use" "$dest/use.c" $(pkg-config --cflags --libs modelseal)
LD_LIBRARY_PATH="$(dirname "$(dirname "$pc")")" "$dest/use" | grep -qx '0.1.0'
echo "install: ok"
