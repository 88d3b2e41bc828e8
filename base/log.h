/* log.h - process log in Apache Kafka's log4j layout.
 *
 *   [2026-11-22 10:00:00,123] INFO message (component)
 *
 * Tools and Testcontainers grep these lines, so the layout is fixed.
 * Never pass secrets: there is no redaction here.
 * Thread: any; each line is written with one write(2).
 */
#ifndef SEALOG_BASE_LOG_H
#define SEALOG_BASE_LOG_H

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF };

/* Lines below level are dropped. Default LOG_INFO. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Parse "DEBUG", "INFO", "WARN", "ERROR", "OFF" (any case, also TRACE ->
 * DEBUG, FATAL -> ERROR). Returns 0 or -EINVAL. */
int log_level_parse(const char *s, enum log_level *out);

/* Write to fd (default 2 = stderr). */
void log_set_fd(int fd);

void log_msg(enum log_level level, const char *component, const char *fmt,
	     ...) __attribute__((format(printf, 3, 4)));

#define log_debug(comp, ...) log_msg(LOG_DEBUG, comp, __VA_ARGS__)
#define log_info(comp, ...) log_msg(LOG_INFO, comp, __VA_ARGS__)
#define log_warn(comp, ...) log_msg(LOG_WARN, comp, __VA_ARGS__)
#define log_error(comp, ...) log_msg(LOG_ERROR, comp, __VA_ARGS__)

#endif
