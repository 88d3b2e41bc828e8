/* sasl_plain.c - PLAIN through Cyrus SASL (see sasl.h for the policy).
 *
 * Cyrus is configured entirely from here, never from a file: our
 * SASL_CB_GETOPT answers mech_list=PLAIN, pwcheck_method=auxprop,
 * auxprop_plugin=sealog and canon_user_plugin=sealog, so
 *  - the only mechanism used is PLAIN (the SCRAM plugin and others that
 *    Cyrus loads from its plugin directory stay unused);
 *  - the password check is our SASL_CB_SERVER_USERDB_CHECKPASS callback
 *    (authn_plain_check); when it says no, Cyrus falls back to the
 *    auxprop check, which finds nothing in our empty auxprop plugin, so
 *    no sasldb, saslauthd or system password file is ever consulted;
 *  - user names are copied byte for byte by our canon_user plugin (no
 *    trimming, no realm), must be valid UTF-8 without NUL, and at most
 *    SCRAM_USER_MAX bytes.
 * Cyrus's log lines go to our log at DEBUG (it logs no passwords).
 */
#include "auth/sasl.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

#include "auth/sasl_int.h"
#include "auth/scram.h"
#include "auth/scram_int.h"
#include "base/buf.h"
#include "base/log.h"

#define LOGC "sealog.sasl"
#define PLUGIN "sealog"
#define SERVICE "kafka"
/* Cyrus stores every callback as int (*)(void); the detour through
 * void (*)(void) is the cast C and gcc allow for that. */
#define CYRUS_CB(fn) ((sasl_callback_ft)(void (*)(void))(fn))

struct authn_plain {
	sasl_conn_t *conn;
	const struct authn *a;
	sasl_callback_t cbs[2];
	bool started;
};

/* --- global callbacks ----------------------------------------------------- */

static int cb_getopt(void *ctx, const char *plugin, const char *option,
		     const char **result, unsigned *len)
{
	static const char *const opts[][2] = {
	    {"mech_list", "PLAIN"},	{"pwcheck_method", "auxprop"},
	    {"auxprop_plugin", PLUGIN}, {"canon_user_plugin", PLUGIN},
	    {"log_level", "2"},
	};

	(void)ctx;
	(void)plugin;
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (strcmp(option, opts[i][0]) == 0) {
			*result = opts[i][1];
			if (len)
				*len = (unsigned)strlen(opts[i][1]);
			return SASL_OK;
		}
	return SASL_FAIL;
}

static int cb_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	if (level <= SASL_LOG_WARN)
		log_debug(LOGC, "cyrus: %s", msg);
	return SASL_OK;
}

static sasl_callback_t global_cbs[] = {
    {SASL_CB_GETOPT, CYRUS_CB(cb_getopt), NULL},
    {SASL_CB_LOG, CYRUS_CB(cb_log), NULL},
    {SASL_CB_LIST_END, NULL, NULL},
};

/* --- plugins -------------------------------------------------------------- */

static int cu_server(void *glob, sasl_server_params_t *sp, const char *user,
		     unsigned len, unsigned flags, char *out, unsigned out_max,
		     unsigned *out_len)
{
	(void)glob;
	(void)sp;
	(void)flags;
	if (!len)
		len = (unsigned)strlen(user);
	if (!len || len > SCRAM_USER_MAX || len >= out_max ||
	    !scram_utf8_valid((const uint8_t *)user, len))
		return SASL_BADPROT;
	memmove(out, user, len);
	out[len] = '\0';
	*out_len = len;
	return SASL_OK;
}

static sasl_canonuser_plug_t cu_plug = {
    .name = PLUGIN,
    .canon_user_server = cu_server,
};

static int cu_init(const sasl_utils_t *u, int max_version, int *out_version,
		   sasl_canonuser_plug_t **plug, const char *name)
{
	(void)u;
	(void)name;
	if (max_version < SASL_CANONUSER_PLUG_VERSION)
		return SASL_BADVERS;
	*out_version = SASL_CANONUSER_PLUG_VERSION;
	*plug = &cu_plug;
	return SASL_OK;
}

/* Finds nothing, successfully: the password check is our callback. */
static int aux_lookup(void *glob, sasl_server_params_t *sp, unsigned flags,
		      const char *user, unsigned len)
{
	(void)glob;
	(void)sp;
	(void)flags;
	(void)user;
	(void)len;
	return SASL_OK;
}

static sasl_auxprop_plug_t aux_plug = {
    .auxprop_lookup = aux_lookup,
    .name = PLUGIN,
};

static int aux_init(const sasl_utils_t *u, int max_version, int *out_version,
		    sasl_auxprop_plug_t **plug, const char *name)
{
	(void)u;
	(void)name;
	if (max_version < SASL_AUXPROP_PLUG_VERSION)
		return SASL_BADVERS;
	*out_version = SASL_AUXPROP_PLUG_VERSION;
	*plug = &aux_plug;
	return SASL_OK;
}

/* --- init ----------------------------------------------------------------- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;
static char init_err[256];

/* PLAIN must be offered by a connection with our settings. */
static int plain_available(void)
{
	sasl_conn_t *c = NULL;
	const char *list = NULL;
	int rc = sasl_server_new(SERVICE, NULL, NULL, NULL, NULL, NULL, 0, &c);

	if (rc == SASL_OK)
		rc = sasl_listmech(c, NULL, "", " ", "", &list, NULL, NULL);
	if (rc == SASL_OK && (!list || !strstr(list, "PLAIN")))
		rc = SASL_NOMECH;
	if (c)
		sasl_dispose(&c);
	return rc;
}

static void cyrus_init(void)
{
	int rc = sasl_server_init(global_cbs, "sealog");

	if (rc == SASL_OK)
		rc = sasl_canonuser_add_plugin(PLUGIN, cu_init);
	if (rc == SASL_OK)
		rc = sasl_auxprop_add_plugin(PLUGIN, aux_init);
	if (rc != SASL_OK) {
		snprintf(init_err, sizeof(init_err),
			 "Cyrus SASL initialisation failed: %s",
			 sasl_errstring(rc, NULL, NULL));
		init_rc = -EIO;
		return;
	}
	if (plain_available() != SASL_OK) {
		snprintf(init_err, sizeof(init_err),
			 "Cyrus SASL has no PLAIN mechanism (install its PLAIN "
			 "plugin, e.g. the libsasl2-modules package)");
		init_rc = -ENOTSUP;
	}
}

int authn_cyrus_init(char *err, size_t errlen)
{
	pthread_once(&init_once, cyrus_init);
	if (init_rc && err)
		snprintf(err, errlen, "%s", init_err);
	return init_rc;
}

/* --- one connection ------------------------------------------------------- */

static int cb_checkpass(sasl_conn_t *conn, void *ctx, const char *user,
			const char *pass, unsigned len, struct propctx *pc)
{
	const struct authn_plain *p = ctx;

	(void)conn;
	(void)pc;
	return authn_plain_check(p->a, user, pass, len) ? SASL_OK
							: SASL_BADAUTH;
}

int authn_plain_open(const struct authn *a, struct authn_plain **out)
{
	struct authn_plain *p;
	int rc = authn_cyrus_init(NULL, 0);

	*out = NULL;
	if (rc)
		return rc;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->a = a;
	p->cbs[0] = (sasl_callback_t){SASL_CB_SERVER_USERDB_CHECKPASS,
				      CYRUS_CB(cb_checkpass), p};
	p->cbs[1] = (sasl_callback_t){SASL_CB_LIST_END, NULL, NULL};
	rc = sasl_server_new(SERVICE, NULL, NULL, NULL, NULL, p->cbs, 0,
			     &p->conn);
	if (rc != SASL_OK) {
		free(p);
		return rc == SASL_NOMEM ? -ENOMEM : -EIO;
	}
	*out = p;
	return 0;
}

static int plain_result(struct authn_plain *p, int rc, char *user, size_t cap,
			char *reason, size_t rcap)
{
	const void *name = NULL;

	switch (rc) {
	case SASL_OK:
		if (sasl_getprop(p->conn, SASL_USERNAME, &name) != SASL_OK ||
		    !name || strlen(name) >= cap) {
			snprintf(reason, rcap, "no user name after PLAIN");
			return -EIO;
		}
		snprintf(user, cap, "%s", (const char *)name);
		return 0;
	case SASL_CONTINUE:
		return 1;
	case SASL_BADPROT:
		snprintf(reason, rcap, "malformed PLAIN message");
		return -EBADMSG;
	case SASL_NOMEM:
		snprintf(reason, rcap, "out of memory");
		return -ENOMEM;
	default:
		snprintf(reason, rcap,
			 "Authentication failed: Invalid username or password");
		return -EACCES;
	}
}

int authn_plain_step(struct authn_plain *p, const uint8_t *in, size_t len,
		     struct buf *out, char *user, size_t cap, char *reason,
		     size_t rcap)
{
	const char *reply = NULL;
	unsigned reply_len = 0;
	int rc;

	if (len > UINT32_MAX / 2) {
		snprintf(reason, rcap, "PLAIN message too long");
		return -EBADMSG;
	}
	if (!p->started) {
		p->started = true;
		rc = sasl_server_start(p->conn, "PLAIN", (const char *)in,
				       (unsigned)len, &reply, &reply_len);
	} else {
		rc = sasl_server_step(p->conn, (const char *)in, (unsigned)len,
				      &reply, &reply_len);
	}
	if ((rc == SASL_OK || rc == SASL_CONTINUE) && reply_len)
		buf_append(out, reply, reply_len);
	return plain_result(p, rc, user, cap, reason, rcap);
}

void authn_plain_close(struct authn_plain *p)
{
	if (!p)
		return;
	if (p->conn)
		sasl_dispose(&p->conn);
	free(p);
}
