/*
 * What the command layer shares: the verbosity set by -q and -v, and the
 * three ways it speaks. Errors are one line, "exodb: what: why"; notes and
 * progress go to stderr, so that stdout carries only data.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "exodb.h"

int verbosity = 1;

void
cmd_error(const char *fmt, ...)
{
	va_list	ap;

	fflush(stdout);
	fputs("exodb: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
cmd_vnote(int level, const char *fmt, va_list ap)
{
	if (verbosity < level)
		return;
	fflush(stdout);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
cmd_note(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cmd_vnote(1, fmt, ap);
	va_end(ap);
}

void
cmd_verbose(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cmd_vnote(2, fmt, ap);
	va_end(ap);
}

int
cmd_require_head(struct cmd *cmd, char **cause)
{
	struct history	*h = NULL;
	int		 ret = -1;

	if (history_read(cmd->db, &h, cause) == -1)
		return -1;
	if (history_verify(cmd->repo, h, cause) == -1)
		goto out;
	if (!history_at_head(cmd->repo, h)) {
		*cause = xasprintf("%s: database is not up to date; run 'exodb "
		    "db upgrade'", cmd->database);
		goto out;
	}
	ret = 0;
out:
	history_free(h);
	return ret;
}
