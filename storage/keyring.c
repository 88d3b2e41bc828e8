/* keyring.c - key-encryption keys: key file, secure memory, wrapping.
 *
 * The key bytes exist in three places only: the key file, the secure
 * heap (struct kr_key.key) and, transiently, EVP contexts and the parse
 * buffer, which are wiped before they are freed.
 */
#include "storage/keyring.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/buf.h"
#include "base/log.h"
#include "storage/futil.h"
#include "storage/seal.h"
#include "storage/sio.h"

#define LOGC "Storage"
#define KR_FILE_MAX (64u << 10)
#define KR_CHECK_FILE "encryption.check"

struct kr_key {
	char id[KEYRING_ID_MAX + 1];
	uint8_t *key; /* KEYRING_KEY_LEN bytes of secure heap */
};

struct keyring {
	char *path;
	struct kr_key *keys;
	size_t count, cap;
	size_t current;
};

static pthread_once_t kr_once = PTHREAD_ONCE_INIT;

/* OpenSSL's secure heap: mmap'd, mlock'd (when RLIMIT_MEMLOCK allows),
 * MADV_DONTDUMP, guard pages. 256 KiB holds thousands of 32-byte keys;
 * past that CRYPTO_secure_malloc falls back to the normal heap (still
 * wiped on free). Someone else may have set it up first: then keep theirs. */
static void kr_secure_init(void)
{
	if (!CRYPTO_secure_malloc_initialized() &&
	    CRYPTO_secure_malloc_init(256u << 10, 32) == 0)
		log_warn(LOGC, "secure memory unavailable; keys stay in the "
			       "normal heap (still wiped after use)");
}

bool keyring_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > KEYRING_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

static struct kr_key *kr_find(const struct keyring *kr, const char *id)
{
	for (size_t i = 0; i < kr->count; i++)
		if (strcmp(kr->keys[i].id, id) == 0)
			return &kr->keys[i];
	return NULL;
}

static struct keyring *kr_new(const char *path)
{
	struct keyring *kr;

	pthread_once(&kr_once, kr_secure_init);
	kr = calloc(1, sizeof(*kr));
	if (kr && !(kr->path = strdup(path))) {
		free(kr);
		kr = NULL;
	}
	return kr;
}

void keyring_free(struct keyring *kr)
{
	if (!kr)
		return;
	for (size_t i = 0; i < kr->count; i++)
		CRYPTO_secure_clear_free(kr->keys[i].key, KEYRING_KEY_LEN,
					 __FILE__, __LINE__);
	free(kr->keys);
	free(kr->path);
	free(kr);
}

/* Append a key slot; returns its secure buffer or NULL (ENOMEM). */
static uint8_t *kr_push(struct keyring *kr, const char *id)
{
	struct kr_key *k;

	if (kr->count == kr->cap) {
		size_t cap = kr->cap ? kr->cap * 2 : 4;
		k = realloc(kr->keys, cap * sizeof(*k));
		if (!k)
			return NULL;
		kr->keys = k;
		kr->cap = cap;
	}
	k = &kr->keys[kr->count];
	k->key = CRYPTO_secure_zalloc(KEYRING_KEY_LEN, __FILE__, __LINE__);
	if (!k->key)
		return NULL;
	snprintf(k->id, sizeof(k->id), "%s", id);
	kr->count++;
	return k->key;
}

/* --- parsing -------------------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int hex_decode(const char *s, size_t len, uint8_t *out, size_t n)
{
	if (len != 2 * n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static void hex_encode(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* One line: "key.<id>=<hex>" or "current=<id>". Errors name the line, never
 * the value (it may be a key). */
static int kr_parse_line(struct keyring *kr, char *line, unsigned no,
			 char cur[KEYRING_ID_MAX + 1])
{
	char *eq = strchr(line, '='), *k, *v;
	uint8_t *slot;

	if (!eq) {
		log_error(LOGC,
			  "%s line %u: expected key.<id>=<hex> or current=<id>",
			  kr->path, no);
		return -EINVAL;
	}
	*eq = '\0';
	k = trim(line);
	v = trim(eq + 1);
	if (strcmp(k, "current") == 0) {
		if (!keyring_id_valid(v))
			goto bad_id;
		snprintf(cur, KEYRING_ID_MAX + 1, "%s", v);
		return 0;
	}
	if (strncmp(k, "key.", 4) != 0) {
		log_error(LOGC, "%s line %u: unknown entry", kr->path, no);
		return -EINVAL;
	}
	k += 4;
	if (!keyring_id_valid(k))
		goto bad_id;
	if (kr_find(kr, k)) {
		log_error(LOGC, "%s line %u: duplicate key id %s", kr->path, no,
			  k);
		return -EINVAL;
	}
	slot = kr_push(kr, k);
	if (!slot)
		return -ENOMEM;
	if (hex_decode(v, strlen(v), slot, KEYRING_KEY_LEN)) {
		log_error(LOGC, "%s line %u: key %s is not 64 hex digits",
			  kr->path, no, k);
		return -EINVAL;
	}
	return 0;
bad_id:
	log_error(LOGC, "%s line %u: key ids are 1-%d of [A-Za-z0-9._-]",
		  kr->path, no, KEYRING_ID_MAX);
	return -EINVAL;
}

static int kr_parse(struct keyring *kr, char *text)
{
	char cur[KEYRING_ID_MAX + 1] = "", *save = NULL, *line;
	unsigned no = 0;
	int rc = 0;

	for (line = strtok_r(text, "\n", &save); line && !rc;
	     line = strtok_r(NULL, "\n", &save)) {
		char *l = trim(line);
		no++;
		if (*l && *l != '#' && *l != '!')
			rc = kr_parse_line(kr, l, no, cur);
	}
	if (rc)
		return rc;
	if (kr->count == 0 || (!cur[0] && kr->count > 1) ||
	    (cur[0] && !kr_find(kr, cur))) {
		log_error(LOGC, "%s: %s", kr->path,
			  kr->count == 0 ? "holds no key"
			  : !cur[0]
			      ? "holds several keys but no current=<id>"
			      : "current= names a key id it does not hold");
		return -EINVAL;
	}
	kr->current = cur[0] ? (size_t)(kr_find(kr, cur) - kr->keys) : 0;
	return 0;
}

static int kr_read(const char *path, char **text, size_t *len)
{
	struct stat sb;
	size_t got;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		log_error(LOGC, "Cannot open the encryption key file %s: %s",
			  path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || (sb.st_mode & 077) ||
	    sb.st_size > (off_t)KR_FILE_MAX) {
		log_error(LOGC,
			  "The encryption key file %s must be a regular "
			  "file of at most 64 KiB with mode 0600 or 0400 "
			  "(it is %04o)",
			  path, (unsigned)(sb.st_mode & 07777));
		rc = -EACCES;
		goto out;
	}
	*text = OPENSSL_malloc((size_t)sb.st_size + 1);
	if (!*text) {
		rc = -ENOMEM;
		goto out;
	}
	rc = sio_read_full(fd, *text, (size_t)sb.st_size, 0, &got);
	(*text)[rc ? 0 : got] = '\0';
	*len = (size_t)sb.st_size + 1;
out:
	close(fd);
	return rc;
}

int keyring_load(const char *path, struct keyring **out)
{
	struct keyring *kr = kr_new(path);
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (!kr)
		return -ENOMEM;
	rc = kr_read(path, &text, &len);
	if (!rc)
		rc = kr_parse(kr, text);
	OPENSSL_clear_free(text, len);
	if (rc) {
		keyring_free(kr);
		return rc;
	}
	*out = kr;
	return 0;
}

/* --- writing -------------------------------------------------------------- */

/* The file text; the caller wipes it (it holds every key). */
static int kr_format(const struct keyring *kr, struct buf *b)
{
	char line[KEYRING_ID_MAX + 2 * KEYRING_KEY_LEN + 16];
	char hex[2 * KEYRING_KEY_LEN + 1];
	static const char head[] =
	    "# sealog encryption keys (log.encryption.key.file). Keep this "
	    "file off the data volume, mode 0600.\n";

	buf_append(b, head, sizeof(head) - 1);
	snprintf(line, sizeof(line), "current=%s\n", kr->keys[kr->current].id);
	buf_append(b, line, strlen(line));
	for (size_t i = 0; i < kr->count; i++) {
		hex_encode(kr->keys[i].key, KEYRING_KEY_LEN, hex);
		snprintf(line, sizeof(line), "key.%s=%s\n", kr->keys[i].id,
			 hex);
		buf_append(b, line, strlen(line));
	}
	OPENSSL_cleanse(hex, sizeof(hex));
	OPENSSL_cleanse(line, sizeof(line));
	return b->err;
}

/* Open the directory holding path; *base points into copy (freed by the
 * caller). */
static int kr_parent(const char *path, char **copy, const char **base)
{
	char *dcopy = strdup(path);
	int fd;

	*copy = strdup(path);
	if (!dcopy || !*copy) {
		free(dcopy);
		return -ENOMEM;
	}
	*base = basename(*copy);
	fd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		fd = -errno;
	free(dcopy);
	return fd;
}

static int kr_write(const struct keyring *kr, const char *path, bool excl)
{
	const char *base = NULL;
	char *copy = NULL;
	struct buf b;
	int dfd = -1, rc;

	buf_init(&b, 0);
	rc = kr_format(kr, &b);
	if (!rc) {
		dfd = kr_parent(path, &copy, &base);
		rc = dfd < 0 ? dfd : 0;
	}
	if (!rc && excl && faccessat(dfd, base, F_OK, 0) == 0)
		rc = -EEXIST;
	else if (!rc)
		rc = futil_replace(dfd, base, b.data, b.len, 0600);
	if (dfd >= 0)
		close(dfd);
	if (b.data)
		OPENSSL_cleanse(b.data, b.cap);
	buf_fini(&b);
	free(copy);
	return rc;
}

int keyring_save(const struct keyring *kr, const char *path)
{
	int rc = kr_write(kr, path, false);

	if (rc)
		log_error(LOGC, "Cannot write the key file %s: %s", path,
			  strerror(-rc));
	return rc;
}

int keyring_create(const char *path, const char *id, struct keyring **out)
{
	struct keyring *kr = kr_new(path);
	int rc;

	if (!kr)
		return -ENOMEM;
	rc = keyring_add(kr, id, NULL);
	if (!rc)
		rc = kr_write(kr, path, true);
	if (rc) {
		if (rc != -EEXIST)
			log_error(LOGC, "Cannot create the key file %s: %s",
				  path, strerror(-rc));
		keyring_free(kr);
		return rc;
	}
	*out = kr;
	return 0;
}

/* --- accessors and edits -------------------------------------------------- */

const char *keyring_path(const struct keyring *kr)
{
	return kr->path;
}
size_t keyring_count(const struct keyring *kr)
{
	return kr->count;
}
const char *keyring_id_at(const struct keyring *kr, size_t i)
{
	return i < kr->count ? kr->keys[i].id : NULL;
}
bool keyring_has(const struct keyring *kr, const char *id)
{
	return kr_find(kr, id) != NULL;
}
const char *keyring_current(const struct keyring *kr)
{
	return kr->keys[kr->current].id;
}

static void kr_auto_id(const struct keyring *kr, char out[KEYRING_ID_MAX + 1])
{
	unsigned long max = 0;

	for (size_t i = 0; i < kr->count; i++) {
		const char *id = kr->keys[i].id;
		char *end;
		unsigned long n;
		if (id[0] != 'k' || id[1] < '0' || id[1] > '9')
			continue;
		n = strtoul(id + 1, &end, 10);
		if (*end == '\0' && n > max)
			max = n;
	}
	snprintf(out, KEYRING_ID_MAX + 1, "k%lu", max + 1);
}

int keyring_add(struct keyring *kr, const char *id, const char **new_id)
{
	char auto_id[KEYRING_ID_MAX + 1];
	uint8_t *slot;
	int rc;

	if (!id) {
		kr_auto_id(kr, auto_id);
		id = auto_id;
	}
	if (!keyring_id_valid(id))
		return -EINVAL;
	if (kr_find(kr, id))
		return -EEXIST;
	slot = kr_push(kr, id);
	if (!slot)
		return -ENOMEM;
	rc = seal_random(slot, KEYRING_KEY_LEN);
	if (rc) {
		kr->count--;
		CRYPTO_secure_clear_free(slot, KEYRING_KEY_LEN, __FILE__,
					 __LINE__);
		return rc;
	}
	kr->current = kr->count - 1;
	if (new_id)
		*new_id = kr->keys[kr->current].id;
	return 0;
}

int keyring_remove(struct keyring *kr, const char *id)
{
	struct kr_key *k = kr_find(kr, id);
	size_t i;

	if (!k)
		return -ENOENT;
	i = (size_t)(k - kr->keys);
	if (i == kr->current)
		return -EBUSY;
	CRYPTO_secure_clear_free(k->key, KEYRING_KEY_LEN, __FILE__, __LINE__);
	memmove(k, k + 1, (kr->count - i - 1) * sizeof(*k));
	kr->count--;
	if (kr->current > i)
		kr->current--;
	return 0;
}

/* --- wrapping ------------------------------------------------------------- */

int keyring_wrap(const struct keyring *kr, const char *id, const uint8_t *aad,
		 size_t aad_len, const uint8_t dek[32], uint8_t nonce[12],
		 uint8_t wrapped[32], uint8_t tag[16], const char **used_id)
{
	const struct kr_key *k = id ? kr_find(kr, id) : &kr->keys[kr->current];
	int rc;

	if (!k)
		return -ENOKEY;
	rc = seal_random(nonce, SEAL_NONCE_LEN);
	if (!rc)
		rc = seal_gcm(true, k->key, nonce, aad, aad_len, dek,
			      SEAL_KEY_LEN, wrapped, tag);
	if (!rc && used_id)
		*used_id = k->id;
	return rc;
}

int keyring_unwrap(const struct keyring *kr, const char *id, const uint8_t *aad,
		   size_t aad_len, const uint8_t nonce[12],
		   const uint8_t wrapped[32], const uint8_t tag[16],
		   uint8_t dek[32])
{
	const struct kr_key *k = kr_find(kr, id);
	uint8_t t[SEAL_TAG_LEN];

	if (!k)
		return -ENOKEY;
	memcpy(t, tag, sizeof(t));
	return seal_gcm(false, k->key, nonce, aad, aad_len, wrapped,
			SEAL_KEY_LEN, dek, t)
		   ? -EBADMSG
		   : 0;
}

/* --- binding to a data directory ------------------------------------------ */

static void kr_check_aad(const char *id, uint8_t *aad, size_t *len)
{
	static const char tag[] = "sealog key check v1";

	memcpy(aad, tag, sizeof(tag));
	memcpy(aad + sizeof(tag), id, strlen(id));
	*len = sizeof(tag) + strlen(id);
}

/* Verify one "id noncehex taghex" line when the keyring holds id. */
static int kr_check_line(const struct keyring *kr, char *line, const char *dir,
			 bool *seen)
{
	char *sp = strchr(line, ' ');
	uint8_t nt[SEAL_NONCE_LEN + SEAL_TAG_LEN], aad[64 + KEYRING_ID_MAX];
	const struct kr_key *k;
	size_t alen;

	if (!sp || hex_decode(sp + 1, strlen(sp + 1), nt, sizeof(nt))) {
		log_error(LOGC, "%s/%s is malformed", dir, KR_CHECK_FILE);
		return -EINVAL;
	}
	*sp = '\0';
	k = kr_find(kr, line);
	if (!k)
		return 0;
	seen[k - kr->keys] = true;
	kr_check_aad(k->id, aad, &alen);
	if (seal_gcm(false, k->key, nt, aad, alen, NULL, 0, NULL,
		     nt + SEAL_NONCE_LEN)) {
		log_error(LOGC,
			  "Key id %s in %s is not the key this data "
			  "directory (%s) was written with; refusing to "
			  "start",
			  k->id, kr->path, dir);
		return -EKEYREJECTED;
	}
	return 0;
}

static int kr_check_add(const struct kr_key *k, struct buf *out)
{
	uint8_t nt[SEAL_NONCE_LEN + SEAL_TAG_LEN], aad[64 + KEYRING_ID_MAX];
	char hex[2 * sizeof(nt) + 1];
	size_t alen;
	int rc;

	kr_check_aad(k->id, aad, &alen);
	rc = seal_random(nt, SEAL_NONCE_LEN);
	if (!rc)
		rc = seal_gcm(true, k->key, nt, aad, alen, NULL, 0, NULL,
			      nt + SEAL_NONCE_LEN);
	if (rc)
		return rc;
	hex_encode(nt, sizeof(nt), hex);
	buf_append(out, k->id, strlen(k->id));
	buf_append(out, " ", 1);
	buf_append(out, hex, strlen(hex));
	buf_append(out, "\n", 1);
	return out->err;
}

int keyring_check_dir(const struct keyring *kr, int dirfd, const char *dir)
{
	bool *seen = calloc(kr->count + 1, sizeof(bool));
	uint8_t *text = NULL;
	char *save = NULL, *line;
	size_t len = 0;
	struct buf out;
	int rc;

	buf_init(&out, 0);
	rc = seen ? futil_read(dirfd, KR_CHECK_FILE, KR_FILE_MAX, &text, &len)
		  : -ENOMEM;
	if (rc == -ENOENT)
		rc = 0;
	if (text)
		buf_append(&out, text, len);
	if (len && text[len - 1] != '\n')
		buf_append(&out, "\n", 1);
	for (line = text ? strtok_r((char *)text, "\n", &save) : NULL;
	     line && !rc; line = strtok_r(NULL, "\n", &save))
		rc = kr_check_line(kr, line, dir, seen);
	for (size_t i = 0; i < kr->count && !rc; i++)
		if (!seen[i])
			rc = kr_check_add(&kr->keys[i], &out);
	if (!rc && out.len != len)
		rc = futil_replace(dirfd, KR_CHECK_FILE, out.data, out.len,
				   0600);
	buf_fini(&out);
	free(text);
	free(seen);
	return rc;
}
