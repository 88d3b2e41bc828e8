/* scram_spec.c - kafka-storage's --add-scram syntax (see scram_spec.h). */
#include "auth/scram_spec.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

struct spec_parse {
	const char *p, *end;
	char *err;
	size_t errlen;
	char val[4 * SCRAM_SALT_MAX]; /* one value; may be a secret */
	size_t val_len;
};

static int fail(struct spec_parse *sp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(struct spec_parse *sp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sp->err, sp->errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A value: quoted, or up to the next ',' or ']'. */
static int value_read(struct spec_parse *sp, const char *key)
{
	bool quoted = sp->p < sp->end && *sp->p == '"';

	sp->val_len = 0;
	if (quoted)
		sp->p++;
	while (sp->p < sp->end) {
		char c = *sp->p;
		if (quoted && c == '"')
			break;
		if (!quoted && (c == ',' || c == ']'))
			break;
		if (quoted && c == '\\' && sp->end - sp->p > 1)
			c = *++sp->p;
		if (sp->val_len + 1 >= sizeof(sp->val))
			return fail(sp, "the value of %s is too long", key);
		sp->val[sp->val_len++] = c;
		sp->p++;
	}
	if (quoted) {
		if (sp->p == sp->end)
			return fail(sp, "unterminated quoted value of %s", key);
		sp->p++;
	}
	sp->val[sp->val_len] = '\0';
	return 0;
}

static int set_b64(struct spec_parse *sp, const char *key, uint8_t *out,
		   size_t cap, size_t *len, bool *have)
{
	int n = scram_b64_decode(sp->val, sp->val_len, out, cap);

	if (*have)
		return fail(sp, "%s given twice", key);
	if (n <= 0)
		return fail(sp,
			    "%s must be non-empty base64 of at most %zu bytes",
			    key, cap);
	*len = (size_t)n;
	*have = true;
	return 0;
}

static int set_key(struct spec_parse *sp, struct scram_spec *s, const char *key,
		   bool *seen_name, bool *seen_iter)
{
	if (strcmp(key, "name") == 0) {
		if (*seen_name || !scram_user_valid(sp->val, sp->val_len))
			return fail(
			    sp,
			    "name must be given once, 1 to %d bytes of UTF-8",
			    SCRAM_USER_MAX);
		memcpy(s->name, sp->val, sp->val_len + 1);
		*seen_name = true;
	} else if (strcmp(key, "password") == 0) {
		if (s->have_password || !sp->val_len ||
		    sp->val_len > SCRAM_SPEC_PW_MAX)
			return fail(
			    sp, "password must be given once, 1 to %d bytes",
			    SCRAM_SPEC_PW_MAX);
		memcpy(s->password, sp->val, sp->val_len + 1);
		s->password_len = sp->val_len;
		s->have_password = true;
	} else if (strcmp(key, "iterations") == 0) {
		char *endp;
		long v = strtol(sp->val, &endp, 10);
		if (*seen_iter || !sp->val_len || *endp || v < SCRAM_ITER_MIN ||
		    v > SCRAM_ITER_MAX)
			return fail(sp,
				    "iterations must be given once, %d to %d",
				    SCRAM_ITER_MIN, SCRAM_ITER_MAX);
		s->iterations = (int32_t)v;
		*seen_iter = true;
	} else if (strcmp(key, "salt") == 0) {
		return set_b64(sp, key, s->salt, sizeof(s->salt), &s->salt_len,
			       &s->have_salt);
	} else if (strcmp(key, "saltedpassword") == 0) {
		return set_b64(sp, key, s->salted, sizeof(s->salted),
			       &s->salted_len, &s->have_salted);
	} else {
		return fail(sp,
			    "unknown key %s (name, password, iterations, salt, "
			    "saltedpassword)",
			    key);
	}
	return 0;
}

/* key=value[,key=value]... ']' */
static int pairs_read(struct spec_parse *sp, struct scram_spec *s)
{
	bool seen_name = false, seen_iter = false;
	char key[32];
	int rc;

	for (;;) {
		size_t k = 0;
		while (sp->p < sp->end && *sp->p != '=' && k + 1 < sizeof(key))
			key[k++] = *sp->p++;
		key[k] = '\0';
		if (sp->p == sp->end || *sp->p != '=')
			return fail(sp, "expected key=value inside [...]");
		sp->p++;
		if ((rc = value_read(sp, key)) != 0 ||
		    (rc = set_key(sp, s, key, &seen_name, &seen_iter)) != 0)
			return rc;
		if (sp->p < sp->end && *sp->p == ',') {
			sp->p++;
			continue;
		}
		if (sp->p < sp->end && *sp->p == ']' && sp->p + 1 == sp->end)
			break;
		return fail(sp, "expected ',' or a final ']' after %s", key);
	}
	if (!seen_name)
		return fail(sp, "name is required");
	return 0;
}

int scram_spec_parse(const char *text, struct scram_spec *out, char *err,
		     size_t errlen)
{
	struct spec_parse sp = {.p = text,
				.end = text + strlen(text),
				.err = err,
				.errlen = errlen};
	const char *eq = strchr(text, '=');
	char mech[32];
	int rc;

	scram_spec_wipe(out);
	out->iterations = SCRAM_ITER_DEFAULT;
	if (!eq || (size_t)(eq - text) >= sizeof(mech))
		return fail(&sp, "expected MECHANISM=[...]");
	memcpy(mech, text, (size_t)(eq - text));
	mech[eq - text] = '\0';
	if (scram_mech_parse(mech, &out->mech))
		return fail(
		    &sp,
		    "unknown SCRAM mechanism %s (SCRAM-SHA-256, SCRAM-SHA-512)",
		    mech);
	sp.p = eq + 1;
	if (sp.p == sp.end || *sp.p++ != '[')
		return fail(&sp, "expected '[' after %s=", mech);
	rc = pairs_read(&sp, out);
	if (!rc && out->have_password == out->have_salted)
		rc = fail(&sp,
			  "give exactly one of password and saltedpassword");
	if (!rc && out->have_salted && !out->have_salt)
		rc = fail(&sp, "saltedpassword needs salt");
	if (!rc && out->have_salted &&
	    out->salted_len != scram_mech_key_len(out->mech))
		rc = fail(&sp, "saltedpassword must be %zu bytes for %s",
			  scram_mech_key_len(out->mech), mech);
	OPENSSL_cleanse(sp.val, sizeof(sp.val));
	if (rc)
		scram_spec_wipe(out);
	return rc;
}

int scram_spec_cred(const struct scram_spec *s, struct scram_cred *out)
{
	if (s->have_salted)
		return scram_cred_from_salted(s->mech, s->salted, s->salted_len,
					      s->salt, s->salt_len,
					      s->iterations, out);
	return scram_cred_from_password(s->mech, s->password, s->password_len,
					s->have_salt ? s->salt : NULL,
					s->salt_len, s->iterations, out);
}

void scram_spec_wipe(struct scram_spec *s)
{
	OPENSSL_cleanse(s, sizeof(*s));
}
