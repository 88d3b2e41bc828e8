/* config_doc_test.c - broker/CONFIG.md documents every key the tables
 * know: each broker key as `name` (a prefix as `prefix*`), each topic
 * config and each of its broker synonyms as `name`.
 *
 * Usage: config_doc_test path/to/CONFIG.md
 */
#include <stdlib.h>
#include <string.h>

#include "broker/config.h"
#include "tests/unit/check.h"

static char *doc;

static void documented(const char *name, bool prefix)
{
	char want[256];

	snprintf(want, sizeof(want), "`%s%s`", name, prefix ? "*" : "");
	CHECK(strstr(doc, want) != NULL);
	if (!strstr(doc, want))
		fprintf(stderr, "  CONFIG.md does not mention %s\n", want);
}

int main(int argc, char **argv)
{
	FILE *f = argc > 1 ? fopen(argv[1], "r") : NULL;
	size_t len = 0;

	if (!f) {
		fprintf(stderr, "usage: config_doc_test CONFIG.md\n");
		return 1;
	}
	doc = calloc(1, 1 << 20);
	len = fread(doc, 1, (1 << 20) - 1, f);
	fclose(f);
	CHECK(len > 0);
	for (const struct config_key_def *d = config_key_defs; d->name; d++)
		documented(d->name, d->prefix);
	for (const struct topic_config_def *d = topic_config_defs; d->name; d++) {
		documented(d->name, false);
		if (d->broker_key)
			documented(d->broker_key, false);
		for (int i = 0; i < 2; i++)
			if (d->alt[i].key)
				documented(d->alt[i].key, false);
	}
	documented("SEALOG_CONFIG_FROM_ENV", false);
	documented("CLUSTER_ID", false);
	documented("KAFKA_LOG4J_ROOT_LOGLEVEL", false);
	free(doc);
	return check_finish();
}
