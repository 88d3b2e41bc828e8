/* sasl_jaas.h - Java's JAAS login configuration, as Kafka reads it for
 * SASL: the property value form (sasl.jaas.config and its listener and
 * mechanism prefixed variants) and the file form
 * (-Djava.security.auth.login.config=<file> in KAFKA_OPTS).
 *
 *   property: <LoginModuleClass> <flag> key="value" key2=word ... ;
 *   file:     Name { <entry> ; <entry> ; } ;   Name2 { ... } ; ...
 *
 * Tokens follow java.io.StreamTokenizer as Kafka's JaasConfig and the
 * JDK's ConfigFile set it up: words of letters, digits, '.', '_', '-',
 * '$' and '*'; "quoted" values with \n \t \r \b \f \\ \" \' and octal
 * escapes, a line break inside quotes being an error; // and C comments.
 * flag is required, requisite, sufficient or optional (any case). Only
 * what Kafka's PLAIN server needs is interpreted (user_<name>="<pw>" of
 * PlainLoginModule entries); everything else is parsed and kept.
 *
 * Functions are named jaas_*: Cyrus SASL owns the sasl_* namespace.
 * Values may be passwords: every copy is wiped when freed, and errors
 * name the line, never a value.
 * Thread: a parsed configuration is immutable; any thread may read it.
 */
#ifndef SEALOG_AUTH_SASL_JAAS_H
#define SEALOG_AUTH_SASL_JAAS_H

#include <stddef.h>

#define JAAS_PLAIN_MODULE                                                      \
	"org.apache.kafka.common.security.plain.PlainLoginModule"
#define JAAS_FILE_MAX (1u << 20) /* larger files are refused */

struct jaas_option {
	char *key;
	char *value; /* may be a secret */
};

struct jaas_entry {
	char *module; /* login module class name */
	char *flag;   /* lower case */
	struct jaas_option *opts;
	size_t count;
};

struct jaas_section {
	char *name; /* NULL for a property value */
	struct jaas_entry *entries;
	size_t count;
};

struct jaas_config {
	struct jaas_section *sections;
	size_t count;
};

/* A property value: one section without a name, at least one entry.
 * 0 and *out, -EINVAL with err ("line N: ..."), -ENOMEM. */
int jaas_parse_property(const char *text, size_t len, struct jaas_config **out,
			char *err, size_t errlen);

/* A JAAS file's text: named sections. Same errors. */
int jaas_parse_file_text(const char *text, size_t len, struct jaas_config **out,
			 char *err, size_t errlen);

/* Read and parse path (at most JAAS_FILE_MAX bytes). 0, -errno of
 * open/read (-EFBIG when larger), or jaas_parse_file_text()'s errors; err
 * names the file. */
int jaas_load_file(const char *path, struct jaas_config **out, char *err,
		   size_t errlen);

/* Wipe every value, free. NULL is a no-op. */
void jaas_free(struct jaas_config *c);

/* The section called name (exact), or NULL; a property value's only
 * section for name NULL. */
const struct jaas_section *jaas_section_find(const struct jaas_config *c,
					     const char *name);

/* The value of option key in the first entry of s whose module is
 * module, or NULL. */
const char *jaas_option(const struct jaas_section *s, const char *module,
			const char *key);

/* From KAFKA_OPTS text, the value of -Djava.security.auth.login.config=
 * (the last one wins, as for the JVM; surrounding double or single quotes
 * removed) into out. 0, -ENOENT (not there), -ENAMETOOLONG. */
int jaas_path_from_kafka_opts(const char *opts, char *out, size_t cap);

#endif
