/*
 * PostgreSQL through libpq: telling a URI from a SQLite path, showing one
 * without its password, connecting, running statements and turning the
 * server's errors into one line; and splitting a revision's section into
 * statements, which libpq does not do (psql has its own lexer, not a library).
 *
 * libpq parses the URI (PQconninfoParse, PQconnectdbParams): this file only
 * finds the password's text in it, to leave it out of anything shown.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "pq.h"

#include "exodb.h"

static int	pg_gave_up;

/* Whether a -D or EXODB_DATABASE value names a PostgreSQL database. */
int
pg_is_uri(const char *s)
{
	return strncmp(s, "postgresql://", 13) == 0 ||
	    strncmp(s, "postgres://", 11) == 0;
}

/*
 * Where the password's text is in uri, as written: after the user's name
 * and ':' before the '@' of the authority (which libpq takes as the first
 * '@' before any '/'), or the value of a password= parameter. Sets *at and
 * *n for the first that starts after from; returns 0 when there is none.
 */
static int
pg_password_text(const char *uri, const char *from, const char **at,
    size_t *n)
{
	const char	*p = strstr(uri, "://") + 3, *end, *colon, *q;

	end = p + strcspn(p, "@/?");
	if (*end == '@' && (colon = memchr(p, ':', (size_t)(end - p))) !=
	    NULL && colon + 1 > from) {
		*at = colon + 1;
		*n = (size_t)(end - colon - 1);
		return 1;
	}
	if ((q = strchr(p, '?')) == NULL)
		return 0;
	for (q++; *q != '\0'; q += strcspn(q, "&"), q += *q == '&') {
		if (strncmp(q, "password=", 9) == 0 && q + 9 > from) {
			*at = q + 9;
			*n = strcspn(*at, "&");
			return 1;
		}
	}
	return 0;
}

/*
 * uri as it may be shown: without its password (the ":secret" of the
 * user's part, a "password=" parameter). The caller frees it.
 */
char *
pg_display(const char *uri)
{
	sqlite3_str	*s = sqlite3_str_new(NULL);
	const char	*p = uri, *at, *from = uri;
	size_t		 n;

	while (pg_password_text(uri, from, &at, &n)) {
		from = at;
		if (at[-1] == ':') {
			/* "user:secret@": "user@" */
			sqlite3_str_append(s, p, (int)(at - 1 - p));
		} else {
			/* "?password=secret&a=b", "&password=secret": gone */
			sqlite3_str_append(s, p, (int)(at - 9 - p -
			    (at[n] != '&' ? 1 : 0)));
			if (at[n] == '&')
				n++;
		}
		p = at + n;
	}
	sqlite3_str_appendall(s, p);
	return xstr_finish(s);
}

/* msg with any copy of uri's password text in it replaced: free it. */
static char *
pg_scrub(const char *uri, const char *msg)
{
	char		*out = xstrdup(msg), *hit, *pw;
	const char	*from = uri, *at;
	size_t		 n;

	while (pg_password_text(uri, from, &at, &n)) {
		from = at;
		if (n == 0)
			continue;
		pw = xstrndup(at, n);
		while ((hit = strstr(out, pw)) != NULL)
			memset(hit, '*', n);
		free(pw);
	}
	return out;
}

/* libpq's message as one line, without its final newline: free it. */
static char *
pg_one_line(const char *msg)
{
	char	*out = xstrdup(msg != NULL && *msg != '\0' ? msg :
		    "unknown error"), *p;
	size_t	 n = strlen(out);

	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
		out[--n] = '\0';
	for (p = out; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	}
	/* "failed: FATAL:  database..." and the like: one space will do. */
	while ((p = strstr(out, "  ")) != NULL)
		memmove(p, p + 1, strlen(p + 1) + 1);
	return out;
}

/*
 * Whether libpq can be loaded: 0, or -1 with *cause saying why not, which
 * is no mistake in the command line (unlike pg_check_uri()'s).
 */
int
pg_load(char **cause)
{
	return pq_load(cause);
}

/*
 * Check that libpq can read uri; *password says whether it holds one.
 * Returns -1 with *cause set (the URI shown without its password) if not.
 */
int
pg_check_uri(const char *uri, int *password, char **cause)
{
	PQconninfoOption	*opts, *o;
	char			*err = NULL, *shown, *line, *why;

	*password = 0;
	if (pq_load(cause) == -1)
		return -1;
	if ((opts = PQconninfoParse(uri, &err)) == NULL) {
		shown = pg_display(uri);
		line = pg_one_line(err != NULL ? err : "out of memory");
		why = pg_scrub(uri, line);
		*cause = xasprintf("%s: not a PostgreSQL URI: %s", shown, why);
		free(shown);
		free(line);
		free(why);
		PQfreemem(err);
		return -1;
	}
	for (o = opts; o->keyword != NULL; o++) {
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL)
			*password = 1;
	}
	PQconninfoFree(opts);
	return 0;
}

/* Notices (CREATE TABLE IF NOT EXISTS's "skipping") are nobody's business. */
static void
pg_ignore_notice(void *arg, const PGresult *res)
{
	(void)arg;
	(void)res;
}

/*
 * Connect to the database uri names, waiting at most timeout_ms for any
 * lock (lock_timeout). Returns -1 with *cause set, shown without the
 * password; close *conn with pg_close().
 */
int
pg_open(const char *uri, long timeout_ms, struct pg_conn **conn, char **cause)
{
	const char	*keys[] = { "dbname", "fallback_application_name",
			    "client_encoding", NULL };
	const char	*values[] = { uri, "exodb", "UTF8", NULL };
	char		*line, *why, *set;

	*conn = NULL;
	if (pq_load(cause) == -1)
		return -1;
	*conn = PQconnectdbParams(keys, values, 1);
	if (*conn == NULL) {
		*cause = xstrdup("out of memory");
		return -1;
	}
	if (PQstatus(*conn) != CONNECTION_OK) {
		line = pg_one_line(PQerrorMessage(*conn));
		why = pg_scrub(uri, line);
		*cause = xasprintf("cannot connect: %s", why);
		free(line);
		free(why);
		PQfinish(*conn);
		*conn = NULL;
		return -1;
	}
	PQsetNoticeReceiver(*conn, pg_ignore_notice, NULL);
	set = xasprintf("SET lock_timeout = %ld", timeout_ms);
	if (pg_exec(*conn, set, cause) == -1) {
		free(set);
		PQfinish(*conn);
		*conn = NULL;
		return -1;
	}
	free(set);
	return 0;
}

void
pg_close(struct pg_conn *conn)
{
	if (conn != NULL)
		PQfinish(conn);
}

/* Whether a statement failed for a lock that lock_timeout gave up on. */
int
pg_lock_gave_up(void)
{
	return pg_gave_up;
}

/*
 * The error of a failed result (or of the connection, for none) as one
 * line: the server's primary message. Sets *position to the character, from
 * 1, of the statement where it found the error, or 0. Free it.
 */
char *
pg_result_error(struct pg_conn *conn, const struct pg_result *res,
    unsigned long *position)
{
	const char	*msg, *pos, *state;

	if (position != NULL)
		*position = 0;
	if (res == NULL)
		return pg_one_line(PQerrorMessage(conn));
	if ((state = PQresultErrorField(res, PG_DIAG_SQLSTATE)) != NULL &&
	    strcmp(state, "55P03") == 0)
		pg_gave_up = 1;
	if (position != NULL && (pos = PQresultErrorField(res,
	    PG_DIAG_STATEMENT_POSITION)) != NULL)
		*position = strtoul(pos, NULL, 10);
	if ((msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)) == NULL)
		return pg_one_line(PQresultErrorMessage(res));
	return pg_one_line(msg);
}

/* Whether res holds what a statement that succeeded returns. */
int
pg_result_ok(const struct pg_result *res)
{
	ExecStatusType	st = res != NULL ? PQresultStatus(res) :
			    PGRES_FATAL_ERROR;

	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ||
	    st == PGRES_EMPTY_QUERY;
}

/* Run sql (one or more statements, no parameters), ignoring any rows. */
int
pg_exec(struct pg_conn *conn, const char *sql, char **cause)
{
	PGresult	*res = PQexec(conn, sql);

	if (!pg_result_ok(res)) {
		*cause = pg_result_error(conn, res, NULL);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

/*
 * Run one statement with n parameters (as text; NULL is NULL), bound and
 * never in its text. With res, its result is kept there for the caller to
 * PQclear(); without, its rows are dropped. Returns 0, or -1 with *cause the
 * server's message.
 */
int
pg_params(struct pg_conn *conn, const char *sql, int n,
    const char *const *values, struct pg_result **res, char **cause)
{
	PGresult	*r = PQexecParams(conn, sql, n, NULL, values, NULL, NULL,
			    0);

	if (res != NULL)
		*res = NULL;
	if (!pg_result_ok(r)) {
		*cause = pg_result_error(conn, r, NULL);
		PQclear(r);
		return -1;
	}
	if (res != NULL)
		*res = r;
	else
		PQclear(r);
	return 0;
}

/* Roll back whatever transaction is open; errors do not matter here. */
void
pg_rollback(struct pg_conn *conn)
{
	if (conn != NULL && PQtransactionStatus(conn) != PQTRANS_IDLE)
		PQclear(PQexec(conn, "ROLLBACK"));
}

/*
 * The end of a dollar-quote's opening tag at p ('$', then nothing or an
 * identifier, then '$'), or NULL when p starts none ($1 is a parameter).
 */
static const char *
pg_dollar_tag(const char *p)
{
	const char	*q = p + 1;

	if (*q >= '0' && *q <= '9')
		return NULL;
	while ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
	    (*q >= '0' && *q <= '9') || *q == '_' || (unsigned char)*q >= 0x80)
		q++;
	return *q == '$' ? q + 1 : NULL;
}

/* Past the string, identifier, comment or other token at p. */
static const char *
pg_skip_token(const char *p)
{
	const char	*tag, *end;
	char		 quote;
	size_t		 n;
	int		 depth, escapes;

	if (p[0] == '-' && p[1] == '-')
		return p + strcspn(p, "\n");
	if (p[0] == '/' && p[1] == '*') {
		/* PostgreSQL's block comments nest. */
		for (depth = 1, p += 2; *p != '\0' && depth > 0; p++) {
			if (p[0] == '/' && p[1] == '*')
				depth++, p++;
			else if (p[0] == '*' && p[1] == '/')
				depth--, p++;
		}
		return p;
	}
	if (*p == '$' && (tag = pg_dollar_tag(p)) != NULL) {
		n = (size_t)(tag - p);
		for (end = tag; *end != '\0'; end++) {
			if (strncmp(end, p, n) == 0)
				return end + n;
		}
		return end;
	}
	escapes = (*p == 'e' || *p == 'E') && p[1] == '\'';
	if (escapes)
		p++;
	if (*p == '\'' || *p == '"') {
		for (quote = *p++; *p != '\0'; p++) {
			if (escapes && *p == '\\' && p[1] != '\0')
				p++;
			else if (*p == quote && p[1] == quote)
				p++;
			else if (*p == quote)
				return p + 1;
		}
		return p;
	}
	/* A word (so that E in "TABLE" is not taken for E'...) or a byte. */
	if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	    *p == '_' || (unsigned char)*p >= 0x80) {
		while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '$' ||
		    (unsigned char)*p >= 0x80)
			p++;
		return p;
	}
	return p + 1;
}

/* Whether the token at p is a space or a comment. */
static int
pg_is_space(const char *p)
{
	return *p == ' ' || *p == '\t' || *p == '\r' || *p == '\f' ||
	    *p == '\n' || (p[0] == '-' && p[1] == '-') ||
	    (p[0] == '/' && p[1] == '*');
}

/* Past spaces and comments from p, counting the lines passed in *line. */
static const char *
pg_skip_space(const char *p, unsigned *line)
{
	const char	*next;

	for (;;) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\f' ||
		    *p == '\n') {
			*line += *p++ == '\n';
			continue;
		}
		if ((p[0] == '-' && p[1] == '-') || (p[0] == '/' &&
		    p[1] == '*')) {
			for (next = pg_skip_token(p); p < next; p++)
				*line += *p == '\n';
			continue;
		}
		return p;
	}
}

/*
 * Split sql, whose text starts on the given line, into its statements:
 * each one's text (without its ';') and the line its first word is on.
 * Strings, quoted names, dollar quotes and comments are skipped whole; what
 * is left unterminated is one last statement, for the server to refuse.
 */
struct pg_statements *
pg_split(const char *sql, unsigned line)
{
	struct pg_statements	*st = xcalloc(1, sizeof *st);
	const char		*p = sql, *start, *next, *end;
	size_t			 nalloc = 0;

	for (p = pg_skip_space(p, &line); *p != '\0';
	    p = pg_skip_space(p, &line)) {
		if (*p == ';') {
			p++;
			continue;
		}
		if (st->n == nalloc) {
			nalloc = nalloc == 0 ? 8 : nalloc * 2;
			st->v = xreallocarray(st->v, nalloc, sizeof *st->v);
		}
		st->v[st->n].line = line;
		/* Up to its last token: a comment after it is left out. */
		for (start = end = p; *p != '\0' && *p != ';'; ) {
			next = pg_skip_token(p);
			if (!pg_is_space(p))
				end = next;
			for (; p < next; p++)
				line += *p == '\n';
		}
		st->v[st->n].sql = xstrndup(start, (size_t)(end - start));
		st->n++;
	}
	return st;
}

void
pg_statements_free(struct pg_statements *st)
{
	size_t	i;

	if (st == NULL)
		return;
	for (i = 0; i < st->n; i++)
		free(st->v[i].sql);
	free(st->v);
	free(st);
}

/* The byte offset of character pos (from 1) of s, in UTF-8. */
size_t
pg_char_offset(const char *s, unsigned long pos)
{
	const char	*p = s;

	if (pos == 0)
		return 0;
	for (; *p != '\0'; p++) {
		if (((unsigned char)*p & 0xc0) != 0x80 && --pos == 0)
			break;
	}
	return (size_t)(p - s);
}

/*
 * Whether a statement ends, begins or otherwise manages the transaction it
 * runs in: BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK, ABORT,
 * SAVEPOINT, RELEASE, PREPARE TRANSACTION. Returns its first word(s), as
 * written in capitals, or NULL.
 */
const char *
pg_transaction_word(const char *sql)
{
	static const char	*words[] = { "BEGIN", "COMMIT", "END",
				    "ROLLBACK", "ABORT", "SAVEPOINT",
				    "RELEASE" };
	const char		*p = sql, *next;
	unsigned		 line = 0;
	size_t			 i, n;

	next = pg_skip_token(p);
	n = (size_t)(next - p);
	for (i = 0; i < sizeof words / sizeof *words; i++) {
		if (strlen(words[i]) == n && strncasecmp(p, words[i], n) == 0)
			return words[i];
	}
	p = pg_skip_space(next, &line);
	if (n == 5 && strncasecmp(sql, "START", 5) == 0 &&
	    strncasecmp(p, "TRANSACTION", 11) == 0)
		return "START TRANSACTION";
	if (n == 7 && strncasecmp(sql, "PREPARE", 7) == 0 &&
	    strncasecmp(p, "TRANSACTION", 11) == 0)
		return "PREPARE TRANSACTION";
	return NULL;
}

/* The word at p, if it is word (any case), and past it. */
static int
pg_word(const char **p, const char *word)
{
	const char	*next = pg_skip_token(*p);
	size_t		 n = strlen(word);
	unsigned	 line = 0;

	if ((size_t)(next - *p) != n || strncasecmp(*p, word, n) != 0)
		return 0;
	*p = pg_skip_space(next, &line);
	return 1;
}

/*
 * Whether a statement drops a table or a column, and their rows with them:
 * DROP TABLE, or ALTER TABLE ... DROP [COLUMN] (not DROP CONSTRAINT, nor
 * an ALTER COLUMN's DROP DEFAULT or DROP NOT NULL).
 */
int
pg_drops_data(const char *sql)
{
	static const char	*keep[] = { "CONSTRAINT", "DEFAULT", "NOT",
				    "EXPRESSION", "IDENTITY" };
	const char		*p = sql;
	unsigned		 line = 0;
	size_t			 i;

	if (pg_word(&p, "DROP"))
		return pg_word(&p, "TABLE");
	if (!pg_word(&p, "ALTER") || !pg_word(&p, "TABLE"))
		return 0;
	while (*p != '\0') {
		if (!pg_word(&p, "DROP")) {
			p = pg_skip_space(pg_skip_token(p), &line);
			continue;
		}
		for (i = 0; i < sizeof keep / sizeof *keep; i++) {
			if (pg_word(&p, keep[i]))
				break;
		}
		if (i == sizeof keep / sizeof *keep)
			return 1;
	}
	return 0;
}

/* A database name as part of a file name: [A-Za-z0-9._-], else '_'. */
static char *
pg_file_word(const char *name)
{
	char	*out = xstrdup(*name != '\0' ? name : "postgresql"), *p;

	for (p = out; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		    *p == '-'))
			*p = '_';
	}
	if (*out == '.')
		*out = '_';
	return out;
}

/* The password libpq would use from uri itself, or NULL; free it. */
static char *
pg_uri_password(const char *uri)
{
	PQconninfoOption	*opts, *o;
	char			*pw = NULL;

	if ((opts = PQconninfoParse(uri, NULL)) == NULL)
		return NULL;
	for (o = opts; o->keyword != NULL; o++) {
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL)
			pw = xstrdup(o->val);
	}
	PQconninfoFree(opts);
	return pw;
}

/*
 * Run pg_dump: argv, with PGPASSWORD=password added to the environment when
 * not NULL; its standard error is read into *err (the first line that says
 * "error", else the first). Returns its exit status, or -1 with *err set
 * when it could not be started (127: not installed).
 */
static int
pg_run_dump(char *const argv[], const char *password, char **err)
{
	extern char			**environ;
	posix_spawn_file_actions_t	  fa;
	char				**env, *pwvar = NULL, buf[4096], *line;
	char				  sink[4096];
	size_t				  n = 0, len = 0, room;
	ssize_t				  r;
	int				  fds[2], status, rc;
	pid_t				  pid;

	*err = NULL;
	for (n = 0; environ[n] != NULL; n++)
		;
	env = xcalloc(n + 2, sizeof *env);
	for (n = 0; environ[n] != NULL; n++)
		env[n] = environ[n];
	if (password != NULL)
		env[n] = pwvar = xasprintf("PGPASSWORD=%s", password);
	if (pipe2(fds, O_CLOEXEC) == -1) {
		*err = xasprintf("pipe: %s", strerror(errno));
		rc = -1;
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		*err = xstrdup(strerror(rc));
		rc = rc == ENOENT ? 127 : -1;
		goto out;
	}
	/* What does not fit is read and dropped, or it would block. */
	for (;;) {
		room = sizeof buf - 1 - len;
		r = read(fds[0], room > 0 ? buf + len : sink, room > 0 ? room :
		    sizeof sink);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (room > 0)
			len += (size_t)r;
	}
	close(fds[0]);
	buf[len] = '\0';
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if ((line = strstr(buf, "error: ")) == NULL)
		line = buf;
	line[strcspn(line, "\n")] = '\0';
	*err = pg_one_line(line);
out:
	if (pwvar != NULL) {
		explicit_bzero(pwvar, strlen(pwvar));
		free(pwvar);
	}
	free(env);
	return rc;
}

/*
 * Back the database up with pg_dump, in its custom format (pg_restore reads
 * it), into a new file in dir (made 0700 if missing) named after the
 * database and the time: <db>.<YYYYMMDDHHMMSS>.dump, or with -2, -3... if
 * that exists. *backup is set to its path; the caller frees it. The password
 * of the URI, if any, goes to pg_dump in PGPASSWORD, never on its command
 * line.
 */
int
pg_backup(struct pg_conn *conn, const char *uri, const char *dir,
    char **backup, char **cause)
{
	struct tm	 tm;
	time_t		 now = time(NULL);
	char		 stamp[32], *name = NULL, *db, *shown, *pw, *why = NULL;
	char		*argv[7];
	int		 i, rc, made = 0, ret = -1;

	*backup = NULL;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
	db = pg_file_word(PQdb(conn) != NULL ? PQdb(conn) : "");
	shown = pg_display(uri);
	pw = pg_uri_password(uri);
	if (mkdir(dir, 0700) == 0)
		made = 1;
	else if (errno != EEXIST) {
		*cause = xasprintf("%s: cannot make the backup folder: %s", dir,
		    strerror(errno));
		goto out;
	}
	for (i = 1; i < 100; i++) {
		free(name);
		name = i == 1 ? xasprintf("%s/%s.%s.dump", dir, db, stamp) :
		    xasprintf("%s/%s.%s-%d.dump", dir, db, stamp, i);
		if (access(name, F_OK) == -1)
			break;
	}
	if (i == 100) {
		*cause = xasprintf("%s: cannot find a free backup name", dir);
		goto out;
	}
	argv[0] = (char *)"pg_dump";
	argv[1] = (char *)"--format=custom";
	argv[2] = (char *)"--file";
	argv[3] = name;
	argv[4] = (char *)"--dbname";
	argv[5] = shown;
	argv[6] = NULL;
	rc = pg_run_dump(argv, pw, &why);
	if (rc == 127) {
		*cause = xasprintf("pg_dump is not installed; a downgrade backs "
		    "the database up with it first: install it (Debian: "
		    "postgresql-client), or give --no-backup");
		goto out;
	}
	if (rc != 0) {
		unlink(name);
		*cause = xasprintf("pg_dump could not back up the database: %s",
		    why);
		goto out;
	}
	*backup = name;
	name = NULL;
	ret = 0;
out:
	/* A failed command leaves nothing behind, not even the folder. */
	if (ret == -1 && made)
		rmdir(dir);
	if (why != NULL && ret == -1 && *cause != NULL) {
		/* Whatever pg_dump said, without the password. */
		free(why);
		why = pg_scrub(uri, *cause);
		free(*cause);
		*cause = why;
		why = NULL;
	}
	if (pw != NULL) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
	free(why);
	free(name);
	free(shown);
	free(db);
	return ret;
}

/*
 * Run n queries in one round trip, with libpq's pipeline mode: each is sent
 * with its parameters, then one sync. The first that fails sets *cause (the
 * rest are then skipped by the server); the result of the last is kept in
 * *last when not NULL (PQclear it). Returns 0 or -1.
 */
int
pg_pipeline(struct pg_conn *conn, const struct pg_query *q, size_t n,
    struct pg_result **last, char **cause)
{
	PGresult	*res;
	size_t		 i;
	int		 ret = 0;

	if (last != NULL)
		*last = NULL;
	if (PQenterPipelineMode(conn) != 1) {
		*cause = pg_result_error(conn, NULL, NULL);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (PQsendQueryParams(conn, q[i].sql, q[i].n, NULL, q[i].values,
		    NULL, NULL, 0) != 1)
			break;
	}
	if (i < n || PQpipelineSync(conn) != 1) {
		/* The connection is broken: nothing more can be read. */
		*cause = pg_result_error(conn, NULL, NULL);
		PQexitPipelineMode(conn);
		return -1;
	}
	for (i = 0; i < n; i++) {
		while ((res = PQgetResult(conn)) != NULL) {
			if (ret == 0 && !pg_result_ok(res)) {
				*cause = pg_result_error(conn, res, NULL);
				ret = -1;
			}
			if (ret == 0 && last != NULL && i == n - 1) {
				PQclear(*last);
				*last = res;
			} else
				PQclear(res);
		}
	}
	/* The sync's own result; then the connection is idle again. */
	while ((res = PQgetResult(conn)) != NULL) {
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			break;
		}
		PQclear(res);
	}
	if (PQexitPipelineMode(conn) != 1 && ret == 0) {
		*cause = pg_result_error(conn, NULL, NULL);
		ret = -1;
	}
	if (ret == -1 && last != NULL) {
		PQclear(*last);
		*last = NULL;
	}
	return ret;
}
