/* authz_config.c - the authorizer's Kafka configuration keys (see
 * authz.h): authorizer.class.name, super.users and
 * allow.everyone.if.no.acl.found, with Kafka's parsing and our messages
 * naming the key.
 */
#include "auth/authz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const authorizer_classes[] = {
    "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
    "kafka.security.authorizer.AclAuthorizer",
    "kafka.security.auth.SimpleAclAuthorizer",
};

/* s trimmed (Java's trim: bytes <= ' ') into a malloc'd copy. */
static char *trim_dup(const char *s, size_t len)
{
	char *out;

	while (len && (unsigned char)*s <= ' ') {
		s++;
		len--;
	}
	while (len && (unsigned char)s[len - 1] <= ' ')
		len--;
	out = malloc(len + 1);
	if (out) {
		memcpy(out, s, len);
		out[len] = '\0';
	}
	return out;
}

static int cfg_class(struct authz_config *c, const char *v, char *err,
		     size_t errlen)
{
	char *t = trim_dup(v ? v : "", v ? strlen(v) : 0);

	if (!t)
		return -ENOMEM;
	c->enabled = false;
	for (size_t i = 0; t[0] && i < 3 && !c->enabled; i++)
		c->enabled = strcmp(t, authorizer_classes[i]) == 0;
	if (t[0] && !c->enabled) {
		snprintf(
		    err, errlen,
		    "Invalid value %s for configuration authorizer.class.name: "
		    "only Kafka's ACL authorizer is available (%s, %s or %s)",
		    t, authorizer_classes[0], authorizer_classes[1],
		    authorizer_classes[2]);
		free(t);
		return -EINVAL;
	}
	free(t);
	return 0;
}

static int cfg_super_one(struct authz_config *c, const char *s, size_t len,
			 char *err, size_t errlen)
{
	char *t = trim_dup(s, len), **grown;
	const char *colon;

	if (!t)
		return -ENOMEM;
	if (!t[0]) {
		free(t);
		return 0;
	}
	colon = strchr(t, ':');
	if (!colon || colon == t) {
		snprintf(
		    err, errlen,
		    "Invalid value %s for configuration super.users: "
		    "expected a string in format principalType:principalName",
		    t);
		free(t);
		return -EINVAL;
	}
	grown = realloc(c->super_users, (c->super_count + 1) * sizeof(*grown));
	if (!grown) {
		free(t);
		return -ENOMEM;
	}
	c->super_users = grown;
	c->super_users[c->super_count++] = t;
	return 0;
}

static int cfg_super(struct authz_config *c, const char *v, char *err,
		     size_t errlen)
{
	int rc = 0;

	while (v && rc == 0) {
		const char *semi = strchr(v, ';');
		size_t len = semi ? (size_t)(semi - v) : strlen(v);
		rc = cfg_super_one(c, v, len, err, errlen);
		v = semi ? semi + 1 : NULL;
	}
	return rc;
}

static int cfg_allow(struct authz_config *c, const char *v, char *err,
		     size_t errlen)
{
	char *t;

	c->allow_if_no_acl = false;
	if (!v)
		return 0;
	t = trim_dup(v, strlen(v));
	if (!t)
		return -ENOMEM;
	if (strcasecmp(t, "true") == 0 || strcasecmp(t, "false") == 0) {
		c->allow_if_no_acl = strcasecmp(t, "true") == 0;
		free(t);
		return 0;
	}
	snprintf(err, errlen,
		 "Invalid value %s for configuration "
		 "allow.everyone.if.no.acl.found: "
		 "Expected value to be either true or false",
		 t);
	free(t);
	return -EINVAL;
}

int authz_config_init(struct authz_config *c, const char *class_name,
		      const char *super_users, const char *allow_everyone,
		      char *err, size_t errlen)
{
	int rc;

	memset(c, 0, sizeof(*c));
	rc = cfg_class(c, class_name, err, errlen);
	if (!rc)
		rc = cfg_super(c, super_users, err, errlen);
	if (!rc)
		rc = cfg_allow(c, allow_everyone, err, errlen);
	if (rc) {
		authz_config_fini(c);
		if (rc == -ENOMEM)
			snprintf(err, errlen, "out of memory");
	}
	return rc;
}

void authz_config_fini(struct authz_config *c)
{
	for (size_t i = 0; i < c->super_count; i++)
		free(c->super_users[i]);
	free(c->super_users);
	memset(c, 0, sizeof(*c));
}

int authz_config_copy(struct authz_config *dst, const struct authz_config *src)
{
	*dst = *src;
	dst->super_users = NULL;
	dst->super_count = 0;
	if (!src->super_count)
		return 0;
	dst->super_users = calloc(src->super_count, sizeof(char *));
	if (!dst->super_users)
		return -ENOMEM;
	for (size_t i = 0; i < src->super_count; i++) {
		dst->super_users[i] = strdup(src->super_users[i]);
		if (!dst->super_users[i])
			return -ENOMEM; /* freed by authz_config_fini */
		dst->super_count++;
	}
	return 0;
}
