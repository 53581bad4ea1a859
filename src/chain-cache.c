/*
 * A cache of the replayed migration chain. Replaying thousands of revisions
 * is quadratic inside SQLite (each CREATE re-reads sqlite_schema), so after a
 * replay the in-memory database's image (sqlite3_serialize) is kept in a
 * file, and the next command that replays the same chain loads it
 * (sqlite3_deserialize) instead.
 *
 * The cache is only an optimisation: a command's output, exit status and
 * effects are the same with it, without it, and with a stale or damaged one.
 * Hence:
 * - The key is a SHA-256 over exodb's version, the running binary's file
 *   (device, inode, size, modification time: another build is another key),
 *   SQLite's version and source id, the dialect replayed (SQLite's sections)
 *   and every revision's id and checksum (the file's SHA-256) in replay
 *   order: whatever else a replay depends on is fixed by those.
 * - The file holds the key and a SHA-256 of the image, both checked before
 *   use. A file that is stale (another key), truncated, corrupt, not a
 *   regular file, a symbolic link, not owned by the user, or writable by
 *   group or others, in a folder that is a link, not the user's, or writable
 *   by others, is ignored, and replaced when it can be.
 * - It is written to a temporary file (0600) in the same folder (0700),
 *   synced, then renamed over the old one, so a reader sees a whole file or
 *   none. Failing to write it (no home, a read-only file system, no space)
 *   is silent: the command has its replay already.
 * - A replay whose connection keeps state the image cannot carry (a TEMP
 *   object, PRAGMA legacy_alter_table left on) is not cached.
 *
 * Where: $XDG_CACHE_HOME/exodb (else ~/.cache/exodb), one file per migration
 * repository, named by a SHA-256 of the repository's real path: outside the
 * project, so never committed and never in a read-only checkout's way, and
 * replaced, not added to, when the chain changes.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "exodb.h"

/* The file: magic, key, the image's SHA-256, its size (big-endian), image. */
#define CACHE_MAGIC	"exodb chain v1\n"	/* 16 bytes with its NUL */
#define CACHE_MAGIC_LEN	16
#define CACHE_HEADER	(CACHE_MAGIC_LEN + 2 * SHA256_DIGEST_SIZE + 8)

/* The folder of the cache files, or NULL when there is none; caller frees. */
static char *
chain_cache_dir(void)
{
	const char	*xdg = getenv("XDG_CACHE_HOME"), *home;

	/* The XDG base directory spec: a relative path is to be ignored. */
	if (xdg != NULL && xdg[0] == '/')
		return xasprintf("%s/exodb", xdg);
	home = getenv("HOME");
	if (home != NULL && home[0] == '/')
		return xasprintf("%s/.cache/exodb", home);
	return NULL;
}

/*
 * The cache file of repo, or NULL; with *dir its folder. The caller frees
 * both.
 */
static char *
chain_cache_path(const struct repo *repo, char **dir)
{
	struct sha256_ctx	 ctx;
	uint8_t			 digest[SHA256_DIGEST_SIZE];
	char			*real, hex[2 * SHA256_DIGEST_SIZE + 1];
	size_t			 i;

	*dir = NULL;
	if ((real = realpath(repo->dir, NULL)) == NULL)
		return NULL;
	if ((*dir = chain_cache_dir()) == NULL) {
		free(real);
		return NULL;
	}
	sha256_init(&ctx);
	sha256_update(&ctx, strlen(real), (const uint8_t *)real);
	sha256_digest(&ctx, sizeof digest, digest);
	free(real);
	for (i = 0; i < sizeof digest; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	return xasprintf("%s/chain-%s", *dir, hex);
}

/* The key of repo's replay (see above). */
static void
chain_cache_key(const struct repo *repo, uint8_t key[SHA256_DIGEST_SIZE])
{
	struct sha256_ctx	 ctx;
	const char		*parts[4];
	struct stat		 st;
	char			 exe[PATH_MAX];
	ssize_t			 n;
	uint64_t		 id[5];
	size_t			 i;

	parts[0] = "exodb " EXODB_VERSION;
	parts[1] = sqlite3_libversion();
	parts[2] = sqlite3_sourceid();
	parts[3] = "sqlite";
	sha256_init(&ctx);
	/* Each string with its NUL, so that no two lists hash alike. */
	for (i = 0; i < sizeof parts / sizeof parts[0]; i++)
		sha256_update(&ctx, strlen(parts[i]) + 1,
		    (const uint8_t *)parts[i]);
	/*
	 * The running binary itself (its file's identity), so that a build that
	 * replays differently without a new version number, as a developer's
	 * does, never takes another build's image.
	 */
	/*
	 * The binary's path through readlink, which valgrind answers with its
	 * client's, then stat. A binary gone since it started gets a key of
	 * this process alone: its image is never taken by another.
	 */
	memset(id, 0, sizeof id);
	if ((n = readlink("/proc/self/exe", exe, sizeof exe - 1)) > 0 &&
	    (exe[n] = '\0', stat(exe, &st) == 0)) {
		id[0] = (uint64_t)st.st_dev;
		id[1] = (uint64_t)st.st_ino;
		id[2] = (uint64_t)st.st_size;
		id[3] = (uint64_t)st.st_mtim.tv_sec;
		id[4] = (uint64_t)st.st_mtim.tv_nsec;
	} else
		id[0] = (uint64_t)getpid();
	sha256_update(&ctx, sizeof id, (const uint8_t *)id);
	for (i = 0; i < repo->nrevs; i++) {
		sha256_update(&ctx, strlen(repo->revs[i]->id) + 1,
		    (const uint8_t *)repo->revs[i]->id);
		sha256_update(&ctx, strlen(repo->revs[i]->checksum) + 1,
		    (const uint8_t *)repo->revs[i]->checksum);
	}
	sha256_digest(&ctx, SHA256_DIGEST_SIZE, key);
}

/* Whether st is a folder or file the user may trust: theirs, not shared. */
static int
chain_cache_trusted(const struct stat *st, mode_t type)
{
	return (st->st_mode & S_IFMT) == type && st->st_uid == geteuid() &&
	    (st->st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

/* Read exactly n bytes; -1 on an error or a short file. */
static int
chain_cache_read(int fd, void *buf, size_t n)
{
	uint8_t	*p = buf;
	ssize_t	 r;

	while (n > 0) {
		if ((r = read(fd, p, n)) == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int
chain_cache_write(int fd, const void *buf, size_t n)
{
	const uint8_t	*p = buf;
	ssize_t		 w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * The image in path if its key is key and its digest right, in memory from
 * sqlite3_malloc64() (*n bytes), or NULL.
 */
static unsigned char *
chain_cache_image(const char *dir, const char *path,
    const uint8_t key[SHA256_DIGEST_SIZE], sqlite3_int64 *n)
{
	struct sha256_ctx	 ctx;
	struct stat		 st;
	uint8_t			 head[CACHE_HEADER], digest[SHA256_DIGEST_SIZE];
	unsigned char		*image = NULL;
	uint64_t		 size = 0;
	size_t			 i;
	int			 fd;

	if (lstat(dir, &st) == -1 || !chain_cache_trusted(&st, S_IFDIR))
		return NULL;
	/* O_NONBLOCK: a FIFO in its place must not hang the command. */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || !chain_cache_trusted(&st, S_IFREG) ||
	    st.st_size < CACHE_HEADER ||
	    chain_cache_read(fd, head, sizeof head) == -1 ||
	    memcmp(head, CACHE_MAGIC, CACHE_MAGIC_LEN) != 0 ||
	    memcmp(head + CACHE_MAGIC_LEN, key, SHA256_DIGEST_SIZE) != 0)
		goto fail;
	for (i = 0; i < 8; i++)
		size = size << 8 | head[CACHE_HEADER - 8 + i];
	if (size == 0 || size != (uint64_t)st.st_size - CACHE_HEADER ||
	    size > (uint64_t)INT64_MAX / 2)
		goto fail;
	if ((image = sqlite3_malloc64(size)) == NULL ||
	    chain_cache_read(fd, image, (size_t)size) == -1)
		goto fail;
	sha256_init(&ctx);
	sha256_update(&ctx, (size_t)size, image);
	sha256_digest(&ctx, sizeof digest, digest);
	if (memcmp(digest, head + CACHE_MAGIC_LEN + SHA256_DIGEST_SIZE,
	    sizeof digest) != 0)
		goto fail;
	close(fd);
	*n = (sqlite3_int64)size;
	return image;
fail:
	sqlite3_free(image);
	close(fd);
	return NULL;
}

/*
 * The replay of repo from its cache file into *out (the caller closes it):
 * 0, or -1 when there is no usable cache, having set nothing.
 */
int
chain_cache_load(const struct repo *repo, sqlite3 **out)
{
	uint8_t		 key[SHA256_DIGEST_SIZE];
	unsigned char	*image;
	sqlite3_int64	 n;
	sqlite3		*db = NULL;
	char		*dir, *path, *why = NULL;
	int		 rc = -1;

	*out = NULL;
	if ((path = chain_cache_path(repo, &dir)) == NULL)
		goto out;
	chain_cache_key(repo, key);
	if ((image = chain_cache_image(dir, path, key, &n)) == NULL)
		goto out;
	if (chain_open(&db, &why) == -1) {
		sqlite3_free(image);
		goto out;
	}
	/* SQLite owns the image from here, on success or not. */
	if (sqlite3_deserialize(db, "main", image, n, n,
	    SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE) !=
	    SQLITE_OK)
		goto out;
	/* The schema parses: the image is a database. */
	if (db_exec(db, "SELECT count(*) FROM sqlite_schema", &why) == -1)
		goto out;
	*out = db;
	db = NULL;
	rc = 0;
out:
	free(why);
	sqlite3_close(db);
	free(path);
	free(dir);
	return rc;
}

/* Whether db's connection holds what its image would not carry. */
static int
chain_cache_unfit(sqlite3 *db)
{
	long long	 n = 1, legacy = 1;
	char		*why = NULL;

	if (db_count(db, "SELECT count(*) FROM temp.sqlite_schema", &n,
	    &why) == -1 ||
	    db_count(db, "SELECT legacy_alter_table FROM "
	    "pragma_legacy_alter_table", &legacy, &why) == -1) {
		free(why);
		return 1;
	}
	return n != 0 || legacy != 0;
}

/*
 * Keep db, the replay of repo, in its cache file. Silent: a cache that
 * cannot be written is no failure.
 */
void
chain_cache_save(const struct repo *repo, sqlite3 *db)
{
	struct sha256_ctx	 ctx;
	struct stat		 st;
	uint8_t			 head[CACHE_HEADER];
	unsigned char		*image = NULL;
	sqlite3_int64		 n = 0;
	char			*dir, *path, *parent = NULL, *tmp = NULL;
	size_t			 i;
	int			 fd = -1, rc;

	if ((path = chain_cache_path(repo, &dir)) == NULL)
		goto out;
	if (chain_cache_unfit(db) ||
	    (image = sqlite3_serialize(db, "main", &n, 0)) == NULL || n <= 0)
		goto out;
	/* $XDG_CACHE_HOME, then its exodb folder, each 0700 if made. */
	parent = xstrndup(dir, (size_t)(strrchr(dir, '/') - dir));
	if (mkdir(parent, 0700) == -1 && errno != EEXIST)
		goto out;
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		goto out;
	if (lstat(dir, &st) == -1 || !chain_cache_trusted(&st, S_IFDIR))
		goto out;
	memcpy(head, CACHE_MAGIC, CACHE_MAGIC_LEN);
	chain_cache_key(repo, head + CACHE_MAGIC_LEN);
	sha256_init(&ctx);
	sha256_update(&ctx, (size_t)n, image);
	sha256_digest(&ctx, SHA256_DIGEST_SIZE,
	    head + CACHE_MAGIC_LEN + SHA256_DIGEST_SIZE);
	for (i = 0; i < 8; i++)
		head[CACHE_HEADER - 1 - i] = (uint8_t)((uint64_t)n >> (8 * i));
	tmp = xasprintf("%s/.chain-XXXXXX", dir);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, 0600) == -1 ||
	    chain_cache_write(fd, head, sizeof head) == -1 ||
	    chain_cache_write(fd, image, (size_t)n) == -1 || fsync(fd) == -1)
		goto out;
	rc = close(fd);
	fd = -1;
	if (rc == -1)
		goto out;
	if (rename(tmp, path) == 0) {
		free(tmp);
		tmp = NULL;
	}
out:
	if (fd != -1)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	sqlite3_free(image);
	free(parent);
	free(path);
	free(dir);
}
