/*
 * fuzz_conf.c - the configuration file parser, conf_parse_text(), which
 * reads sscn.conf: "key = value" lines, comments, numbers with units,
 * modes, booleans and the checks across keys.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sscn.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sscn_conf	 conf;
	char			 err[256];
	char			*text;

	text = strndup((const char *)data, size);
	if (text == NULL)
		return 0;
	conf_defaults(&conf);
	err[0] = '\0';
	if (conf_parse_text(text, "fuzz.conf", &conf, err, sizeof(err)) != 0 &&
	    err[0] == '\0')
		__builtin_trap();
	(void)conf_worker_count(&conf);
	conf_free(&conf);
	free(text);
	return 0;
}
