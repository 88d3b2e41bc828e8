/* sealog-keys - manage log.encryption.key.file and re-wrap data keys.
 *
 *   sealog-keys --key-file F list             ids, current marked (never keys)
 *   sealog-keys --key-file F add [--id ID]    new random key, made current
 *                                             (creates F, mode 0600, if
 * missing) sealog-keys --key-file F rewrap <log dir> re-wrap every segment's
 * data key with the current key sealog-keys --key-file F remove <id> [--log-dir
 * D] forget a key; with D, refused while a segment still uses it sealog-keys
 * usage <log dir>               key id of every sidecar
 *
 * Rotation: add; restart the broker (new segments use the new key); stop
 * it; rewrap (offline: it takes the directory's lock, each sidecar is
 * replaced atomically, so a crash leaves every one readable with the old
 * or the new key and rewrap can simply be run again); remove the old id.
 * Data is never rewritten. Exit status 0 on success, 1 on failure, 2 on
 * usage errors.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "storage/keyring.h"
#include "storage/verify.h"

#define LOGC "sealog-keys"

static int cmd_list(struct keyring *kr)
{
	for (size_t i = 0; i < keyring_count(kr); i++) {
		const char *id = keyring_id_at(kr, i);
		printf("%s%s\n", id,
		       strcmp(id, keyring_current(kr)) ? "" : " (current)");
	}
	return 0;
}

static int cmd_add(const char *path, const char *id)
{
	struct keyring *kr;
	const char *new_id;
	int rc;

	if (access(path, F_OK) != 0) {
		rc = keyring_create(path, id ? id : "k1", &kr);
		if (rc)
			return 1;
		printf("created %s with key %s (current)\n", path,
		       keyring_current(kr));
		keyring_free(kr);
		return 0;
	}
	if (keyring_load(path, &kr))
		return 1;
	rc = keyring_add(kr, id, &new_id);
	if (rc)
		fprintf(stderr, "cannot add key %s: %s\n", id ? id : "",
			strerror(-rc));
	else
		rc = keyring_save(kr, path);
	if (!rc)
		printf("added key %s (current) to %s\n", new_id, path);
	keyring_free(kr);
	return rc ? 1 : 0;
}

static int cmd_rewrap(struct keyring *kr, const char *dir)
{
	size_t changed = 0, total = 0;
	int rc = verify_rewrap_dir(kr, dir, &changed, &total);

	if (rc == -EBUSY)
		fprintf(stderr,
			"%s is in use (is the broker running?); stop "
			"it first\n",
			dir);
	printf("re-wrapped %zu of %zu data keys with key %s\n", changed, total,
	       keyring_current(kr));
	return rc ? 1 : 0;
}

struct in_use {
	const char *id;
	size_t count;
	bool print;
};

static void on_usage(void *ctx, const char *sidecar, const char *key_id)
{
	struct in_use *u = ctx;

	if (u->print)
		printf("%s %s\n", key_id, sidecar);
	if (u->id && !strcmp(u->id, key_id))
		u->count++;
}

static int cmd_remove(struct keyring *kr, const char *path, const char *id,
		      const char *dir)
{
	struct in_use u = {.id = id};
	int rc;

	if (dir && (rc = verify_key_usage(dir, on_usage, &u))) {
		fprintf(stderr, "cannot read %s: %s\n", dir, strerror(-rc));
		return 1;
	}
	if (u.count) {
		fprintf(stderr,
			"key %s still wraps %zu data keys in %s; run "
			"rewrap first\n",
			id, u.count, dir);
		return 1;
	}
	rc = keyring_remove(kr, id);
	if (rc)
		fprintf(stderr, "cannot remove key %s: %s\n", id,
			rc == -EBUSY ? "it is the current key" : strerror(-rc));
	else
		rc = keyring_save(kr, path);
	if (!rc)
		printf("removed key %s from %s\n", id, path);
	return rc ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: sealog-keys --key-file F list\n"
		"       sealog-keys --key-file F add [--id ID]\n"
		"       sealog-keys --key-file F rewrap <log dir>\n"
		"       sealog-keys --key-file F remove <id> [--log-dir D]\n"
		"       sealog-keys usage <log dir>\n");
}

static int run(const char *path, int argc, char **argv)
{
	const char *cmd = argv[0];
	struct keyring *kr;
	int rc;

	if (!strcmp(cmd, "add"))
		return argc == 1 ? cmd_add(path, NULL)
		       : argc == 3 && !strcmp(argv[1], "--id")
			   ? cmd_add(path, argv[2])
			   : (usage(), 2);
	if (keyring_load(path, &kr))
		return 1;
	if (!strcmp(cmd, "list") && argc == 1)
		rc = cmd_list(kr);
	else if (!strcmp(cmd, "rewrap") && argc == 2)
		rc = cmd_rewrap(kr, argv[1]);
	else if (!strcmp(cmd, "remove") && (argc == 2 || argc == 4) &&
		 (argc == 2 || !strcmp(argv[2], "--log-dir")))
		rc = cmd_remove(kr, path, argv[1], argc == 4 ? argv[3] : NULL);
	else
		rc = (usage(), 2);
	keyring_free(kr);
	return rc;
}

int main(int argc, char **argv)
{
	log_set_level(LOG_WARN);
	if (argc == 3 && !strcmp(argv[1], "usage")) {
		struct in_use u = {.print = true};
		int rc = verify_key_usage(argv[2], on_usage, &u);
		if (rc)
			fprintf(stderr, "cannot read %s: %s\n", argv[2],
				strerror(-rc));
		return rc ? 1 : 0;
	}
	if (argc < 4 || strcmp(argv[1], "--key-file")) {
		usage();
		return 2;
	}
	return run(argv[2], argc - 3, argv + 3);
}
