/* tools_test.c - sealog-dump and sealog-keys against real log directories.
 *
 * Usage: tools_test <sealog-dump> <sealog-keys> (CTest passes the paths).
 * Checks the exit status and output of: a clean dump (headers, records,
 * one segment file), a tampered segment, a wrong key, and a full key
 * rotation done with the tools. */
#include <spawn.h>
#include <sys/wait.h>

#include "tests/unit/storage/st_util.h"

extern char **environ;

static char dump_bin[1024], keys_bin[1024], tmp[256];

/* Run argv; stdout+stderr into *out (malloc'd). Returns the exit status. */
static int run(char *const argv[], char **out)
{
	char path[512];
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = -1;
	size_t len;

	snprintf(path, sizeof(path), "%s/out.txt", tmp);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, path,
					 O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) == 0)
		waitpid(pid, &status, 0);
	posix_spawn_file_actions_destroy(&fa);
	if (tu_read_file(path, (uint8_t **)out, &len))
		*out = strdup("");
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int run_dump(const char *key_file, const char *flag, const char *path,
		    char **out)
{
	char *argv[8];
	int n = 0;

	argv[n++] = dump_bin;
	if (key_file) {
		argv[n++] = "--key-file";
		argv[n++] = (char *)key_file;
	}
	if (flag)
		argv[n++] = (char *)flag;
	argv[n++] = (char *)path;
	argv[n] = NULL;
	return run(argv, out);
}

static int run_keys(const char *key_file, const char *a, const char *b,
		    const char *c, const char *d, char **out)
{
	char *argv[] = {keys_bin,  "--key-file", (char *)key_file, (char *)a,
			(char *)b, (char *)c,	 (char *)d,	   NULL};

	return run(argv, out);
}

static void make_log(struct tu *t, const char *key_file)
{
	tu_init(t, STORAGE_SYNC_ALWAYS);
	t->sc.key_file = key_file;
	t->pc.segment_bytes = 2048;
	CHECK_EQ(tu_open(t), 0);
	for (int i = 0; i < 8; i++)
		tu_append(t, 2, 1000 + i, "hello\x01", 200);
	CHECK(tu_wait_hw(t, 16));
	tu_close(t);
}

static void test_dump(void)
{
	struct tu t;
	char pdir[512], seg[600], *out;

	make_log(&t, NULL); /* default key file in the data directory */
	snprintf(pdir, sizeof(pdir), "%s/orders-0", t.dir);
	CHECK_EQ(run_dump(NULL, NULL, pdir, &out), 0);
	CHECK(strstr(out, "baseOffset: 0 lastOffset: 1 count: 2") != NULL);
	CHECK(strstr(out, "sealed (footer verified)") != NULL);
	CHECK(strstr(out, "8 batches verified, 0 problems") != NULL);
	free(out);
	CHECK_EQ(run_dump(NULL, "--records", pdir, &out), 0);
	CHECK(strstr(out, "| offset: 1 CreateTime: 1001 keySize: 2") != NULL);
	CHECK(strstr(out, "payload: hello\\x01-1") != NULL);
	free(out);
	tu_path(&t, seg, sizeof(seg), 0, "log");
	CHECK_EQ(run_dump(NULL, NULL, seg, &out), 0);
	free(out);
	/* A flipped byte: reported with its position, exit 1. */
	{
		int fd = open(seg, O_RDWR);
		uint8_t c = 0;
		CHECK(pread(fd, &c, 1, 100) == 1);
		c ^= 0x20;
		CHECK(pwrite(fd, &c, 1, 100) == 1);
		close(fd);
	}
	CHECK_EQ(run_dump(NULL, NULL, pdir, &out), 1);
	CHECK(strstr(out, "failed authentication") != NULL);
	CHECK(strstr(out, "at byte 0") != NULL);
	free(out);
	CHECK_EQ(run_dump(NULL, NULL, "/nonexistent/x-0", &out), 2);
	free(out);
	tu_fini(&t);
}

static void test_keys(void)
{
	char kdir[256], kf[512], pdir[512], *out;
	struct tu t;

	tu_mkdtemp(kdir, sizeof(kdir));
	snprintf(kf, sizeof(kf), "%s/keys", kdir);
	CHECK_EQ(run_keys(kf, "add", NULL, NULL, NULL, &out), 0);
	CHECK(strstr(out, "created") != NULL);
	free(out);
	make_log(&t, kf);
	snprintf(pdir, sizeof(pdir), "%s/orders-0", t.dir);
	CHECK_EQ(run_dump(kf, "--quiet", pdir, &out), 0);
	free(out);
	/* The embedded default key of another directory is the wrong key. */
	{
		struct tu o;
		char okf[600];
		make_log(&o, NULL);
		snprintf(okf, sizeof(okf), "%s/encryption.keys", o.dir);
		CHECK_EQ(run_dump(okf, "--quiet", pdir, &out), 1);
		CHECK(strstr(out, ".dek sidecar failed authentication") !=
		      NULL);
		free(out);
		tu_fini(&o);
	}
	/* Rotate with the tools: add, rewrap, remove. */
	CHECK_EQ(run_keys(kf, "add", NULL, NULL, NULL, &out), 0);
	free(out);
	CHECK_EQ(run_keys(kf, "list", NULL, NULL, NULL, &out), 0);
	CHECK(strstr(out, "k1\n") && strstr(out, "k2 (current)"));
	CHECK(!strstr(out, "key."));
	free(out);
	CHECK_EQ(run_keys(kf, "remove", "k1", "--log-dir", t.dir, &out), 1);
	CHECK(strstr(out, "rewrap first") != NULL);
	free(out);
	CHECK_EQ(run_keys(kf, "rewrap", t.dir, NULL, NULL, &out), 0);
	CHECK(strstr(out, "re-wrapped") != NULL);
	free(out);
	CHECK_EQ(run_keys(kf, "remove", "k2", NULL, NULL, &out), 1);
	free(out);
	CHECK_EQ(run_keys(kf, "remove", "k1", "--log-dir", t.dir, &out), 0);
	free(out);
	{
		char *argv[] = {keys_bin, "usage", t.dir, NULL};
		CHECK_EQ(run(argv, &out), 0);
		CHECK(strstr(out, "k2 ") && !strstr(out, "k1 "));
		free(out);
	}
	CHECK_EQ(run_dump(kf, "--quiet", pdir, &out), 0);
	CHECK(strstr(out, "8 batches verified") != NULL);
	free(out);
	CHECK_EQ(tu_open(&t), 0); /* and the broker side agrees */
	CHECK_EQ(plog_status(t.pl), 0);
	tu_fini(&t);
	tu_rmrf(kdir);
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 77;
	snprintf(dump_bin, sizeof(dump_bin), "%s", argv[1]);
	snprintf(keys_bin, sizeof(keys_bin), "%s", argv[2]);
	log_set_level(LOG_OFF);
	tu_mkdtemp(tmp, sizeof(tmp));
	test_dump();
	test_keys();
	tu_rmrf(tmp);
	return check_finish();
}
