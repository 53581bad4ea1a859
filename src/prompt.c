/*
 * Reading a password: from the terminal (/dev/tty) with echo off, or one line
 * of standard input with --password-stdin; never from the command line or the
 * environment. readpassphrase(3), from libbsd, does the terminal's part: the
 * echo comes back whatever signal ends or stops exodb at the prompt, and after
 * a stop (Ctrl-Z, then fg) the prompt is shown again and read afresh. What is
 * read is wiped before an error is reported.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include <bsd/readpassphrase.h>

#include "exodb.h"

/*
 * Read one password into buf (size bytes, PROMPT_BUFSIZE or more) and check
 * it: PASSWORD_MIN to PASSWORD_MAX bytes, no NUL byte. A longer line is read
 * to its end and refused, never cut: buf holds one byte more than a password
 * may. rpp holds readpassphrase's flags. On failure buf is wiped.
 */
static int
prompt_read(const char *prompt, int rpp, char *buf, size_t size, size_t *len,
    char **cause)
{
	int	tty = !(rpp & RPP_STDIN);
	size_t	i;

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
	} else if (*len > PASSWORD_MAX) {
		explicit_bzero(buf, size);
		*cause = xasprintf("password is longer than %d bytes; refused, "
		    "not truncated", PASSWORD_MAX);
	} else if (*len < PASSWORD_MIN) {
		explicit_bzero(buf, size);
		*cause = xasprintf("password is shorter than %d bytes",
		    PASSWORD_MIN);
	} else
		return 0;
	*len = 0;
	return -1;
}

/*
 * Read a password into buf (size bytes, at least PROMPT_BUFSIZE; *len its
 * length): from the terminal without echo after prompt, asked again and
 * compared with PROMPT_TWICE, or from one line of standard input with
 * PROMPT_STDIN. It must be PASSWORD_MIN to PASSWORD_MAX bytes long. On
 * failure buf holds nothing of what was read. The caller wipes buf with
 * explicit_bzero() once done with it.
 */
int
prompt_password(const char *prompt, int flags, char *buf, size_t size,
    size_t *len, char **cause)
{
	char	again[PROMPT_BUFSIZE];
	size_t	againlen = 0;
	int	ret = -1;

	if (flags & PROMPT_STDIN)
		return prompt_read("", RPP_STDIN | RPP_ECHO_OFF, buf, size, len,
		    cause);
	if (prompt_read(prompt, RPP_REQUIRE_TTY | RPP_ECHO_OFF, buf, size, len,
	    cause) == -1)
		goto out;
	if (flags & PROMPT_TWICE) {
		if (prompt_read("Repeat the password: ", RPP_REQUIRE_TTY |
		    RPP_ECHO_OFF, again, sizeof again, &againlen, cause) == -1)
			goto out;
		if (againlen != *len || memcmp(again, buf, *len) != 0) {
			*cause = xstrdup("the two passwords differ");
			goto out;
		}
	}
	ret = 0;
out:
	explicit_bzero(again, sizeof again);
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
