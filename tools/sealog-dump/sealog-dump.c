/* sealog-dump - verify and print sealog partition logs (offline).
 *
 *   sealog-dump [--key-file F] [--records] [--quiet] <partition dir |
 * segment>...
 *
 * For every segment: its data key id and size; for every batch: the
 * frame's tag and the batch's CRC-32C are verified, offsets checked for
 * contiguity, and the header printed in the layout of Kafka's
 * DumpLogSegments; sealed segments' footers are checked (frame count,
 * offsets, digest). --records adds each record (offset, timestamp, key,
 * value, headers; bytes outside printable ASCII as \xNN). The key file
 * defaults to <log dir>/encryption.keys (the parent of the partition
 * directory), as the broker's embedded default.
 *
 * Exit status: 0 everything verified, 1 a problem was found (each is
 * printed to stderr with file and byte position), 2 usage or key errors.
 */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/log.h"
#include "base/be.h"
#include "storage/keyring.h"
#include "storage/verify.h"

struct dump {
	bool records, quiet;
	long batches, problems;
};

static const char *const codecs[] = {"none", "gzip", "snappy", "lz4",
				     "zstd", "?",    "?",      "?"};

static void put_escaped(const uint8_t *p, int64_t len)
{
	for (int64_t i = 0; i < len; i++)
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			putchar(p[i]);
		else
			printf("\\x%02x", p[i]);
}

static int varint(const uint8_t **p, const uint8_t *end, int64_t *v)
{
	uint64_t x = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		if (*p >= end)
			return -1;
		x |= (uint64_t)(**p & 0x7f) << shift;
		if (!(*(*p)++ & 0x80)) {
			*v = (int64_t)(x >> 1) ^ -(int64_t)(x & 1);
			return 0;
		}
	}
	return -1;
}

/* A length-prefixed byte string: -1 is null. */
static int bytes(const uint8_t **p, const uint8_t *end, const uint8_t **s,
		 int64_t *len)
{
	if (varint(p, end, len) || *len < -1 || *len > end - *p)
		return -1;
	*s = *len > 0 ? *p : NULL;
	*p += *len > 0 ? *len : 0;
	return 0;
}

static int print_headers(const uint8_t **p, const uint8_t *end)
{
	int64_t n, klen, vlen;
	const uint8_t *k, *v;

	if (varint(p, end, &n) || n < 0 || n > end - *p)
		return -1;
	printf(" headers: [");
	for (int64_t i = 0; i < n; i++) {
		if (bytes(p, end, &k, &klen) || bytes(p, end, &v, &vlen))
			return -1;
		printf("%s", i ? ", " : "");
		put_escaped(k, klen);
		putchar('=');
		if (vlen < 0)
			printf("null");
		else
			put_escaped(v, vlen);
	}
	printf("]");
	return 0;
}

static int print_record(const uint8_t *rec, const uint8_t *end, int64_t base,
			int64_t base_ts, const char *ttype)
{
	const uint8_t *p = rec + 1, *k, *v; /* skip attributes */
	int64_t tsd, offd, klen, vlen;

	if (p > end || varint(&p, end, &tsd) || varint(&p, end, &offd) ||
	    bytes(&p, end, &k, &klen) || bytes(&p, end, &v, &vlen))
		return -1;
	printf("| offset: %" PRId64 " %s: %" PRId64 " keySize: %" PRId64
	       " valueSize: %" PRId64 " key: ",
	       base + offd, ttype, base_ts + tsd, klen, vlen);
	if (klen < 0)
		printf("null");
	else
		put_escaped(k, klen);
	printf(" payload: ");
	if (vlen < 0)
		printf("null");
	else
		put_escaped(v, vlen);
	if (print_headers(&p, end))
		return -1;
	putchar('\n');
	return p == end ? 0 : -1;
}

static void print_records(const uint8_t *b, size_t len, const char *ttype)
{
	const uint8_t *p = b + 61, *end = b + len;
	int64_t base = (int64_t)be_get64(b),
		base_ts = (int64_t)be_get64(b + 27);
	int32_t count = (int32_t)be_get32(b + 57);

	if (be_get16(b + 21) & 7) {
		printf("| (%d records, compressed: not shown)\n", count);
		return;
	}
	for (int32_t i = 0; i < count; i++) {
		int64_t rlen;
		if (varint(&p, end, &rlen) || rlen < 1 || rlen > end - p ||
		    print_record(p, p + rlen, base, base_ts, ttype)) {
			printf("| (malformed record %d)\n", i);
			return;
		}
		p += rlen;
	}
}

static void on_segment(void *ctx, const char *file, int64_t base,
		       const char *key_id, uint64_t size)
{
	struct dump *d = ctx;

	if (!d->quiet)
		printf("Dumping %s\nSegment base offset: %" PRId64
		       " data key wrapped by: %s size: %" PRIu64 "\n",
		       file, base, key_id, size);
}

static void on_batch(void *ctx, const struct verify_batch *vb)
{
	struct dump *d = ctx;
	const uint8_t *b = vb->batch;
	uint16_t attr = be_get16(b + 21);
	int32_t seq = (int32_t)be_get32(b + 53);
	const char *ttype = attr & 0x08 ? "LogAppendTime" : "CreateTime";

	d->batches++;
	if (d->quiet)
		return;
	printf("baseOffset: %" PRId64 " lastOffset: %" PRId64 " count: %d"
	       " baseSequence: %d lastSequence: %d producerId: %" PRId64
	       " producerEpoch: %d partitionLeaderEpoch: %d isTransactional: %s"
	       " isControl: %s position: %" PRIu64 " %s: %" PRId64
	       " size: %zu magic: %d compresscodec: %s crc: %u isvalid: true\n",
	       vb->base_offset, vb->base_offset + vb->last_delta,
	       (int32_t)be_get32(b + 57), seq,
	       seq < 0 ? -1 : seq + vb->last_delta, (int64_t)be_get64(b + 43),
	       (int16_t)be_get16(b + 51), (int32_t)be_get32(b + 12),
	       attr & 0x10 ? "true" : "false", attr & 0x20 ? "true" : "false",
	       vb->pos, ttype, (int64_t)be_get64(b + 35), vb->len, b[16],
	       codecs[attr & 7], be_get32(b + 17));
	if (d->records)
		print_records(b, vb->len, ttype);
}

static void on_end(void *ctx, const char *file, uint32_t frames, int64_t next,
		   bool sealed)
{
	struct dump *d = ctx;

	(void)file;
	if (!d->quiet)
		printf("Segment end: %u batches, next offset %" PRId64 ", %s\n",
		       frames, next,
		       sealed ? "sealed (footer verified)"
			      : "open (no footer)");
}

static void on_problem(void *ctx, const char *file, uint64_t pos,
		       const char *what)
{
	struct dump *d = ctx;

	d->problems++;
	fprintf(stderr, "ERROR %s at byte %" PRIu64 ": %s\n", file, pos, what);
}

static const struct verify_ops dump_ops = {
    .segment_begin = on_segment,
    .batch = on_batch,
    .segment_end = on_end,
    .problem = on_problem,
};

static void usage(void)
{
	fprintf(stderr, "usage: sealog-dump [--key-file F] [--records] "
			"[--quiet] <partition dir | segment file>...\n");
}

/* <log dir>/encryption.keys for a partition directory or segment file. */
static void default_key_file(const char *path, char *out, size_t cap)
{
	struct stat sb;
	char *a = strdup(path), *b;

	if (!a) {
		out[0] = '\0';
		return;
	}
	b = stat(path, &sb) == 0 && !S_ISDIR(sb.st_mode) ? dirname(a) : a;
	snprintf(out, cap, "%s/../%s", b, KEYRING_DEFAULT_FILE);
	free(a);
}

static int dump_one(const char *key_file, const char *path, struct dump *d)
{
	char def[4200];
	struct keyring *kr;
	int rc;

	if (!key_file) {
		default_key_file(path, def, sizeof(def));
		key_file = def;
	}
	if (keyring_load(key_file, &kr))
		return 2;
	rc = verify_path(kr, path, &dump_ops, d);
	keyring_free(kr);
	return rc < 0 ? 2 : rc > 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct dump d = {0};
	const char *key_file = NULL;
	int i, worst = 0;

	log_set_level(LOG_WARN);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--records"))
			d.records = true;
		else if (!strcmp(argv[i], "--quiet"))
			d.quiet = true;
		else if (!strcmp(argv[i], "--key-file") && i + 1 < argc)
			key_file = argv[++i];
		else
			break;
	}
	if (i >= argc || argv[i][0] == '-') {
		usage();
		return 2;
	}
	for (; i < argc; i++) {
		int rc = dump_one(key_file, argv[i], &d);
		if (rc > worst)
			worst = rc;
	}
	fprintf(stderr, "%ld batches verified, %ld problems\n", d.batches,
		d.problems);
	return worst;
}
