/* plog_crash_test.c - kill -9 at random points, restart, repeat.
 *
 * A child process appends batches with STORAGE_SYNC_ALWAYS (batch i
 * carries sequence number i as its base timestamp) and writes
 * (offset, seq) to a pipe once the HW has passed the batch, i.e. once
 * an acks=all producer would have had its reply. The parent SIGKILLs it
 * after a random delay (0-120 ms: sometimes during recovery itself),
 * reopens the log and checks that every acknowledged batch of every
 * cycle so far is present exactly once, at its offset, in order.
 * Segments are small, so kills also land in rolls.
 *
 * Usage: plog_crash_test [cycles]  (CTest: 20 in the unit label, 200 in
 * the slow one). */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "tests/unit/storage/st_util.h"

struct ack {
	int64_t offset;
	int64_t seq;
};

static struct plog_config crash_cfg(void)
{
	struct plog_config c = tu_cfg();

	c.segment_bytes = 16 << 10;
	c.index_interval_bytes = 1024;
	return c;
}

static int64_t last_seq(struct plog *pl)
{
	struct plog_offsets o;
	struct buf b;
	int64_t seq = -1;

	plog_offsets(pl, &o);
	if (o.log_end_offset == 0)
		return -1;
	buf_init(&b, 0);
	if (plog_read(pl, o.log_end_offset - 1, o.log_end_offset, SIZE_MAX,
		      true, &b) == 0 &&
	    b.len >= 61)
		seq = (int64_t)be_get64(b.data + 27);
	buf_fini(&b);
	return seq;
}

struct pending {
	int64_t end, offset, seq;
};

static void child_ack(struct plog *pl, struct pending *q, int *n, int fd)
{
	struct plog_offsets o;
	int k = 0;

	plog_offsets(pl, &o);
	while (k < *n && q[k].end <= o.high_watermark) {
		struct ack a = {q[k].offset, q[k].seq};
		if (write(fd, &a, sizeof(a)) != (ssize_t)sizeof(a))
			_exit(4);
		k++;
	}
	memmove(q, q + k, (size_t)(*n - k) * sizeof(*q));
	*n -= k;
}

static void child_run(const char *dir, int fd, unsigned seed)
{
	struct storage_config sc = {.dir = dir,
				    .sync_mode = STORAGE_SYNC_ALWAYS};
	struct plog_config pc = crash_cfg();
	struct pending q[64];
	struct storage *st;
	struct plog *pl;
	struct buf b;
	int64_t seq;
	int n = 0;

	log_set_level(LOG_OFF);
	if (storage_open(&sc, &st) ||
	    plog_open(st, "crash", tu_topic_id, 0, &pc, &pl) || plog_status(pl))
		_exit(3);
	seq = last_seq(pl) + 1;
	buf_init(&b, 0);
	for (;;) {
		int burst = 1 + (int)(rand_r(&seed) % 5);
		struct pollfd p = {.fd = storage_notify_fd(st),
				   .events = POLLIN};
		for (int i = 0; i < burst && n < 64; i++, seq++) {
			int64_t base;
			int nrec = 1 + (int)(rand_r(&seed) % 3);
			tu_batch(&b, nrec, seq, "c", 50 + rand_r(&seed) % 400);
			if (plog_append(pl, b.data, b.len, 0, 0, &base))
				_exit(5);
			q[n++] = (struct pending){base + nrec, base, seq};
		}
		storage_sync_kick(st);
		poll(&p, 1, 5);
		storage_poll(st);
		child_ack(pl, q, &n, fd);
	}
}

/* Read acks from the child until the deadline, then kill it. */
static int run_cycle(const char *dir, unsigned seed, struct ack **acks,
		     size_t *count, size_t *cap)
{
	int fds[2], status;
	pid_t pid;
	int64_t until;
	struct timespec ts;
	uint8_t part[sizeof(struct ack)];
	size_t have = 0;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		child_run(dir, fds[1], seed);
	}
	close(fds[1]);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	until = ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + seed % 121;
	for (bool killed = false;;) {
		struct pollfd p = {.fd = fds[0], .events = POLLIN};
		ssize_t r;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (!killed &&
		    ts.tv_sec * 1000 + ts.tv_nsec / 1000000 >= until) {
			kill(pid, SIGKILL);
			killed = true;
		}
		if (poll(&p, 1, killed ? 1000 : 2) <= 0 && !killed)
			continue;
		r = read(fds[0], part + have, sizeof(part) - have);
		if (r <= 0)
			break; /* EOF: the child is gone */
		have += (size_t)r;
		if (have < sizeof(part))
			continue;
		if (*count == *cap) {
			*cap = *cap ? *cap * 2 : 1024;
			*acks = realloc(*acks, *cap * sizeof(**acks));
		}
		memcpy(&(*acks)[(*count)++], part, sizeof(part));
		have = 0;
	}
	close(fds[0]);
	waitpid(pid, &status, 0);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? 0 : -1;
}

struct seen {
	int64_t *seq_at; /* by offset: the seq of the batch based there */
	int64_t n;
};

/* Reopen; every acknowledged batch must be there once, in order. */
static int verify(const char *dir, const struct ack *acks, size_t count,
		  int64_t *batches)
{
	struct storage_config sc = {.dir = dir,
				    .sync_mode = STORAGE_SYNC_ALWAYS};
	struct plog_config pc = crash_cfg();
	struct storage *st;
	struct plog *pl;
	struct plog_offsets o;
	struct buf b;
	struct seen s = {0};
	int64_t prev = -1;
	int bad = 0;

	if (storage_open(&sc, &st))
		return -1;
	if (plog_open(st, "crash", tu_topic_id, 0, &pc, &pl) ||
	    plog_status(pl)) {
		storage_close(st);
		return -1;
	}
	plog_offsets(pl, &o);
	buf_init(&b, 0);
	bad += plog_read(pl, 0, o.log_end_offset, SIZE_MAX, true, &b) != 0;
	s.n = o.log_end_offset;
	s.seq_at = calloc((size_t)s.n + 1, sizeof(int64_t));
	for (int64_t i = 0; i <= s.n; i++)
		s.seq_at[i] = -1;
	*batches = 0;
	for (size_t off = 0; off + 61 <= b.len; (*batches)++) {
		const uint8_t *p = b.data + off;
		int64_t base = (int64_t)be_get64(p),
			seq = (int64_t)be_get64(p + 27);
		bad +=
		    seq <= prev || base < 0 || base >= s.n; /* in order, once */
		if (base >= 0 && base < s.n)
			s.seq_at[base] = seq;
		prev = seq;
		off += be_get32(p + 8) + 12;
	}
	{
		int64_t f, nx;
		bad += tu_count_batches(&b, &f, &nx) != *batches;
	}
	for (size_t i = 0; i < count; i++)
		bad += acks[i].offset >= s.n ||
		       s.seq_at[acks[i].offset] != acks[i].seq;
	free(s.seq_at);
	buf_fini(&b);
	plog_close(pl);
	storage_close(st);
	return bad;
}

int main(int argc, char **argv)
{
	int cycles = argc > 1 ? atoi(argv[1]) : 20, failures = 0;
	struct ack *acks = NULL;
	size_t count = 0, cap = 0;
	unsigned seed = (unsigned)time(NULL);
	char dir[256];
	int64_t batches = 0;

	log_set_level(LOG_OFF);
	tu_mkdtemp(dir, sizeof(dir));
	printf("seed %u, %d cycles in %s\n", seed, cycles, dir);
	for (int c = 0; c < cycles; c++) {
		unsigned s = seed + (unsigned)c * 7919u;
		int rc = run_cycle(dir, s, &acks, &count, &cap);
		CHECK_EQ(rc, 0);
		rc = verify(dir, acks, count, &batches);
		CHECK_EQ(rc, 0);
		failures += rc != 0;
		if (failures)
			break;
	}
	printf("%zu acknowledged batches, %lld in the log\n", count,
	       (long long)batches);
	CHECK(count > 0 && (int64_t)count <= batches);
	free(acks);
	if (!failures)
		tu_rmrf(dir);
	return check_finish();
}
