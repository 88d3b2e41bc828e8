/* principal.h - TLS client certificate DN -> principal name, with Kafka's
 * ssl.principal.mapping.rules syntax and semantics (SslPrincipalMapper).
 *
 * Rules: a comma-separated list, tried in order, the first rule that
 * applies wins; a DN no rule applies to is an error (end the list with
 * DEFAULT). Each rule is
 *
 *   DEFAULT                     the DN itself
 *   RULE:pattern/replacement/   pattern must match the WHOLE DN
 *   RULE:pattern/replacement/L  ... result lower-cased (U: upper-cased)
 *
 * with '\' escaping '/' and '\' in pattern and replacement. The result is
 * dn.replaceAll(pattern, replacement) with Java's replacement syntax ($n,
 * ${name}, \x); a $n beyond the pattern's group count is literal text (as
 * Kafka's escaping makes it). Splitting is Kafka's own regex, so commas
 * inside a pattern work only while the rule is not yet complete, exactly
 * as in Kafka; patterns are Java regular expressions (the subset in
 * principal_re.h).
 *
 * Deliberate differences from Kafka, all fail-safe and at startup:
 * a replacement that Java would reject at mapping time (trailing '\',
 * "$x", an unknown ${name}, "$1" on a pattern without groups) is a parse
 * error here instead of a failure of every matching connection; and the
 * matcher has a step budget, so a pathological pattern fails the mapping
 * (-ELOOP, the connection is refused) instead of hanging a thread.
 * Case mapping is Unicode simple (1:1) case mapping; Java's few 1:n
 * mappings (German sharp s -> "SS") are not applied.
 *
 * The broker builds "User:" + the result (Kafka's KafkaPrincipal).
 * Thread: rules are immutable after parsing; principal_map() may run on
 * any number of threads at once.
 */
#ifndef SEALOG_AUTH_PRINCIPAL_H
#define SEALOG_AUTH_PRINCIPAL_H

#include <stddef.h>

#define PRINCIPAL_DN_MAX 8192 /* longer DNs are refused (-ENAMETOOLONG) */

struct principal_rules;

/* Parse spec (NULL = "DEFAULT", Kafka's default). 0 and *out, -EINVAL
 * with err filled ("Invalid rule: ..." / the regex error / the
 * replacement error, naming the rule), -ENOMEM. */
int principal_rules_parse(const char *spec, struct principal_rules **out,
			  char *err, size_t errlen);

void principal_rules_free(struct principal_rules *r);

/* Map dn (RFC 2253, as net/tls.h tls_dn_rfc2253() prints it) into out
 * (NUL-terminated). 0; -ENOENT no rule applies (Kafka's NoMatchingRule);
 * -ENOSPC out too small; -ENAMETOOLONG dn over PRINCIPAL_DN_MAX;
 * -ELOOP the match step budget ran out; -ENOMEM. */
int principal_map(const struct principal_rules *r, const char *dn, char *out,
		  size_t cap);

/* The rules as Kafka's SslPrincipalMapper.toString() lists them, e.g.
 * "[RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L, DEFAULT]", for logs and
 * tests. 0 or -ENOSPC. */
int principal_rules_describe(const struct principal_rules *r, char *out,
			     size_t cap);

#endif
