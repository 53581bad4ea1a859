/*
 * Reading a password: from the terminal (/dev/tty) with echo off, or one line
 * of standard input with --password-stdin; never from the command line or the
 * environment. readpassphrase(3), from libbsd, does the terminal's part: the
 * echo comes back whatever signal ends or stops exodb at the prompt, and after
 * a stop (Ctrl-Z, then fg) the prompt is shown again and read afresh. What is
 * read is wiped before an error is reported. --password-stdin on the
 * terminal itself reads it as the terminal is read, echo off.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include <bsd/readpassphrase.h>

#include "exodb.h"

/*
 * Read one password into buf (size bytes, PROMPT_BUFSIZE or more; with
 * PROMPT_CHECK in flags, PROMPT_CHECK_BUFSIZE) and check it: PASSWORD_MIN
 * to PASSWORD_MAX bytes (with PROMPT_CHECK, 1 to PASSWORD_CHECK_MAX: a
 * password to check may be whatever the app let its user set), no NUL
 * byte. A longer line is read to its end and refused, never cut: buf holds
 * one byte more than a password may. rpp holds readpassphrase's flags. On
 * failure buf is wiped.
 */
static int
prompt_read(const char *prompt, int flags, int rpp, char *buf, size_t size,
    size_t *len, char **cause)
{
	int	tty = !(rpp & RPP_STDIN), check = flags & PROMPT_CHECK;
	size_t	i, min = check ? 1 : PASSWORD_MIN;
	size_t	max = check ? PASSWORD_CHECK_MAX : PASSWORD_MAX;

	*len = 0;
	/* Zeroed first, so that a NUL inside the line can be seen after it. */
	explicit_bzero(buf, size);
	if (readpassphrase(prompt, buf, size, rpp) == NULL) {
		explicit_bzero(buf, size);
		if (tty && errno == ENOTTY)
			*cause = xstrdup("no terminal to ask for the password "
			    "on; use --password-stdin");
		else
			*cause = xasprintf("cannot read the password: %s",
			    strerror(errno));
		return -1;
	}
	*len = strlen(buf);
	for (i = *len; i < size && buf[i] == '\0'; i++)
		;
	if (i < size) {
		explicit_bzero(buf, size);
		*cause = xstrdup("password contains a NUL byte");
	} else if (*len == 0) {
		/* readpassphrase tells an empty line from end of input no more. */
		*cause = xstrdup(tty ? "no password given (an empty line or end "
		    "of input at the prompt)" : "no password on standard input");
	} else if (*len > max) {
		explicit_bzero(buf, size);
		*cause = xasprintf("password is longer than %zu bytes; refused, "
		    "not truncated", max);
	} else if (*len < min) {
		explicit_bzero(buf, size);
		*cause = xasprintf("password is shorter than %zu bytes", min);
	} else
		return 0;
	*len = 0;
	return -1;
}

/*
 * Whether standard input is a terminal: 0 when not, 1 when it is exodb's
 * controlling terminal (which readpassphrase then reads, as /dev/tty, with
 * echo off), -1 with *cause when it is some other terminal, whose echo
 * exodb could not be sure to give back.
 */
static int
prompt_stdin_tty(char **cause)
{
	if (!isatty(STDIN_FILENO))
		return 0;
	if (tcgetsid(STDIN_FILENO) != -1 && tcgetsid(STDIN_FILENO) ==
	    getsid(0))
		return 1;
	*cause = xstrdup("standard input is a terminal other than exodb's "
	    "own, whose echo it cannot turn off; use that terminal or a pipe");
	return -1;
}

/*
 * Read a password into buf (size bytes, at least PROMPT_BUFSIZE, or
 * PROMPT_CHECK_BUFSIZE with PROMPT_CHECK; *len its length): from the
 * terminal without echo after prompt, or from one line of standard input
 * with PROMPT_STDIN (unless standard input is the terminal: then as from the
 * terminal). With PROMPT_TWICE it is asked again and compared; a mismatch
 * asks both again, PROMPT_TRIES times in all. The line's end, "\n" or
 * "\r\n" (readpassphrase stops at either byte), is not part of it. On
 * failure buf holds nothing of what was read. The caller wipes buf with
 * explicit_bzero() once done with it.
 */
int
prompt_password(const char *prompt, int flags, char *buf, size_t size,
    size_t *len, char **cause)
{
	char		 again[PROMPT_BUFSIZE], *retry = NULL;
	const char	*ask = prompt;
	size_t		 againlen = 0;
	int		 rpp = RPP_REQUIRE_TTY | RPP_ECHO_OFF, tries, ret = -1;

	if (flags & PROMPT_STDIN) {
		switch (prompt_stdin_tty(cause)) {
		case -1:
			return -1;
		case 0:
			return prompt_read("", flags, RPP_STDIN | RPP_ECHO_OFF,
			    buf, size, len, cause);
		}
		/* The terminal itself: read as the terminal is read. */
	}
	for (tries = 1; ; tries++) {
		if (prompt_read(ask, flags, rpp, buf, size, len, cause) == -1)
			goto out;
		if (!(flags & PROMPT_TWICE))
			break;
		if (prompt_read("Repeat the password: ", flags, rpp, again,
		    sizeof again, &againlen, cause) == -1)
			goto out;
		if (againlen == *len && memcmp(again, buf, *len) == 0)
			break;
		explicit_bzero(buf, size);
		explicit_bzero(again, sizeof again);
		if (tries == PROMPT_TRIES) {
			*cause = xasprintf("the two passwords differ, %d times",
			    PROMPT_TRIES);
			goto out;
		}
		if (retry == NULL)
			retry = xasprintf("the two passwords differ; try "
			    "again\n%s", prompt);
		ask = retry;
	}
	ret = 0;
out:
	explicit_bzero(again, sizeof again);
	free(retry);
	if (ret == -1) {
		explicit_bzero(buf, size);
		*len = 0;
	}
	return ret;
}

/*
 * Ask a yes/no question on the terminal; *yes is set for "y" or "yes" in any
 * case, anything else (end of input too) is no. No terminal is an error.
 */
int
prompt_confirm(const char *question, int *yes, char **cause)
{
	char	answer[8];

	*yes = 0;
	if (readpassphrase(question, answer, sizeof answer, RPP_REQUIRE_TTY |
	    RPP_ECHO_ON) == NULL) {
		if (errno == ENOTTY)
			*cause = xstrdup("no terminal to ask for confirmation "
			    "on; use --yes");
		else
			*cause = xasprintf("cannot read the answer: %s",
			    strerror(errno));
		return -1;
	}
	*yes = strcasecmp(answer, "y") == 0 || strcasecmp(answer, "yes") == 0;
	return 0;
}
