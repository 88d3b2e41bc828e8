/* seal.h - the on-disk crypto format: sealed frames, footers, data keys.
 *
 * Frame (one per Kafka v2 record batch, and one footer per sealed
 * segment), every integer big-endian:
 *
 *   0  u32 magic "SLGF"        12 i64 base offset       32 nonce[12]
 *   4  u8  version (1)         20 i32 last offset delta 44 ciphertext[len]
 *   5  u8  type (1 batch, 2 footer)                     .. tag[16]
 *   6  u16 reserved (0)        24 i64 max timestamp
 *   8  u32 len (plaintext bytes)
 *
 * The 44-byte header is in the clear (offsets and timestamps are not
 * secret, see storage/README.md) and authenticated: AAD = header ||
 * topic id (16) || partition (4) || segment base offset (8). A frame moved
 * to another offset, segment, partition or topic fails its tag.
 *
 * Data key sidecar <base>.dek: "SLDK", version, key id length, 0, key id,
 * topic id, partition, segment base, then nonce[12] wrapped-DEK[32]
 * tag[16]: the DEK wrapped by the KEK `key id` with AAD = every byte
 * before the nonce.
 *
 * Nonces: a 96-bit big-endian counter from a random start per DEK
 * (seal_nonce_next), never derived from offsets.
 * Thread: pure functions over caller-owned state; any thread.
 */
#ifndef SEALOG_STORAGE_SEAL_H
#define SEALOG_STORAGE_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "storage/keyring.h"

#define SEAL_MAGIC 0x534c4746u /* "SLGF" */
#define SEAL_VERSION 1
#define SEAL_HDR_LEN 44
#define SEAL_TAG_LEN 16
#define SEAL_NONCE_LEN 12
#define SEAL_KEY_LEN 32
#define SEAL_OVERHEAD (SEAL_HDR_LEN + SEAL_TAG_LEN)
#define SEAL_BATCH_MIN 61	    /* v2 batch header */
#define SEAL_BATCH_MAX (128u << 20) /* largest batch we store or read */
#define SEAL_FOOTER_LEN 80
#define SEAL_FOOTER_FRAME (SEAL_OVERHEAD + SEAL_FOOTER_LEN)
#define SEAL_AAD_LEN (SEAL_HDR_LEN + 28)
#define SEAL_DEK_MAGIC 0x534c444bu /* "SLDK" */
#define SEAL_DEK_MAX (8 + KEYRING_ID_MAX + 28 + 60)

enum seal_type { SEAL_BATCH = 1, SEAL_FOOTER = 2 };

struct seal_hdr {
	uint8_t type;
	uint32_t len;
	int64_t base_offset;
	int32_t last_delta;
	int64_t max_ts;
	uint8_t nonce[SEAL_NONCE_LEN];
};

/* Where a frame belongs: bound into every AAD. */
struct seal_id {
	uint8_t topic_id[16];
	int32_t partition;
	int64_t seg_base;
};

/* A sealed segment's last frame. */
struct seal_footer {
	uint32_t frames;
	int64_t base, next;	       /* first offset, one past the last */
	uint64_t data_len;	       /* bytes of frames before the footer */
	int64_t max_ts, max_ts_offset; /* largest batch max timestamp, and the
					* base offset of its first batch */
	uint8_t digest[32]; /* SHA-256 over the tags of every batch frame */
};

/* --- primitives ----------------------------------------------------------- */

/* RAND_bytes; -EIO (logged) when the CSPRNG fails: callers fail closed. */
int seal_random(void *p, size_t len);

/* One-shot AES-256-GCM. encrypt: out = E(in), tag written; decrypt: out =
 * D(in) and tag checked (-EBADMSG, out wiped). in and out may alias. */
int seal_gcm(bool encrypt, const uint8_t key[32], const uint8_t nonce[12],
	     const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
	     uint8_t *out, uint8_t tag[16]);

/* Add one to a big-endian 96-bit counter (wrapping). */
void seal_nonce_next(uint8_t nonce[12]);

/* --- frames --------------------------------------------------------------- */

void seal_hdr_encode(const struct seal_hdr *h, uint8_t out[SEAL_HDR_LEN]);
/* -EBADMSG on bad magic, version, type, reserved bits or length bounds. */
int seal_hdr_decode(const uint8_t in[SEAL_HDR_LEN], struct seal_hdr *h);
static inline uint64_t seal_frame_len(const struct seal_hdr *h)
{
	return (uint64_t)h->len + SEAL_OVERHEAD;
}

/* A context per direction, reused across frames. enc: the key is set once
 * (seal_ctx_key); dec: the key is given per frame. NULL on ENOMEM. */
EVP_CIPHER_CTX *seal_ctx_new(bool encrypt);
int seal_ctx_key(EVP_CIPHER_CTX *c, const uint8_t key[32]);

/* Seal pt[h->len] into frame[seal_frame_len(h)] (header, ciphertext, tag)
 * with the context's key and h->nonce. 0 or -EIO. */
int seal_frame_encrypt(EVP_CIPHER_CTX *c, const struct seal_id *id,
		       const struct seal_hdr *h, const uint8_t *pt,
		       uint8_t *frame);

/* Authenticate and decrypt in place: hdr is the raw header, body holds
 * ciphertext[h->len] followed by the tag. On success body[0..len) is the
 * plaintext; on failure it is wiped and -EBADMSG returned. */
int seal_frame_decrypt(EVP_CIPHER_CTX *c, const uint8_t key[32],
		       const struct seal_id *id, const uint8_t *hdr,
		       const struct seal_hdr *h, uint8_t *body);

/* Check a decrypted batch against its header: length, base offset, last
 * offset delta, max timestamp, magic 2 and CRC-32C. 0 or -EBADMSG with
 * *why set. */
int seal_batch_check(const struct seal_hdr *h, const uint8_t *pt,
		     const char **why);

void seal_footer_encode(const struct seal_footer *f,
			uint8_t out[SEAL_FOOTER_LEN]);
int seal_footer_decode(const uint8_t in[SEAL_FOOTER_LEN],
		       struct seal_footer *f);

/* Bench only: replace the cipher by a copy (tag zero, nothing checked)
 * to measure the cost of encryption. Not reachable from configuration. */
void seal_bench_null_cipher(bool on);

/* --- data key sidecars ---------------------------------------------------- */

/* Build a sidecar for dek, wrapped with the current KEK. out must hold
 * SEAL_DEK_MAX bytes. 0, -EIO. */
int seal_dek_wrap(const struct keyring *kr, const struct seal_id *id,
		  const uint8_t dek[32], uint8_t *out, size_t *len);

/* Parse only: -ENODATA when the bytes cannot be a sidecar at all (empty,
 * short, zero-filled: what a crash mid-creation leaves), -EBADMSG when
 * malformed. key_id gets the id (NUL terminated), id the identity. */
int seal_dek_parse(const uint8_t *in, size_t len,
		   char key_id[KEYRING_ID_MAX + 1], struct seal_id *id);

/* Parse, check the identity equals want, unwrap into dek. -ENODATA,
 * -EBADMSG (malformed, misplaced, failed authentication), -ENOKEY. */
int seal_dek_unwrap(const struct keyring *kr, const struct seal_id *want,
		    const uint8_t *in, size_t len, uint8_t dek[32],
		    char key_id[KEYRING_ID_MAX + 1]);

/* Unwrap with whatever key id the sidecar names and wrap again with the
 * current key into out (SEAL_DEK_MAX). *changed is false when it already
 * uses the current key (out is then a copy). */
int seal_dek_rewrap(const struct keyring *kr, const uint8_t *in, size_t len,
		    uint8_t *out, size_t *out_len, bool *changed);

#endif
