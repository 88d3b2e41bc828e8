/* sealog-storage - prepare a log directory before the broker first starts,
 * like kafka-storage.sh:
 *
 *   sealog-storage format -c server.properties [--override key=value ...]
 *                  [-t CLUSTER_ID] [--add-scram SPEC ...] [--ignore-formatted]
 *   sealog-storage random-uuid
 *
 * format creates the log directory of the configuration (log.dirs /
 * log.dir, the key file of log.encryption.key.file or the embedded
 * default), records the cluster id (-t, else a random one) and stores the
 * SCRAM credentials of every --add-scram, Kafka's syntax:
 *
 *   'SCRAM-SHA-256=[name=alice,password=alice-secret]'
 *   'SCRAM-SHA-512=[name=alice,iterations=8192,password="a,b"]'
 *   'SCRAM-SHA-256=[name=bob,salt=<base64>,saltedpassword=<base64>,iterations=4096]'
 *
 * so the first admin can log in over SASL before any user exists. Only
 * salt, StoredKey, ServerKey and iterations are stored, sealed with the
 * directory's keyring (auth/credstore.h); passwords are wiped after use
 * and never printed. A directory that already has a cluster id is
 * refused ("already formatted"), or skipped with --ignore-formatted
 * (Kafka's meaning); so is one a running broker holds. Users of a running
 * broker are managed with AlterUserScramCredentials (kafka-configs.sh).
 *
 * Why a tool and not a config key: a password in server.properties would
 * sit there for the broker's lifetime; this keeps only the derived keys,
 * and it is the step Kafka users (and bitnami-style images) already run.
 *
 * Exit: 0 done (or skipped), 1 failure, 2 usage or configuration error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "auth/credstore.h"
#include "broker/auth.h"
#include "broker/config.h"
#include "storage/keyring.h"
#include "storage/meta.h"
#include "storage/storage.h"
#include "auth/scram_spec.h"

#define MAX_SPECS 64
#define MAX_OVERRIDES 256

struct opts {
	const char *config;
	const char *overrides[MAX_OVERRIDES];
	int n_overrides;
	const char *cluster_id;
	const char *specs[MAX_SPECS];
	int n_specs;
	bool ignore_formatted;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: sealog-storage format -c server.properties "
		   "[--override key=value ...]\n"
		   "                      [-t CLUSTER_ID] [--add-scram SPEC "
		   "...] [--ignore-formatted]\n"
		   "       sealog-storage random-uuid\n"
		   "SPEC: 'SCRAM-SHA-256=[name=alice,password=alice-secret]' "
		   "(also iterations=N,\n"
		   "      or salt=<base64>,saltedpassword=<base64> instead of "
		   "password)\n");
}

static void random_uuid(char out[23])
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint8_t raw[17] = {0};

	if (RAND_bytes(raw, 16) != 1) {
		fprintf(stderr, "sealog-storage: random generator failed\n");
		exit(1);
	}
	/* 128 bits as 22 URL-safe base64 characters (Kafka's Uuid). */
	for (int i = 0; i < 22; i++) {
		int bit = i * 6, byte = bit / 8, shift = bit % 8;
		unsigned v = (unsigned)raw[byte] << 8 | raw[byte + 1];
		out[i] = b64[(v >> (10 - shift)) & 63];
	}
	out[22] = '\0';
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"override", required_argument, NULL, 'o'},
	    {"cluster-id", required_argument, NULL, 't'},
	    {"add-scram", required_argument, NULL, 'S'},
	    {"ignore-formatted", no_argument, NULL, 'g'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:t:S:gh", longs, NULL)) != -1) {
		if (c == 'c') {
			o->config = optarg;
		} else if (c == 'o' && o->n_overrides < MAX_OVERRIDES) {
			o->overrides[o->n_overrides++] = optarg;
		} else if (c == 't') {
			o->cluster_id = optarg;
		} else if (c == 'S' && o->n_specs < MAX_SPECS) {
			o->specs[o->n_specs++] = optarg;
		} else if (c == 'g') {
			o->ignore_formatted = true;
		} else {
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? -1 : 2;
		}
	}
	if (optind != argc || !o->config) {
		usage(stderr);
		return 2;
	}
	if (o->cluster_id && !config_cluster_id_valid(o->cluster_id)) {
		fprintf(stderr,
			"sealog-storage: -t %s: a cluster id is 22 URL-safe "
			"base64 characters (sealog-storage random-uuid)\n",
			o->cluster_id);
		return 2;
	}
	return 0;
}

/* The broker's configuration rules, through config_load(). */
static int load_config(const struct opts *o, struct broker_config *cfg)
{
	char *argv[2 + 2 * MAX_OVERRIDES + 1];
	int argc = 0;

	argv[argc++] = "sealog-storage";
	argv[argc++] = (char *)o->config;
	for (int i = 0; i < o->n_overrides; i++) {
		argv[argc++] = "--override";
		argv[argc++] = (char *)o->overrides[i];
	}
	argv[argc] = NULL;
	optind = 1;
	return config_load(argc, argv, cfg);
}

static int specs_parse(const struct opts *o, struct scram_spec *specs)
{
	char err[256];

	for (int i = 0; i < o->n_specs; i++)
		if (scram_spec_parse(o->specs[i], &specs[i], err,
				     sizeof(err))) {
			fprintf(stderr, "sealog-storage: --add-scram #%d: %s\n",
				i + 1, err);
			return 2;
		}
	return 0;
}

/* The directory and its key file exist and agree (storage_open checks
 * the key against the directory, and refuses one a broker holds). */
static int dir_prepare(const struct broker_config *cfg)
{
	struct storage_config sc = {
	    .dir = cfg->log_dir,
	    .key_file = cfg->encryption_key_file,
	    .sync_mode = STORAGE_SYNC_ALWAYS,
	};
	struct storage *st;
	int rc = storage_open(&sc, &st);

	if (rc == -EBUSY)
		fprintf(stderr,
			"sealog-storage: %s is in use by a running broker; add "
			"users with AlterUserScramCredentials "
			"(kafka-configs.sh --alter --add-config ...)\n",
			cfg->log_dir);
	else if (rc)
		fprintf(stderr, "sealog-storage: cannot open %s: %s\n",
			cfg->log_dir, strerror(-rc));
	else
		storage_close(st);
	return rc;
}

/* 1 when the directory already has a cluster id, 0 when not. */
static int formatted(struct meta *m)
{
	struct meta_txn *t;
	const void *v;
	size_t len;
	int rc = meta_txn_begin(m, false, &t);

	if (rc)
		return rc;
	rc = meta_get(t, "cluster", "cluster.id", 10, &v, &len);
	meta_txn_abort(t);
	return rc == 0 ? 1 : rc == -ENOENT ? 0 : rc;
}

static int cluster_id_store(struct meta *m, const char *id)
{
	struct meta_txn *t;
	int rc = meta_txn_begin(m, true, &t);

	if (rc)
		return rc;
	rc = meta_put(t, "cluster", "cluster.id", 10, id, strlen(id));
	if (rc) {
		meta_txn_abort(t);
		return rc;
	}
	return meta_txn_commit(t);
}

static int users_store(struct meta *m, const struct broker_config *cfg,
		       const struct scram_spec *specs, int n)
{
	struct credstore_change ch[MAX_SPECS];
	struct scram_cred creds[MAX_SPECS];
	struct keyring *kr = NULL;
	struct credstore *cs = NULL;
	char path[4096];
	int rc = broker_auth_key_file(cfg, path, sizeof(path));

	if (!rc)
		rc = keyring_load(path, &kr);
	if (!rc)
		rc = credstore_open(m, kr, &cs);
	for (int i = 0; !rc && i < n; i++) {
		rc = scram_spec_cred(&specs[i], &creds[i]);
		ch[i] = (struct credstore_change){specs[i].name, specs[i].mech,
						  &creds[i]};
	}
	if (!rc)
		rc = credstore_apply(cs, ch, (size_t)n);
	OPENSSL_cleanse(creds, sizeof(creds));
	credstore_close(cs);
	keyring_free(kr);
	for (int i = 0; !rc && i < n; i++)
		printf("Added %s credential for user %s (%d iterations)\n",
		       scram_mech_name(specs[i].mech), specs[i].name,
		       specs[i].iterations);
	if (rc)
		fprintf(
		    stderr,
		    "sealog-storage: cannot store the SCRAM credentials: %s\n",
		    strerror(-rc));
	return rc;
}

static int format(const struct opts *o, const struct broker_config *cfg,
		  const struct scram_spec *specs)
{
	char id[32]; /* cluster ids are 22 characters (validated) */
	struct meta *m;
	int rc = dir_prepare(cfg);

	if (rc)
		return 1;
	if ((rc = meta_open(cfg->log_dir, 0, &m)) != 0) {
		fprintf(stderr,
			"sealog-storage: cannot open the metadata store in %s: "
			"%s\n",
			cfg->log_dir, strerror(-rc));
		return 1;
	}
	rc = formatted(m);
	if (rc < 0) {
		fprintf(stderr,
			"sealog-storage: cannot read the metadata store in %s: "
			"%s\n",
			cfg->log_dir, strerror(-rc));
		meta_close(m);
		return 1;
	}
	if (rc == 1) {
		meta_close(m);
		if (o->ignore_formatted) {
			printf("%s is already formatted: skipped "
			       "(--ignore-formatted)\n",
			       cfg->log_dir);
			return 0;
		}
		fprintf(stderr,
			"sealog-storage: Log directory %s is already "
			"formatted. Use --ignore-formatted to ignore this "
			"directory and format the others.\n",
			cfg->log_dir);
		return 1;
	}
	snprintf(id, sizeof(id), "%s",
		 o->cluster_id	      ? o->cluster_id
		 : cfg->cluster_id[0] ? cfg->cluster_id
				      : "");
	if (!id[0])
		random_uuid(id);
	if (!rc && o->n_specs)
		rc = users_store(m, cfg, specs, o->n_specs);
	if (!rc)
		rc = cluster_id_store(m, id);
	meta_close(m);
	if (rc)
		return 1;
	printf("Formatting %s with cluster id %s\n", cfg->log_dir, id);
	return 0;
}

int main(int argc, char **argv)
{
	static struct broker_config cfg;
	static struct scram_spec specs[MAX_SPECS];
	struct opts o = {0};
	int rc;

	if (argc >= 2 && strcmp(argv[1], "random-uuid") == 0 && argc == 2) {
		char id[23];
		random_uuid(id);
		printf("%s\n", id);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "format") != 0) {
		usage(stderr);
		return 2;
	}
	rc = parse_args(argc - 1, argv + 1, &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	rc = specs_parse(&o, specs);
	if (!rc) {
		rc = load_config(&o, &cfg);
		if (rc)
			rc = rc < 0 ? 0 : rc;
		else
			rc = format(&o, &cfg, specs);
	}
	OPENSSL_cleanse(specs, sizeof(specs));
	config_free(&cfg);
	return rc;
}
