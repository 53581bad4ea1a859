/*
 * Fault injection the way SQLite tests itself: linked into a test build of
 * exodb only (build/san/tests/exodb-fault), never into the shipped binary.
 * Before main() runs, a constructor installs
 *   - an allocator (SQLITE_CONFIG_MALLOC) around SQLite's own, and
 *   - a VFS registered as the default, forwarding to "unix",
 * and, as EXODB_FAULT says, fails the k-th call of one kind:
 *
 *   EXODB_FAULT=OP:K[:MODE[:ERROR]]
 *	OP	write, sync, truncate (file methods), delete (the VFS's) or
 *		malloc (an allocation or a reallocation)
 *	K	which call fails, from 1
 *	MODE	once (the default: only the k-th fails) or persist (every
 *		call from the k-th on fails)
 *	ERROR	ioerr (the default: SQLITE_IOERR_WRITE, _FSYNC, _TRUNCATE,
 *		_DELETE) or full (SQLITE_FULL)
 *
 * When EXODB_FAULT_LOG names a file, the first failure appends "fired OP K"
 * to it, so that a driver can tell a run the fault reached from one it did
 * not; a run that exits normally appends "calls N", how many calls of OP it
 * made.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

enum fault_op { F_NONE, F_WRITE, F_SYNC, F_TRUNCATE, F_DELETE, F_MALLOC };

static enum fault_op	fault_op;
static long		fault_k;
static int		fault_persist, fault_full, fault_fired, fault_armed;
static long		fault_count;
static const char	*fault_log;

static sqlite3_vfs	*real_vfs;
static sqlite3_mem_methods real_mem;

struct fault_file {
	sqlite3_file	 base;
	sqlite3_file	*real;	/* follows this struct in the same allocation */
};

/* Whether this call of op is to fail. */
static void
fault_note(const char *what, long n)
{
	char	line[64];
	int	fd, len;

	if (fault_log == NULL)
		return;
	len = snprintf(line, sizeof line, "%s %d %ld\n", what, (int)fault_op,
	    n);
	fd = open(fault_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd != -1) {
		if (write(fd, line, (size_t)len) != len)
			len = 0;
		close(fd);
	}
}

static int
fault_now(enum fault_op op)
{
	if (op != fault_op || !fault_armed)
		return 0;
	fault_count++;
	if (fault_count < fault_k || (fault_count > fault_k && !fault_persist))
		return 0;
	if (!fault_fired)
		fault_note("fired", fault_k);
	fault_fired = 1;
	return 1;
}

__attribute__((destructor)) static void
fault_fini(void)
{
	if (fault_op != F_NONE)
		fault_note("calls", fault_count);
}

static int
fault_error(int ioerr)
{
	return fault_full ? SQLITE_FULL : ioerr;
}

#define REAL(f)	(((struct fault_file *)(f))->real)

static int
fault_close(sqlite3_file *f)
{
	return REAL(f)->pMethods->xClose(REAL(f));
}

static int
fault_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}

static int
fault_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	if (fault_now(F_WRITE))
		return fault_error(SQLITE_IOERR_WRITE);
	return REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}

static int
fault_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	if (fault_now(F_TRUNCATE))
		return fault_error(SQLITE_IOERR_TRUNCATE);
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int
fault_sync(sqlite3_file *f, int flags)
{
	if (fault_now(F_SYNC))
		return fault_error(SQLITE_IOERR_FSYNC);
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int
fault_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int
fault_lock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xLock(REAL(f), lock);
}

static int
fault_unlock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), lock);
}

static int
fault_check_lock(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int
fault_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int
fault_sector(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int
fault_device(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int
fault_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **p)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, extend, p);
}

static int
fault_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}

static void
fault_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int
fault_shm_unmap(sqlite3_file *f, int del)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

static int
fault_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **p)
{
	return REAL(f)->pMethods->xFetch(REAL(f), off, n, p);
}

static int
fault_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods fault_io = {
	3, fault_close, fault_read, fault_write, fault_truncate, fault_sync,
	fault_size, fault_lock, fault_unlock, fault_check_lock, fault_control,
	fault_sector, fault_device, fault_shm_map, fault_shm_lock,
	fault_shm_barrier, fault_shm_unmap, fault_fetch, fault_unfetch
};

static int
fault_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
    int *out)
{
	struct fault_file	*ff = (struct fault_file *)f;
	int			 rc;

	(void)vfs;
	ff->real = (sqlite3_file *)(ff + 1);
	rc = real_vfs->xOpen(real_vfs, name, ff->real, flags, out);
	/* SQLite closes a file only when it has methods. */
	f->pMethods = ff->real->pMethods != NULL ? &fault_io : NULL;
	return rc;
}

static int
fault_delete(sqlite3_vfs *vfs, const char *name, int dirsync)
{
	(void)vfs;
	if (fault_now(F_DELETE))
		return fault_error(SQLITE_IOERR_DELETE);
	return real_vfs->xDelete(real_vfs, name, dirsync);
}

static int
fault_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int
fault_fullpath(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static void *
fault_dlopen(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return real_vfs->xDlOpen(real_vfs, name);
}

static void
fault_dlerror(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	real_vfs->xDlError(real_vfs, n, out);
}

static void (*fault_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	(void)vfs;
	return real_vfs->xDlSym(real_vfs, h, sym);
}

static void
fault_dlclose(sqlite3_vfs *vfs, void *h)
{
	(void)vfs;
	real_vfs->xDlClose(real_vfs, h);
}

static int
fault_random(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs->xRandomness(real_vfs, n, out);
}

static int
fault_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return real_vfs->xSleep(real_vfs, us);
}

static int
fault_time(sqlite3_vfs *vfs, double *t)
{
	(void)vfs;
	return real_vfs->xCurrentTime(real_vfs, t);
}

static int
fault_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs->xGetLastError(real_vfs, n, out);
}

static int
fault_time64(sqlite3_vfs *vfs, sqlite3_int64 *t)
{
	(void)vfs;
	return real_vfs->xCurrentTimeInt64(real_vfs, t);
}

static sqlite3_vfs fault_vfs = {
	2, 0, 0, NULL, "exodb-fault", NULL, fault_open, fault_delete,
	fault_access, fault_fullpath, fault_dlopen, fault_dlerror, fault_dlsym,
	fault_dlclose, fault_random, fault_sleep, fault_time, fault_last_error,
	fault_time64, NULL, NULL, NULL
};

static void *
fault_malloc(int n)
{
	if (fault_now(F_MALLOC))
		return NULL;
	return real_mem.xMalloc(n);
}

static void *
fault_realloc(void *p, int n)
{
	if (fault_now(F_MALLOC))
		return NULL;
	return real_mem.xRealloc(p, n);
}

static void
fault_config(const char *spec)
{
	static const char *const ops[] = { "", "write", "sync", "truncate",
	    "delete", "malloc" };
	char	*copy, *word, *save = NULL;
	size_t	 i;

	copy = strdup(spec);
	if (copy == NULL)
		abort();
	word = strtok_r(copy, ":", &save);
	for (i = 1; word != NULL && i < sizeof ops / sizeof ops[0]; i++) {
		if (strcmp(word, ops[i]) == 0)
			fault_op = (enum fault_op)i;
	}
	if (fault_op == F_NONE || (word = strtok_r(NULL, ":", &save)) == NULL ||
	    (fault_k = strtol(word, NULL, 10)) < 1) {
		fprintf(stderr, "exodb-fault: bad EXODB_FAULT '%s'\n", spec);
		exit(3);
	}
	if ((word = strtok_r(NULL, ":", &save)) != NULL)
		fault_persist = strcmp(word, "persist") == 0;
	if ((word = strtok_r(NULL, ":", &save)) != NULL)
		fault_full = strcmp(word, "full") == 0;
	free(copy);
}

__attribute__((constructor)) static void
fault_init(void)
{
	static sqlite3_mem_methods	 mem;
	const char			*spec;

	if ((spec = getenv("EXODB_FAULT")) != NULL && *spec != '\0')
		fault_config(spec);
	fault_log = getenv("EXODB_FAULT_LOG");
	if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &real_mem) != SQLITE_OK)
		abort();
	mem = real_mem;
	mem.xMalloc = fault_malloc;
	mem.xRealloc = fault_realloc;
	if (sqlite3_config(SQLITE_CONFIG_MALLOC, &mem) != SQLITE_OK)
		abort();
	/* What exodb's main() would configure, before SQLite starts. */
	sqlite3_config(SQLITE_CONFIG_URI, 0);
	if ((real_vfs = sqlite3_vfs_find("unix")) == NULL)
		abort();
	fault_vfs.szOsFile = (int)sizeof(struct fault_file) +
	    real_vfs->szOsFile;
	fault_vfs.mxPathname = real_vfs->mxPathname;
	if (sqlite3_vfs_register(&fault_vfs, 1) != SQLITE_OK)
		abort();
	/* Faults start with exodb's own work, once SQLite is set up. */
	fault_armed = 1;
}
