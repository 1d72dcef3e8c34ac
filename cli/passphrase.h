/*
 * Passphrases for encrypted secret keys, shared by the commands that make
 * or load them.  Sources, first match wins:
 *   1. --passphrase-file FILE: its first line, without the line end;
 *   2. the environment variable MODELSEAL_PASSPHRASE, when set and not empty;
 *   3. a prompt on the controlling terminal (/dev/tty), echo off; asked
 *      twice for a new key.
 * With none of them: a usage error (exit 2).  Passphrases live in the
 * library's secure memory (ms_passphrase_*) and are wiped after use.
 */
#ifndef MS_CLI_PASSPHRASE_H
#define MS_CLI_PASSPHRASE_H

#include "modelseal/keys.h"

#define CLI_PASSPHRASE_ENV "MODELSEAL_PASSPHRASE"

/*
 * The passphrase for a new key file (new_key: ask twice, refuse an empty
 * one) or for loading key_path.  On success returns 0 and *out (release
 * with ms_passphrase_free()); otherwise prints "modelseal CMD: ..." and
 * returns the exit status.
 */
int cli_passphrase_get(const char *cmd, const char *passphrase_file, const char *key_path,
                       int new_key, char **out);

/*
 * Load a secret key for CMD: asks for a passphrase (as above) only when
 * the file is encrypted; an unencrypted key needs none and ignores
 * passphrase_file.  Returns 0 and *out, or prints and returns the exit
 * status.
 */
int cli_secret_key_load(const char *cmd, const char *path, const char *passphrase_file,
                        ms_secret_key **out);

#endif
