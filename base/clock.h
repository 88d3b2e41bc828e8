/* clock.h - time in milliseconds. Any thread. */
#ifndef SEALOG_BASE_CLOCK_H
#define SEALOG_BASE_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Monotonic time for timeouts and deadlines. */
static inline int64_t clock_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wall-clock time (Unix epoch ms) for Kafka timestamps. */
static inline int64_t clock_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
