/* storage_bench.c - sealog-storage-bench: the cost of encryption at rest
 * and the throughput of group commit, in one run.
 *
 *   sealog-storage-bench [--dir D] [--mb N] [--seconds S] [--no-openssl]
 *
 * 1. append throughput (STORAGE_SYNC_NONE: page cache, no fsync) for 1 KiB
 *    and 16 KiB batches: AES-256-GCM sealing, then the same path with the
 *    cipher replaced by a copy (seal_bench_null_cipher: a bench-only
 *    switch, not reachable from any configuration);
 * 2. raw AES-256-GCM through EVP on this machine (the same calls the frame
 *    sealer makes), and `openssl speed -evp aes-256-gcm` when available;
 * 3. acks=all under group commit (STORAGE_SYNC_ALWAYS): N appends, one
 *    kick, wait for the HW (one fdatasync per pass covers all N).
 * Prints MB/s, batches/s and the ratios. Data goes to a fresh directory
 * under D (default $TMPDIR or /tmp), removed afterwards.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "base/crc32c.h"
#include "base/log.h"
#include "base/be.h"
#include "storage/plog.h"
#include "storage/seal.h"
#include "storage/storage.h"

static const uint8_t bench_id[16] = {0xbe, 0x4c};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void rm_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char sub[4096];
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		rm_tree(sub);
	}
	if (d) {
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

/* One v2 batch of `size` bytes: 8 records, incompressible payload. */
static uint8_t *make_batch(size_t size)
{
	uint8_t *b = calloc(1, size);
	size_t body = size - 61, per = body / 8;

	if (!b)
		exit(2);
	for (size_t i = 61; i < size; i++)
		b[i] = (uint8_t)(i * 2654435761u >> 13);
	for (int r = 0; r < 8; r++) { /* record length prefix, zigzag */
		uint8_t *p = b + 61 + (size_t)r * per;
		uint32_t z = (uint32_t)(per - 2) << 1;
		p[0] = (uint8_t)(z | 0x80);
		p[1] = (uint8_t)(z >> 7);
		p[2] = 0;
	}
	be_put32(b + 8, (uint32_t)(size - 12));
	b[16] = 2;
	be_put32(b + 23, 7);
	be_put64(b + 27, 1700000000000ULL);
	be_put64(b + 35, 1700000000007ULL);
	be_put64(b + 43, (uint64_t)-1);
	be_put32(b + 57, 8);
	be_put32(b + 17, crc32c(0, b + 21, size - 21));
	return b;
}

struct env {
	char root[4096];
	struct storage *st;
	struct plog *pl;
};

static int env_open(struct env *e, const char *base, const char *name,
		    enum storage_sync_mode mode)
{
	struct storage_config sc = {.sync_mode = mode};
	struct plog_config pc = {.segment_bytes = 1 << 30,
				 .segment_ms = -1,
				 .retention_ms = -1,
				 .retention_bytes = -1,
				 .index_interval_bytes = 4096};

	snprintf(e->root, sizeof(e->root), "%s/%s", base, name);
	sc.dir = e->root;
	if (storage_open(&sc, &e->st))
		return -1;
	if (plog_open(e->st, "bench", bench_id, 0, &pc, &e->pl)) {
		storage_close(e->st);
		return -1;
	}
	return 0;
}

static void env_close(struct env *e)
{
	plog_close(e->pl);
	storage_close(e->st);
	rm_tree(e->root);
}

struct result {
	double mbps, bps;
};

static struct result bench_append(const char *base, size_t size, size_t mb,
				  bool null_cipher)
{
	struct env e;
	uint8_t *b = make_batch(size);
	size_t n = (mb << 20) / size;
	struct result r = {0, 0};
	double t0, dt;
	int64_t off;

	seal_bench_null_cipher(null_cipher);
	if (env_open(&e, base, null_cipher ? "copy" : "aes", STORAGE_SYNC_NONE))
		exit(2);
	t0 = now_s();
	for (size_t i = 0; i < n; i++)
		if (plog_append(e.pl, b, size, 0, 0, &off)) {
			fprintf(stderr, "append failed\n");
			exit(1);
		}
	dt = now_s() - t0;
	seal_bench_null_cipher(false);
	env_close(&e);
	free(b);
	r.mbps = (double)(n * size) / dt / 1e6;
	r.bps = (double)n / dt;
	return r;
}

static double bench_evp(size_t size, double seconds)
{
	EVP_CIPHER_CTX *c = seal_ctx_new(true);
	uint8_t key[32] = {1}, iv[12] = {0}, tag[16], *in = make_batch(size);
	uint8_t *out = malloc(size);
	size_t bytes = 0;
	double t0 = now_s();
	int len;

	seal_ctx_key(c, key);
	while (now_s() - t0 < seconds) {
		for (int i = 0; i < 64; i++) {
			seal_nonce_next(iv);
			EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv);
			EVP_EncryptUpdate(c, NULL, &len, in, 72);
			EVP_EncryptUpdate(c, out, &len, in, (int)size);
			EVP_EncryptFinal_ex(c, tag, &len);
			EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
			bytes += size;
		}
	}
	EVP_CIPHER_CTX_free(c);
	free(in);
	free(out);
	return (double)bytes / (now_s() - t0) / 1e6;
}

/* `openssl speed` for one buffer size: its last line, or "" */
static void openssl_speed(size_t size, char *line, size_t cap)
{
	char cmd[160], buf[512];
	FILE *p;

	line[0] = '\0';
	snprintf(cmd, sizeof(cmd),
		 "openssl speed -evp aes-256-gcm -seconds 1 "
		 "-bytes %zu 2>/dev/null",
		 size);
	p = popen(cmd, "r");
	while (p && fgets(buf, sizeof(buf), p))
		if (!strncmp(buf, "AES-256-GCM", 11) ||
		    !strncmp(buf, "aes-256-gcm", 11))
			snprintf(line, cap, "%s", buf);
	if (p)
		pclose(p);
}

struct gc_result {
	double bps, mbps, syncs_per_s, lat_ms;
};

static struct gc_result bench_group_commit(const char *base, size_t size,
					   int per_sync, double seconds)
{
	struct gc_result r = {0, 0, 0, 0};
	struct plog_offsets o;
	uint8_t *b = make_batch(size);
	size_t batches = 0, passes = 0;
	double t0, lat = 0;
	struct env e;
	int64_t off;

	if (env_open(&e, base, "gc", STORAGE_SYNC_ALWAYS))
		exit(2);
	t0 = now_s();
	while (now_s() - t0 < seconds) {
		double t1 = now_s();
		for (int i = 0; i < per_sync; i++)
			if (plog_append(e.pl, b, size, 0, 0, &off))
				exit(1);
		storage_sync_kick(e.st);
		do { /* the acks=all reply waits for this */
			struct pollfd p = {.fd = storage_notify_fd(e.st),
					   .events = POLLIN};
			poll(&p, 1, 1000);
			storage_poll(e.st);
			plog_offsets(e.pl, &o);
		} while (o.high_watermark < o.log_end_offset &&
			 !storage_offline(e.st));
		lat += now_s() - t1;
		batches += (size_t)per_sync;
		passes++;
	}
	r.bps = (double)batches / (now_s() - t0);
	r.mbps = r.bps * (double)size / 1e6;
	r.syncs_per_s = (double)passes / (now_s() - t0);
	r.lat_ms = lat / (double)passes * 1e3;
	env_close(&e);
	free(b);
	return r;
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = {1024, 16384};
	const char *tmp = getenv("TMPDIR");
	char base[4096];
	size_t mb = 256;
	double seconds = 3;
	bool use_openssl = true;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			tmp = argv[++i];
		else if (!strcmp(argv[i], "--mb") && i + 1 < argc)
			mb = (size_t)atol(argv[++i]);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--no-openssl"))
			use_openssl = false;
		else {
			fprintf(stderr,
				"usage: sealog-storage-bench [--dir D] "
				"[--mb N] [--seconds S] [--no-openssl]\n");
			return 2;
		}
	}
	log_set_level(LOG_ERROR);
	snprintf(base, sizeof(base), "%s/sealog-bench-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 2;
	}
	printf("# sealog-storage-bench: %zu MiB per append case, %.0f s per "
	       "group-commit case, data in %s\n",
	       mb, seconds, base);
	printf("\n## append (no fsync), AES-256-GCM vs copy vs raw EVP\n");
	printf("%-8s %12s %12s %12s %12s %12s %9s %9s\n", "batch", "aes MB/s",
	       "aes b/s", "copy MB/s", "copy b/s", "evp MB/s", "aes/copy",
	       "aes/evp");
	for (size_t i = 0; i < 2; i++) {
		struct result a = bench_append(base, sizes[i], mb, false);
		struct result c = bench_append(base, sizes[i], mb, true);
		double evp = bench_evp(sizes[i], 1.0);
		printf("%-8zu %12.0f %12.0f %12.0f %12.0f %12.0f %9.2f %9.2f\n",
		       sizes[i], a.mbps, a.bps, c.mbps, c.bps, evp,
		       a.mbps / c.mbps, a.mbps / evp);
	}
	if (use_openssl) {
		printf("\n## openssl speed -evp aes-256-gcm -seconds 1 -bytes "
		       "N\n");
		for (size_t i = 0; i < 2; i++) {
			char line[512];
			openssl_speed(sizes[i], line, sizeof(line));
			printf("%zu: %s", sizes[i],
			       line[0] ? line : "(not available)\n");
		}
	}
	printf("\n## acks=all under group commit (STORAGE_SYNC_ALWAYS)\n");
	printf("%-8s %10s %12s %10s %10s %12s\n", "batch", "per sync",
	       "batches/s", "MB/s", "syncs/s", "ack ms avg");
	for (size_t i = 0; i < 2; i++)
		for (int per = 1; per <= 64; per *= 8) {
			struct gc_result g =
			    bench_group_commit(base, sizes[i], per, seconds);
			printf("%-8zu %10d %12.0f %10.1f %10.0f %12.2f\n",
			       sizes[i], per, g.bps, g.mbps, g.syncs_per_s,
			       g.lat_ms);
		}
	rm_tree(base);
	return 0;
}
