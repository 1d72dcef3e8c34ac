/* RFC 3339 times. */
#ifndef MS_CORE_TIMEFMT_H
#define MS_CORE_TIMEFMT_H

#include <stdint.h>

/*
 * Parse "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" (RFC 3339 section
 * 5.6; 't' and 'z' accepted, a space instead of 'T' is not) into seconds
 * since the Unix epoch, fraction dropped.  Returns 0, or -1 if malformed or
 * out of the years 1970-9999.
 */
int ms_rfc3339_parse(const char *s, int64_t *out);
/* "YYYY-MM-DDTHH:MM:SSZ" of a Unix time into buf[32]. */
void ms_rfc3339_format(int64_t t, char buf[32]);

#endif
