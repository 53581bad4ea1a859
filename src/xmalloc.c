/*
 * Allocation that cannot fail: running out of memory ends the program here, in
 * one place, so that no caller needs to test for NULL.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exodb.h"

static void __attribute__((noreturn))
xmalloc_fatal(void)
{
	static const char msg[] = "exodb: out of memory\n";

	(void)!write(STDERR_FILENO, msg, sizeof msg - 1);
	_exit(1);
}

void *
xmalloc(size_t size)
{
	void	*p;

	if ((p = malloc(size == 0 ? 1 : size)) == NULL)
		xmalloc_fatal();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size)) == NULL)
		xmalloc_fatal();
	return p;
}

void *
xreallocarray(void *old, size_t n, size_t size)
{
	void	*p;

	if (size != 0 && n > SIZE_MAX / size)
		xmalloc_fatal();
	if ((p = realloc(old, n * size == 0 ? 1 : n * size)) == NULL)
		xmalloc_fatal();
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t len)
{
	char	*p;

	p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	char	*p;

	if (vasprintf(&p, fmt, ap) == -1)
		xmalloc_fatal();
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*p;

	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

/*
 * Finish a sqlite3_str and return its text as memory of ours, so that every
 * string the program passes around is freed with free(). An empty string comes
 * back as "", never NULL.
 */
char *
xstr_finish(sqlite3_str *str)
{
	char	*text, *p;

	if (sqlite3_str_errcode(str) != SQLITE_OK)
		xmalloc_fatal();
	text = sqlite3_str_finish(str);
	p = xstrdup(text == NULL ? "" : text);
	sqlite3_free(text);
	return p;
}
