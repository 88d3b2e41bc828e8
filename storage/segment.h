/* segment.h - one segment of a partition log: files, index, scanner.
 *
 * Files of segment <base> (20-digit zero-padded base offset, Kafka names):
 *   <base>.log        sealed frames (seal.h); a sealed segment ends with a
 *                     footer frame
 *   <base>.dek        the data key, wrapped by a KEK (seal.h)
 *   <base>.index      sparse offset index  } caches, rebuilt from the log
 *   <base>.timeindex  sparse time index    } when missing or damaged
 *
 * Index files: 32-byte header { magic "SLIX"/"SLTX", u32 version 1,
 * i64 base offset, u64 data length of the .log they describe, u32 entry
 * count, u32 CRC-32C of header bytes 0..27 and the entries }, then entries
 * { u32 relative offset, u32 position } or { i64 timestamp, u32 relative
 * offset }. A file that fails any check is ignored and rebuilt.
 *
 * Internal to storage/ and its tools. Thread: the owner of the segment.
 */
#ifndef SEALOG_STORAGE_SEGMENT_H
#define SEALOG_STORAGE_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "storage/keyring.h"
#include "storage/seal.h"

struct sfile;

struct seg_ient {
	uint32_t rel; /* batch base offset - segment base */
	uint32_t pos; /* byte position of the frame */
};

struct seg_tent {
	int64_t ts; /* largest max timestamp up to and including rel */
	uint32_t rel;
};

struct segment {
	int64_t base;
	int64_t next;	   /* one past the last offset; base when empty */
	uint64_t data_len; /* end of the last batch frame */
	uint32_t frames;
	int64_t max_ts, max_ts_offset;
	bool sealed;   /* a footer follows data_len */
	bool writer;   /* created by this process: appendable */
	bool ix_ready; /* the in-memory index covers every frame */
	char key_id[KEYRING_ID_MAX + 1];
	uint8_t *dek; /* SEAL_KEY_LEN bytes, secure heap */
	struct sfile *log;
	struct sfile *dekf; /* writer: the sidecar, until closed */
	struct seg_ient *oi;
	size_t oi_count, oi_cap;
	struct seg_tent *ti;
	size_t ti_count, ti_cap;
	uint64_t ix_since;  /* bytes since the last index entry */
	int64_t ix_ts;	    /* timestamp of the last time entry */
	EVP_MD_CTX *digest; /* SHA-256 over batch tags, while unsealed */
	/* writer only */
	uint8_t nonce[SEAL_NONCE_LEN];
	uint32_t enc_count;
	int64_t created_ms;
};

/* "%020lld.<ext>" into out[32]. */
void seg_name(char out[32], int64_t base, const char *ext);
/* Parse "<20 digits>.<ext>": returns the extension or NULL. */
const char *seg_name_parse(const char *name, int64_t *base);

struct segment *seg_new(int64_t base);
/* Wipes the DEK, closes (unrefs) the files. NULL is a no-op. */
void seg_free(struct segment *s);
/* Start the digest (fresh segment, or before a full scan). 0 / -ENOMEM. */
int seg_digest_begin(struct segment *s);
void seg_digest_add(struct segment *s, const uint8_t tag[SEAL_TAG_LEN]);
void seg_digest_final(struct segment *s, uint8_t out[32]);

/* Account one batch frame at pos: size, frames, next, max timestamp and
 * (every interval bytes) index entries. ENOMEM leaves the index sparser
 * (it is a cache), never wrong. */
void seg_account(struct segment *s, const struct seal_hdr *h, uint64_t pos,
		 int32_t interval);
/* Drop index entries at or beyond byte position pos (truncation). */
void seg_index_cut(struct segment *s, uint64_t pos);
/* Position to start scanning for offset (<= its frame's position). */
uint64_t seg_index_lookup(const struct segment *s, int64_t offset);
/* Offset from which every earlier batch has max timestamp < ts. */
int64_t seg_time_lookup(const struct segment *s, int64_t ts);
/* Write .index and .timeindex (plain write, no fsync: they are caches). */
int seg_index_save(const struct segment *s, int dirfd);
/* Load both files; 0, or -ENOENT/-EBADMSG (then rebuild). */
int seg_index_load(struct segment *s, int dirfd);
void seg_index_reset(struct segment *s);

/* --- scanning ------------------------------------------------------------- */

/* Called for every good batch: raw header, decoded header, plaintext
 * batch (valid until the next call) and tag. Non-zero stops the scan
 * and becomes its err. */
typedef int (*seg_frame_fn)(void *ctx, uint64_t pos, const struct seal_hdr *h,
			    const uint8_t *pt, const uint8_t *tag);

struct seg_scan {
	/* in */
	int fd;
	const uint8_t *dek;
	struct seal_id id; /* seg_base = the segment's base offset */
	EVP_CIPHER_CTX *dec;
	uint64_t end; /* bytes to scan: the file size */
	seg_frame_fn fn;
	void *ctx;
	/* out */
	uint64_t good_end; /* end of the last good batch frame */
	int64_t next;	   /* offset after it */
	uint32_t frames;
	int64_t max_ts, max_ts_offset;
	bool footer; /* stopped at an authentic footer at good_end
		      * that is the last frame of the file */
	struct seal_footer f;
	int err; /* 0; -EBADMSG bad frame at good_end (why);
		  * -EIO, -ENOMEM; or the callback's value */
	const char *why;
};

/* Read the whole range from byte 0, authenticating and checking every
 * frame (tag, CRC-32C, header agreement, contiguous offsets from
 * id.seg_base). Stops at the first problem. Returns s->err. */
int seg_scan_run(struct seg_scan *s);

/* Read and authenticate the footer that would end a file of file_len
 * bytes. 0 with *f; -ENODATA when the tail is not a footer frame at all,
 * -EBADMSG when it claims to be one but fails authentication. */
int seg_footer_read(int fd, const uint8_t *dek, const struct seal_id *id,
		    EVP_CIPHER_CTX *dec, uint64_t file_len,
		    struct seal_footer *f);

#endif
