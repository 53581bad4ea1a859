/*
 * An LD_PRELOAD library for the fault and kill tests, never linked into
 * exodb: it counts the calls of the system functions EXODB_SHIM names and,
 * at the k-th, either fails it or kills the process before it runs.
 *
 *   EXODB_SHIM=ACTION:FUNCS:K
 *	ACTION	fail (the call returns -1: ENOSPC for a write, EIO for the
 *		rest) or kill (SIGKILL before the call)
 *	FUNCS	a comma list of write, pwrite, fsync, fdatasync, ftruncate,
 *		unlink, rename, linkat
 *	K	which call, from 1
 *
 * EXODB_SHIM_LOG, when set, names a file that gets "fired K" when the shim
 * acted, or "calls N" at a normal exit, so a driver knows when k ran past
 * the last call.
 */
#define _GNU_SOURCE
#include <sys/types.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int	shim_ready, shim_kill;
static char	shim_funcs[256];
static long	shim_k, shim_count;
static const char *shim_log;

static ssize_t	(*real_write)(int, const void *, size_t);

static void
shim_note(const char *what, long n)
{
	char	line[64];
	int	fd, len;

	if (shim_log == NULL)
		return;
	len = snprintf(line, sizeof line, "%s %ld\n", what, n);
	fd = open(shim_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd != -1) {
		if (real_write(fd, line, (size_t)len) != len)
			len = 0;
		close(fd);
	}
}

__attribute__((constructor)) static void
shim_init(void)
{
	const char	*spec = getenv("EXODB_SHIM");
	char		 action[16];
	int		 n = 0;

	real_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT,
	    "write");
	shim_log = getenv("EXODB_SHIM_LOG");
	if (spec == NULL || *spec == '\0')
		return;
	if (sscanf(spec, "%15[^:]:%250[^:]:%ld%n", action, shim_funcs + 1,
	    &shim_k, &n) != 3 || spec[n] != '\0' || shim_k < 1) {
		fprintf(stderr, "exodb shim: bad EXODB_SHIM '%s'\n", spec);
		_exit(3);
	}
	shim_funcs[0] = ',';
	strcat(shim_funcs, ",");
	shim_kill = strcmp(action, "kill") == 0;
	shim_ready = 1;
}

__attribute__((destructor)) static void
shim_fini(void)
{
	if (shim_ready)
		shim_note("calls", shim_count);
}

/* Whether this call of func is the one to act on (a kill does not return). */
static int
shim_now(const char *func)
{
	char	key[32];

	if (!shim_ready)
		return 0;
	snprintf(key, sizeof key, ",%s,", func);
	if (strstr(shim_funcs, key) == NULL || ++shim_count != shim_k)
		return 0;
	shim_note("fired", shim_k);
	if (shim_kill)
		raise(SIGKILL);
	return 1;
}

/* The C library's function of the same name and type, as real_. */
#define NEXT(name) \
	static __typeof__(&name) real_; \
	if (real_ == NULL) \
		real_ = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

ssize_t
write(int fd, const void *buf, size_t n)
{
	NEXT(write);
	if (shim_now("write")) {
		errno = ENOSPC;
		return -1;
	}
	return real_(fd, buf, n);
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
	NEXT(pwrite);
	if (shim_now("pwrite")) {
		errno = ENOSPC;
		return -1;
	}
	return real_(fd, buf, n, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	NEXT(pwrite64);
	if (shim_now("pwrite")) {
		errno = ENOSPC;
		return -1;
	}
	return real_(fd, buf, n, off);
}

int
fsync(int fd)
{
	NEXT(fsync);
	if (shim_now("fsync")) {
		errno = EIO;
		return -1;
	}
	return real_(fd);
}

int
fdatasync(int fd)
{
	NEXT(fdatasync);
	if (shim_now("fdatasync")) {
		errno = EIO;
		return -1;
	}
	return real_(fd);
}

int
ftruncate(int fd, off_t len)
{
	NEXT(ftruncate);
	if (shim_now("ftruncate")) {
		errno = EIO;
		return -1;
	}
	return real_(fd, len);
}

int
ftruncate64(int fd, off_t len)
{
	NEXT(ftruncate64);
	if (shim_now("ftruncate")) {
		errno = EIO;
		return -1;
	}
	return real_(fd, len);
}

int
unlink(const char *path)
{
	NEXT(unlink);
	if (shim_now("unlink")) {
		errno = EIO;
		return -1;
	}
	return real_(path);
}

int
unlinkat(int dirfd, const char *path, int flags)
{
	NEXT(unlinkat);
	if (shim_now("unlink")) {
		errno = EIO;
		return -1;
	}
	return real_(dirfd, path, flags);
}

int
rename(const char *from, const char *to)
{
	NEXT(rename);
	if (shim_now("rename")) {
		errno = EIO;
		return -1;
	}
	return real_(from, to);
}

int
renameat(int fromfd, const char *from, int tofd, const char *to)
{
	NEXT(renameat);
	if (shim_now("rename")) {
		errno = EIO;
		return -1;
	}
	return real_(fromfd, from, tofd, to);
}

int
linkat(int fromfd, const char *from, int tofd, const char *to, int flags)
{
	NEXT(linkat);
	if (shim_now("linkat")) {
		errno = EIO;
		return -1;
	}
	return real_(fromfd, from, tofd, to, flags);
}
