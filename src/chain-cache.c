/*
 * A cache of the replayed migration chain. Replaying thousands of revisions
 * is quadratic inside SQLite (each CREATE re-reads sqlite_schema), and
 * introspecting thousands of tables costs more than the rest of a command; so
 * after a replay the in-memory database's image (sqlite3_serialize), its
 * introspection (schema_pack) and the digest of its sqlite_schema
 * (chain_text) are kept in a file, and the next command that needs the same
 * chain reads the last two from it and the image (sqlite3_deserialize) only
 * if it needs the database itself: db check and a db migrate with nothing to
 * write, on a database the chain built, need none.
 *
 * The cache is only an optimisation: a command's output, exit status and
 * effects are the same with it, without it, and with a stale or damaged one.
 * Hence:
 * - The key is a SHA-256 over exodb's version, the running binary's file
 *   (device, inode, size, modification time: another build is another key),
 *   SQLite's version and source id, the dialect replayed (SQLite's sections)
 *   and every revision's id and checksum (the file's SHA-256) in replay
 *   order: whatever else a replay depends on is fixed by those.
 * - The file holds the key and a SHA-256 of each part: the meta part's is
 *   checked when the file is read, the image's when the image is. A file
 *   that is stale (another key), truncated, corrupt, not a regular file, a
 *   symbolic link, not owned by the user, or writable by group or others, in
 *   a folder that is a link, not the user's, or writable by others, is
 *   ignored, and replaced when it can be; an image found damaged later is
 *   replayed instead, and the file replaced.
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

/*
 * The file: magic, key, then the meta part's SHA-256 and size and the image's
 * (sizes big-endian), the meta part (the digest of the replay's
 * sqlite_schema, chain_text(), then its schema_pack()ed introspection), the
 * image. The meta part is read and checked when the file is opened; the image
 * only when a command needs the database itself (chain_cache_image()).
 */
#define CACHE_MAGIC	"exodb chain v2\n"	/* 16 bytes with its NUL */
#define CACHE_MAGIC_LEN	16
#define CACHE_PART	(SHA256_DIGEST_SIZE + 8)
#define CACHE_HEADER	(CACHE_MAGIC_LEN + SHA256_DIGEST_SIZE + 2 * CACHE_PART)

/* The open cache file whose image is not read yet. */
struct chain_cache {
	int		 fd;
	off_t		 offset;	/* of the image */
	uint64_t	 size;
	uint8_t		 digest[SHA256_DIGEST_SIZE];
};

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

/* The big-endian number of 8 bytes at p. */
static uint64_t
chain_cache_get64(const uint8_t *p)
{
	uint64_t	v = 0;
	size_t		i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void
chain_cache_put64(uint8_t *p, uint64_t v)
{
	size_t	i;

	for (i = 0; i < 8; i++)
		p[7 - i] = (uint8_t)(v >> (8 * i));
}

/* Whether the n bytes at p have that SHA-256. */
static int
chain_cache_digest_is(const void *p, size_t n,
    const uint8_t digest[SHA256_DIGEST_SIZE])
{
	struct sha256_ctx	ctx;
	uint8_t			d[SHA256_DIGEST_SIZE];

	sha256_init(&ctx);
	sha256_update(&ctx, n, p);
	sha256_digest(&ctx, sizeof d, d);
	return memcmp(d, digest, sizeof d) == 0;
}

/*
 * The cache file of repo, if it is there, to be trusted and of repo's key,
 * read into c: its text digest and schema from the meta part, checked, and
 * the file kept open for its image (c->cache). 0, or -1 with c unchanged.
 */
int
chain_cache_load(const struct repo *repo, struct chain *c)
{
	struct chain_cache	*cc = NULL;
	struct schema		*s = NULL;
	struct stat		 st;
	uint8_t			 key[SHA256_DIGEST_SIZE], head[CACHE_HEADER];
	const uint8_t		*part;
	uint8_t			*meta = NULL;
	uint64_t		 nmeta, nimage;
	char			*dir, *path;
	int			 fd = -1, rc = -1;

	if ((path = chain_cache_path(repo, &dir)) == NULL)
		goto out;
	chain_cache_key(repo, key);
	if (lstat(dir, &st) == -1 || !chain_cache_trusted(&st, S_IFDIR))
		goto out;
	/* O_NONBLOCK: a FIFO in its place must not hang the command. */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1)
		goto out;
	if (fstat(fd, &st) == -1 || !chain_cache_trusted(&st, S_IFREG) ||
	    st.st_size < CACHE_HEADER ||
	    chain_cache_read(fd, head, sizeof head) == -1 ||
	    memcmp(head, CACHE_MAGIC, CACHE_MAGIC_LEN) != 0 ||
	    memcmp(head + CACHE_MAGIC_LEN, key, SHA256_DIGEST_SIZE) != 0)
		goto out;
	part = head + CACHE_MAGIC_LEN + SHA256_DIGEST_SIZE;
	nmeta = chain_cache_get64(part + SHA256_DIGEST_SIZE);
	nimage = chain_cache_get64(part + CACHE_PART + SHA256_DIGEST_SIZE);
	if (nmeta < SHA256_DIGEST_SIZE || nimage == 0 ||
	    nmeta > (uint64_t)st.st_size || nimage > (uint64_t)st.st_size ||
	    nmeta + nimage != (uint64_t)st.st_size - CACHE_HEADER)
		goto out;
	meta = xmalloc((size_t)nmeta);
	if (chain_cache_read(fd, meta, (size_t)nmeta) == -1 ||
	    !chain_cache_digest_is(meta, (size_t)nmeta, part) ||
	    schema_unpack(meta + SHA256_DIGEST_SIZE,
	    (size_t)nmeta - SHA256_DIGEST_SIZE, &s) == -1)
		goto out;
	cc = xcalloc(1, sizeof *cc);
	cc->fd = fd;
	fd = -1;
	cc->offset = (off_t)(CACHE_HEADER + nmeta);
	cc->size = nimage;
	memcpy(cc->digest, part + CACHE_PART, sizeof cc->digest);
	memcpy(c->text, meta, SHA256_DIGEST_SIZE);
	c->schema = s;
	c->cache = cc;
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	free(meta);
	free(path);
	free(dir);
	return rc;
}

void
chain_cache_free(struct chain_cache *cc)
{
	if (cc == NULL)
		return;
	close(cc->fd);
	free(cc);
}

/*
 * The image of the cache file that chain_cache_load() opened into c, checked
 * and opened as c->db: 0, or -1 when it is not whole (the caller replays).
 * The file is closed either way.
 */
int
chain_cache_image(struct chain *c)
{
	struct chain_cache	*cc = c->cache;
	unsigned char		*image = NULL;
	uint8_t			*p;
	sqlite3			*db = NULL;
	size_t			 left;
	ssize_t			 r;
	off_t			 at;
	char			*why = NULL;
	int			 rc = -1;

	c->cache = NULL;
	if (cc == NULL || cc->size > (uint64_t)INT64_MAX / 2 ||
	    (image = sqlite3_malloc64(cc->size)) == NULL)
		goto out;
	for (p = image, left = (size_t)cc->size, at = cc->offset; left > 0;
	    p += r, left -= (size_t)r, at += r) {
		if ((r = pread(cc->fd, p, left, at)) == -1 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r <= 0)
			goto out;
	}
	if (!chain_cache_digest_is(image, (size_t)cc->size, cc->digest) ||
	    chain_open(&db, &why) == -1)
		goto out;
	/* SQLite owns the image from here, on success or not. */
	rc = sqlite3_deserialize(db, "main", image, (sqlite3_int64)cc->size,
	    (sqlite3_int64)cc->size, SQLITE_DESERIALIZE_FREEONCLOSE |
	    SQLITE_DESERIALIZE_RESIZEABLE);
	image = NULL;
	if (rc != SQLITE_OK) {
		rc = -1;
		goto out;
	}
	c->db = db;
	db = NULL;
	rc = 0;
out:
	free(why);
	sqlite3_free(image);
	sqlite3_close(db);
	chain_cache_free(cc);
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

/* The SHA-256 and size of n bytes at p, as the header has them, at part. */
static void
chain_cache_part(uint8_t *part, const void *p, size_t n)
{
	struct sha256_ctx	ctx;

	sha256_init(&ctx);
	sha256_update(&ctx, n, p);
	sha256_digest(&ctx, SHA256_DIGEST_SIZE, part);
	chain_cache_put64(part + SHA256_DIGEST_SIZE, n);
}

/*
 * Keep c, repo's replay, in its cache file: the database c->db, its schema
 * and text digest. Silent: a cache that cannot be written is no failure.
 */
void
chain_cache_save(const struct repo *repo, const struct chain *c)
{
	struct stat	 st;
	uint8_t		 head[CACHE_HEADER], *part;
	unsigned char	*image = NULL;
	sqlite3_str	*meta;
	sqlite3_int64	 n = 0;
	char		*dir, *path, *parent = NULL, *tmp = NULL, *m = NULL;
	int		 fd = -1, rc, nmeta;

	meta = sqlite3_str_new(NULL);
	if ((path = chain_cache_path(repo, &dir)) == NULL)
		goto out;
	if (c->db == NULL || c->schema == NULL || chain_cache_unfit(c->db) ||
	    (image = sqlite3_serialize(c->db, "main", &n, 0)) == NULL ||
	    n <= 0)
		goto out;
	sqlite3_str_append(meta, (const char *)c->text, SHA256_DIGEST_SIZE);
	schema_pack(c->schema, meta);
	nmeta = sqlite3_str_length(meta);
	if ((m = sqlite3_str_finish(meta)) == NULL)
		goto out;
	meta = NULL;
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
	part = head + CACHE_MAGIC_LEN + SHA256_DIGEST_SIZE;
	chain_cache_part(part, m, (size_t)nmeta);
	chain_cache_part(part + CACHE_PART, image, (size_t)n);
	tmp = xasprintf("%s/.chain-XXXXXX", dir);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, 0600) == -1 ||
	    chain_cache_write(fd, head, sizeof head) == -1 ||
	    chain_cache_write(fd, m, (size_t)nmeta) == -1 ||
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
	sqlite3_free(sqlite3_str_finish(meta));
	sqlite3_free(m);
	sqlite3_free(image);
	free(parent);
	free(path);
	free(dir);
}
