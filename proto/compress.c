/* compress.c - bounded, streaming decompression for Kafka's four codecs.
 *
 * Each decoder writes into out in chunks and checks the total against
 * max_out before every chunk, so memory stays bounded by max_out plus the
 * codec's own state (zstd's window is capped at 16 MiB, more than any
 * Kafka client uses). Inputs must be consumed exactly: trailing bytes
 * that are not another frame of the same codec are malformed.
 */
#include "proto/compress.h"

#include <errno.h>
#include <string.h>

#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#define CHUNK (64u << 10)
#define ZSTD_WINDOW_LOG_MAX 24

/* Room for the next chunk: at most CHUNK bytes, and at most one byte past
 * the budget, so that exceeding it is seen. NULL on ENOMEM. */
static uint8_t *out_room(struct buf *out, size_t start, size_t max_out,
			 size_t *room)
{
	size_t used = out->len - start;
	size_t left = max_out - used + 1;

	*room = left < CHUNK ? left : CHUNK;
	return buf_reserve(out, *room);
}

static int over_budget(const struct buf *out, size_t start, size_t max_out)
{
	return out->len - start > max_out ? -EMSGSIZE : 0;
}

/* --- gzip (zlib) -------------------------------------------------------- */

static int gzip_member_next(const uint8_t *in, size_t left)
{
	return left >= 2 && in[0] == 0x1f && in[1] == 0x8b;
}

static int gunzip(const uint8_t *in, size_t len, size_t max_out,
		  struct buf *out)
{
	size_t start = out->len;
	z_stream zs;
	int zr = Z_OK, rc = 0;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return -ENOMEM;
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)(len > UINT32_MAX ? UINT32_MAX : len);
	if (len > UINT32_MAX)
		rc = -EMSGSIZE;
	while (!rc) {
		size_t room;
		uint8_t *dst = out_room(out, start, max_out, &room);
		if (!dst) {
			rc = -ENOMEM;
			break;
		}
		zs.next_out = dst;
		zs.avail_out = (uInt)room;
		zr = inflate(&zs, Z_NO_FLUSH);
		out->len += room - zs.avail_out;
		if ((rc = over_budget(out, start, max_out)))
			break;
		if (zr == Z_STREAM_END) {
			if (zs.avail_in == 0)
				break;
			if (!gzip_member_next(zs.next_in, zs.avail_in)) {
				rc = -EBADMSG; /* trailing garbage */
				break;
			}
			inflateReset(&zs);
			continue;
		}
		if (zr != Z_OK || (zs.avail_in == 0 && zs.avail_out != 0))
			rc = -EBADMSG; /* corrupt, or truncated */
	}
	inflateEnd(&zs);
	return rc;
}

/* --- snappy (raw, or xerial framing) ------------------------------------- */

static const uint8_t xerial_magic[8] = { 0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0 };

static int snappy_block(const uint8_t *in, size_t len, size_t start,
			size_t max_out, struct buf *out)
{
	size_t ulen;
	uint8_t *dst;

	if (snappy_uncompressed_length((const char *)in, len, &ulen) != SNAPPY_OK)
		return -EBADMSG;
	if (ulen > max_out - (out->len - start))
		return -EMSGSIZE;
	dst = buf_reserve(out, ulen + 1);
	if (!dst)
		return -ENOMEM;
	if (snappy_uncompress((const char *)in, len, (char *)dst, &ulen) !=
	    SNAPPY_OK)
		return -EBADMSG;
	out->len += ulen;
	return 0;
}

static int unsnappy(const uint8_t *in, size_t len, size_t max_out,
		    struct buf *out)
{
	size_t start = out->len, off = 16;

	if (len < 16 || memcmp(in, xerial_magic, 8) != 0)
		return snappy_block(in, len, start, max_out, out);
	/* xerial: 16-byte header, then [be32 length][raw block] ... */
	while (off < len) {
		uint32_t n;
		int rc;
		if (len - off < 4)
			return -EBADMSG;
		n = (uint32_t)in[off] << 24 | (uint32_t)in[off + 1] << 16 |
		    (uint32_t)in[off + 2] << 8 | in[off + 3];
		off += 4;
		if (n > len - off)
			return -EBADMSG;
		rc = snappy_block(in + off, n, start, max_out, out);
		if (rc)
			return rc;
		off += n;
	}
	return 0;
}

/* --- lz4 frame ------------------------------------------------------------ */

static int unlz4(const uint8_t *in, size_t len, size_t max_out,
		 struct buf *out)
{
	LZ4F_dctx *dctx;
	size_t start = out->len, off = 0, hint = 1;
	int rc = 0;

	if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)))
		return -ENOMEM;
	while (!rc && off < len) {
		size_t room, src = len - off;
		uint8_t *dst = out_room(out, start, max_out, &room);
		if (!dst) {
			rc = -ENOMEM;
			break;
		}
		hint = LZ4F_decompress(dctx, dst, &room, in + off, &src, NULL);
		if (LZ4F_isError(hint)) {
			rc = -EBADMSG;
			break;
		}
		off += src;
		out->len += room;
		rc = over_budget(out, start, max_out);
		if (!rc && src == 0 && room == 0)
			rc = -EBADMSG; /* no progress */
	}
	if (!rc && hint != 0)
		rc = -EBADMSG; /* input ended inside a frame */
	LZ4F_freeDecompressionContext(dctx);
	return rc;
}

/* --- zstd ------------------------------------------------------------------ */

/* A regular zstd frame without a dictionary; skippable frames and
 * dictionaries are refused (reliability.md C6). */
static int zstd_frame_ok(const uint8_t *in, size_t left)
{
	if (left < 4)
		return 0;
	if (((uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 |
	     (uint32_t)in[3] << 24) != ZSTD_MAGICNUMBER)
		return 0;
	return ZSTD_getDictID_fromFrame(in, left) == 0;
}

static int unzstd(const uint8_t *in, size_t len, size_t max_out,
		  struct buf *out)
{
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	ZSTD_inBuffer ib = { in, len, 0 };
	size_t start = out->len, ret = 1;
	int rc = 0;

	if (!dctx)
		return -ENOMEM;
	if (ZSTD_isError(ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax,
						ZSTD_WINDOW_LOG_MAX)))
		rc = -ENOMEM;
	while (!rc && ib.pos < ib.size) {
		size_t room;
		uint8_t *dst;
		ZSTD_outBuffer ob;
		if (ret == 0 || ib.pos == 0) {
			if (!zstd_frame_ok((const uint8_t *)ib.src + ib.pos,
					   ib.size - ib.pos)) {
				rc = -EBADMSG;
				break;
			}
		}
		dst = out_room(out, start, max_out, &room);
		if (!dst) {
			rc = -ENOMEM;
			break;
		}
		ob.dst = dst;
		ob.size = room;
		ob.pos = 0;
		ret = ZSTD_decompressStream(dctx, &ob, &ib);
		if (ZSTD_isError(ret)) {
			rc = -EBADMSG;
			break;
		}
		out->len += ob.pos;
		rc = over_budget(out, start, max_out);
	}
	/* Output still buffered inside the decoder, or a truncated frame. */
	while (!rc && ret != 0) {
		size_t room;
		uint8_t *dst = out_room(out, start, max_out, &room);
		ZSTD_outBuffer ob = { dst, room, 0 };
		if (!dst) {
			rc = -ENOMEM;
			break;
		}
		ret = ZSTD_decompressStream(dctx, &ob, &ib);
		if (ZSTD_isError(ret) || ob.pos == 0) {
			rc = -EBADMSG;
			break;
		}
		out->len += ob.pos;
		rc = over_budget(out, start, max_out);
	}
	ZSTD_freeDCtx(dctx);
	return rc;
}

int kp_decompress(int codec, const uint8_t *in, size_t len, size_t max_out,
		  struct buf *out)
{
	if (!in && len)
		return -EBADMSG;
	switch (codec) {
	case KP_CODEC_GZIP:
		return gunzip(in, len, max_out, out);
	case KP_CODEC_SNAPPY:
		return unsnappy(in, len, max_out, out);
	case KP_CODEC_LZ4:
		return unlz4(in, len, max_out, out);
	case KP_CODEC_ZSTD:
		return unzstd(in, len, max_out, out);
	default:
		return -ENOTSUP;
	}
}
