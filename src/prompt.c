/*
 * Reading a password: from the terminal (/dev/tty) with echo off, or one line
 * of standard input with --password-stdin; never from the command line or the
 * environment. Whatever happens, the terminal gets its echo back, also when a
 * signal ends or stops exodb at the prompt, and the bytes read are wiped
 * before an error is reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include "exodb.h"

/* The signals that would leave the terminal without echo. */
static const int prompt_signals[] = {
	SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP
};
#define PROMPT_NSIGNALS (sizeof prompt_signals / sizeof prompt_signals[0])

/* The terminal while echo is off, for the signal handler. */
static volatile sig_atomic_t	prompt_fd = -1;
static struct termios		prompt_saved;	/* as it was */
static struct termios		prompt_quiet;	/* without echo */
static struct sigaction		prompt_old[PROMPT_NSIGNALS];

/*
 * Give the terminal back its echo, then let the signal do what it would
 * have done: end exodb, or stop it. After a stop (SIGTSTP), turn echo off
 * again and carry on reading.
 */
static void
prompt_signal(int sig)
{
	struct sigaction	 sa, mine;
	sigset_t		 set;
	int			 save_errno = errno, fd = prompt_fd;

	if (fd != -1) {
		tcsetattr(fd, TCSANOW, &prompt_saved);
		(void)!write(fd, "\n", 1);
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, &mine);
	raise(sig);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	/* Only a stop comes back here. */
	sigaction(sig, &mine, NULL);
	if (fd != -1)
		tcsetattr(fd, TCSANOW, &prompt_quiet);
	errno = save_errno;
}

/* Turn echo off on fd and catch the signals that would leave it off. */
static int
prompt_quiet_on(int fd, char **cause)
{
	struct sigaction	 sa;
	size_t			 i;

	if (tcgetattr(fd, &prompt_saved) == -1) {
		*cause = xasprintf("cannot read the terminal's settings: %s",
		    strerror(errno));
		return -1;
	}
	prompt_quiet = prompt_saved;
	prompt_quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
	prompt_quiet.c_lflag |= ECHONL | ICANON;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = prompt_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < PROMPT_NSIGNALS; i++)
		sigaddset(&sa.sa_mask, prompt_signals[i]);
	prompt_fd = fd;
	for (i = 0; i < PROMPT_NSIGNALS; i++) {
		sigaction(prompt_signals[i], NULL, &prompt_old[i]);
		/* A signal ignored by whoever started exodb stays ignored. */
		if (prompt_old[i].sa_handler != SIG_IGN)
			sigaction(prompt_signals[i], &sa, NULL);
	}
	if (tcsetattr(fd, TCSAFLUSH, &prompt_quiet) == -1) {
		*cause = xasprintf("cannot turn off the terminal's echo: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Undo prompt_quiet_on(): the terminal as it was, the signals as they were. */
static void
prompt_quiet_off(void)
{
	sigset_t	set, old;
	size_t		i;

	if (prompt_fd == -1)
		return;
	sigemptyset(&set);
	for (i = 0; i < PROMPT_NSIGNALS; i++)
		sigaddset(&set, prompt_signals[i]);
	sigprocmask(SIG_BLOCK, &set, &old);
	tcsetattr(prompt_fd, TCSANOW, &prompt_saved);
	for (i = 0; i < PROMPT_NSIGNALS; i++)
		sigaction(prompt_signals[i], &prompt_old[i], NULL);
	prompt_fd = -1;
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static int
prompt_write(int fd, const char *s)
{
	size_t	len = strlen(s);
	ssize_t	n;

	while (len > 0) {
		n = write(fd, s, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Read one line from fd into buf, without its newline, NUL-terminated, a byte
 * at a time so that nothing is left in a stdio buffer. Bytes beyond size - 1
 * are read to the end of the line and dropped, and *len is then size, so the
 * caller can tell. Returns 0 for a line (or bytes ended by end of input), 1
 * for end of input before any byte, -1 on a read error.
 */
static int
prompt_line(int fd, char *buf, size_t size, size_t *len)
{
	size_t	n = 0;
	ssize_t	r;
	char	c;

	for (;;) {
		r = read(fd, &c, 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto fail;
		if (r == 0 || c == '\n')
			break;
		if (n < size - 1)
			buf[n] = c;
		if (n < size)
			n++;
	}
	explicit_bzero(&c, sizeof c);
	*len = n;
	buf[n < size ? n : size - 1] = '\0';
	return r == 0 && n == 0 ? 1 : 0;
fail:
	explicit_bzero(&c, sizeof c);
	explicit_bzero(buf, size);
	return -1;
}

/* Read one password into buf and check its length; wipes buf on failure. */
static int
prompt_read(int fd, const char *prompt, char *buf, size_t size, size_t *len,
    char **cause)
{
	int	rc;

	if (prompt != NULL && prompt_write(fd, prompt) == -1) {
		*cause = xasprintf("cannot write to the terminal: %s",
		    strerror(errno));
		return -1;
	}
	rc = prompt_line(fd, buf, size, len);
	if (rc == -1) {
		*cause = xasprintf("cannot read the password: %s",
		    strerror(errno));
		return -1;
	}
	if (rc == 1) {
		/* The terminal echoed no newline for the end of input. */
		if (prompt != NULL)
			(void)prompt_write(fd, "\n");
		*cause = xstrdup(prompt != NULL ? "no password given (end of "
		    "input at the prompt)" : "no password on standard input");
		return -1;
	}
	if (*len > PASSWORD_MAX) {
		explicit_bzero(buf, size);
		*cause = xasprintf("password is longer than %d bytes; refused, "
		    "not truncated", PASSWORD_MAX);
		return -1;
	}
	if (*len < PASSWORD_MIN) {
		explicit_bzero(buf, size);
		*cause = xasprintf("password is shorter than %d bytes",
		    PASSWORD_MIN);
		return -1;
	}
	return 0;
}

/* The terminal, or -1 with a cause naming the way out for scripts. */
static int
prompt_tty(const char *what, const char *instead, char **cause)
{
	int	fd;

	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1) {
		*cause = xasprintf("no terminal to ask for %s on; use %s", what,
		    instead);
		return -1;
	}
	return fd;
}

/*
 * Read a password into buf (at least PASSWORD_MAX + 1 bytes; *len its
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
	char	again[PASSWORD_MAX + 2];
	size_t	againlen = 0;
	int	fd, ret = -1;

	*len = 0;
	if (flags & PROMPT_STDIN)
		return prompt_read(STDIN_FILENO, NULL, buf, size, len, cause);
	if ((fd = prompt_tty("the password", "--password-stdin",
	    cause)) == -1)
		return -1;
	if (prompt_quiet_on(fd, cause) == -1)
		goto out;
	if (prompt_read(fd, prompt, buf, size, len, cause) == -1)
		goto out;
	if (flags & PROMPT_TWICE) {
		if (prompt_read(fd, "Repeat the password: ", again,
		    sizeof again, &againlen, cause) == -1)
			goto out;
		if (againlen != *len || memcmp(again, buf, *len) != 0) {
			*cause = xstrdup("the two passwords differ");
			goto out;
		}
	}
	ret = 0;
out:
	prompt_quiet_off();
	explicit_bzero(again, sizeof again);
	if (ret == -1) {
		explicit_bzero(buf, size);
		*len = 0;
	}
	close(fd);
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
	size_t	len;
	int	fd, rc;

	*yes = 0;
	if ((fd = prompt_tty("confirmation", "--yes", cause)) == -1)
		return -1;
	if (prompt_write(fd, question) == -1) {
		*cause = xasprintf("cannot write to the terminal: %s",
		    strerror(errno));
		close(fd);
		return -1;
	}
	rc = prompt_line(fd, answer, sizeof answer, &len);
	close(fd);
	if (rc == -1) {
		*cause = xasprintf("cannot read the answer: %s",
		    strerror(errno));
		return -1;
	}
	*yes = rc == 0 && (strcasecmp(answer, "y") == 0 ||
	    strcasecmp(answer, "yes") == 0);
	return 0;
}
