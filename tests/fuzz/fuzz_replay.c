/* fuzz_replay.c - run a fuzz target over committed corpus files.
 *
 * Usage: fuzz_replay_<target> DIR|FILE...
 * Each regular file is read whole and passed to LLVMFuzzerTestOneInput
 * once; a broken invariant aborts. Fails when no file was found, so a
 * missing corpus cannot pass silently.
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz.h"

#define REPLAY_MAX_FILE (4u << 20)

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	long n;
	int rc = -1;

	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    (unsigned long)n > REPLAY_MAX_FILE || fseek(f, 0, SEEK_SET))
		goto out;
	/* +1: malloc(0) may return NULL, and an empty input is valid */
	data = malloc((size_t)n + 1);
	if (!data || fread(data, 1, (size_t)n, f) != (size_t)n)
		goto out;
	LLVMFuzzerTestOneInput(data, (size_t)n);
	rc = 0;
out:
	free(data);
	fclose(f);
	return rc;
}

static int replay_path(const char *path, size_t *count)
{
	struct stat st;
	struct dirent *e;
	char full[4096];
	DIR *d;
	int rc = 0;

	if (stat(path, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode)) {
		rc = replay_file(path);
		*count += rc == 0;
		return rc;
	}
	d = opendir(path);
	if (!d)
		return -errno;
	while (!rc && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(full, sizeof(full), "%s/%s", path, e->d_name);
		if (stat(full, &st) || !S_ISREG(st.st_mode))
			continue;
		rc = replay_file(full);
		if (rc)
			fprintf(stderr, "%s: cannot read (%d)\n", full, rc);
		*count += rc == 0;
	}
	closedir(d);
	return rc;
}

int main(int argc, char **argv)
{
	size_t count = 0;

	for (int i = 1; i < argc; i++) {
		int rc = replay_path(argv[i], &count);
		if (rc) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(-rc));
			return 1;
		}
	}
	printf("%zu inputs replayed\n", count);
	return count ? 0 : 1;
}
