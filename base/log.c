/* log.c - see log.h. */
#include "base/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static atomic_int log_level = LOG_INFO;
static atomic_int log_fd = 2;

static const char *const log_names[] = { "DEBUG", "INFO", "WARN", "ERROR" };

void log_set_level(enum log_level level) { atomic_store(&log_level, level); }
enum log_level log_get_level(void) { return (enum log_level)atomic_load(&log_level); }
void log_set_fd(int fd) { atomic_store(&log_fd, fd); }

int log_level_parse(const char *s, enum log_level *out)
{
	static const struct { const char *name; enum log_level level; } map[] = {
		{ "TRACE", LOG_DEBUG }, { "DEBUG", LOG_DEBUG }, { "INFO", LOG_INFO },
		{ "WARN", LOG_WARN },   { "ERROR", LOG_ERROR }, { "FATAL", LOG_ERROR },
		{ "OFF", LOG_OFF },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcasecmp(s, map[i].name) == 0) {
			*out = map[i].level;
			return 0;
		}
	}
	return -EINVAL;
}

void log_msg(enum log_level level, const char *component, const char *fmt, ...)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int m;
	va_list ap;

	if ((int)level < atomic_load(&log_level) || level >= LOG_OFF)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "[%Y-%m-%d %H:%M:%S", &tm);
	m = snprintf(line + n, sizeof(line) - n, ",%03ld] %s ",
		     ts.tv_nsec / 1000000, log_names[level]);
	n += m > 0 ? (size_t)m : 0;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (m > 0)
		n += (size_t)m < sizeof(line) - n ? (size_t)m : sizeof(line) - n - 1;
	m = snprintf(line + n, sizeof(line) - n, " (%s)\n", component);
	if (m < 0 || (size_t)m >= sizeof(line) - n) {
		/* Truncated: keep the line well-formed. */
		n = sizeof(line) - 2;
		line[n++] = '\n';
	} else {
		n += (size_t)m;
	}
	(void)!write(atomic_load(&log_fd), line, n);
}
