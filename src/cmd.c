/*
 * What the command layer shares: the verbosity set by -q and -v, the ways it
 * speaks, and options. Errors are one line, "exodb: what: why"; notes and
 * progress go to stderr, so that stdout carries only data.
 *
 * Options are declared once, as a table of struct cmd_option; the getopt
 * table, the usage line and --help are made from it here.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

int verbosity = 1;

/* getopt_long() returns this plus a row's index for its long name. */
#define CMD_OPT_LONG	256

/* Where --help starts on a line of a command's --help. */
#define CMD_HELP_COLUMN	29

static const struct cmd_option cmd_help_option = {
	.id = OPT_HELP, .letter = 'h', .name = "help", .help = "show this help"
};

/*
 * An error is one line whatever it quotes: a control character from argv or
 * a file (a newline, an escape sequence for the terminal) is written as '?',
 * as ls -q does.
 */
void
cmd_error(const char *fmt, ...)
{
	va_list	 ap;
	char	*msg, *p;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	for (p = msg; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 && *p != '\t')
			*p = '?';
		else if (*p == 0x7f)
			*p = '?';
	}
	fflush(stdout);
	fprintf(stderr, "exodb: %s\n", msg);
	free(msg);
}

static void
cmd_vnote(int level, const char *fmt, va_list ap)
{
	char	*msg;

	if (verbosity < level)
		return;
	fflush(stdout);
	/* One write a line: stderr is unbuffered, and runs print thousands. */
	msg = xvasprintf(fmt, ap);
	fprintf(stderr, "%s\n", msg);
	free(msg);
}

void
cmd_note(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cmd_vnote(1, fmt, ap);
	va_end(ap);
}

/* A warning: "warning: " and the text, shown even with -q. */
void
cmd_warn(const char *fmt, ...)
{
	va_list	ap;

	fflush(stdout);
	fputs("warning: ", stderr);
	va_start(ap, fmt);
	cmd_vnote(0, fmt, ap);
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

/* Report a command's failure, "exodb: GROUP COMMAND: cause", and free cause. */
void
cmd_fail(const struct cmd *cmd, char *cause)
{
	cmd_error("%s %s: %s", cmd->entry->group, cmd->entry->name, cause);
	free(cause);
}

static size_t
cmd_count(const struct cmd_option *opts)
{
	size_t	n = 0;

	while (opts != NULL && opts[n].name != NULL)
		n++;
	return n;
}

/* Whether word, as typed ("--name" or "--name=value"), is exactly --name. */
static int
cmd_exact(const char *word, const char *name)
{
	size_t	len;

	if (strncmp(word, "--", 2) != 0)
		return 0;
	len = strcspn(word + 2, "=");
	return strlen(name) == len && strncmp(word + 2, name, len) == 0;
}

static void
cmd_unknown_long(const char *who, const char *word, const char *see)
{
	if (strncmp(word, "--", 2) == 0)
		word += 2;
	cmd_error("%s: unknown option '--%.*s'; see '%s'", who,
	    (int)strcspn(word, "="), word, see);
}

/*
 * Parse the options of argv by the table opts into values[id]: getopt_long's
 * loop, taking exact long names only (getopt takes any unique abbreviation).
 * who starts each message ("db migrate", or "usage"); see is where help is.
 * With stop, options end at the first operand. Returns 0 with *next the
 * index of the first operand; 1 at once for an option whose id is OPT_HELP
 * or OPT_VERSION; -1 having reported a usage error. A message names the
 * option, never a value: it could be a password typed in the wrong place.
 */
int
cmd_getopt(const struct cmd_option *opts, const char *who, const char *see,
    int stop, int argc, char **argv, const char **values, int *next)
{
	const struct cmd_option	*o;
	struct option		*longopts;
	char			*optstring, *p;
	const char		*word;
	size_t			 n = cmd_count(opts), i;
	int			 c, longindex, ret = -1;

	longopts = xcalloc(n + 1, sizeof *longopts);
	p = optstring = xmalloc(3 * n + 3);
	if (stop)
		*p++ = '+';
	*p++ = ':';
	for (i = 0; i < n; i++) {
		longopts[i].name = opts[i].name;
		longopts[i].has_arg = opts[i].arg != NULL ? required_argument :
		    no_argument;
		longopts[i].val = CMD_OPT_LONG + (int)i;
		if (opts[i].letter == 0)
			continue;
		*p++ = (char)opts[i].letter;
		if (opts[i].arg != NULL)
			*p++ = ':';
	}
	*p = '\0';
	optind = 0;
	opterr = 0;
	for (;;) {
		longindex = -1;
		if ((c = getopt_long(argc, argv, optstring, longopts,
		    &longindex)) == -1)
			break;
		if (c == '?' && optopt == 0) {
			/* An unknown or ambiguous long name. */
			cmd_unknown_long(who, argv[optind - 1], see);
			goto out;
		}
		if ((c == '?' || c == ':') && optopt >= CMD_OPT_LONG) {
			o = &opts[optopt - CMD_OPT_LONG];
			word = argv[optind - 1];
			if (!cmd_exact(word, o->name))
				cmd_unknown_long(who, word, see);
			else
				cmd_error("%s: option '--%s' %s", who, o->name,
				    c == '?' ? "takes no value" :
				    "needs a value");
			goto out;
		}
		if (c == '?') {
			cmd_error("%s: unknown option '-%c'; see '%s'", who,
			    optopt, see);
			goto out;
		}
		if (c == ':') {
			cmd_error("%s: option '-%c' needs a value", who, optopt);
			goto out;
		}
		if (c >= CMD_OPT_LONG)
			o = &opts[c - CMD_OPT_LONG];
		else {
			for (o = opts; o->letter != c; o++)
				;
		}
		if (longindex != -1) {
			/* The word typed, before its value if that is apart. */
			word = optarg != NULL && optarg == argv[optind - 1] ?
			    argv[optind - 2] : argv[optind - 1];
			if (!cmd_exact(word, o->name)) {
				cmd_unknown_long(who, word, see);
				goto out;
			}
		}
		values[o->id] = optarg != NULL ? optarg : o->name;
		if (o->id == OPT_HELP || o->id == OPT_VERSION) {
			ret = 1;
			goto out;
		}
	}
	*next = optind;
	ret = 0;
out:
	free(longopts);
	free(optstring);
	return ret;
}

/*
 * Print text to f from column at (where the cursor is), wrapped to fit
 * CMD_WIDTH columns, each further line indented to column indent, then a
 * newline. Lines break at spaces outside brackets, so that "[--role ROLE]"
 * stays whole; a word longer than a line overflows it rather than break.
 */
void
cmd_wrap(FILE *f, const char *text, int at, int indent)
{
	const char	*p = text, *q, *brk;
	int		 depth, col = at;

	while (*p != '\0') {
		/* The longest run from p that fits, ending before a space. */
		brk = NULL;
		depth = 0;
		for (q = p; *q != '\0'; q++) {
			if (*q == ' ' && depth == 0) {
				if (col + (q - p) > CMD_WIDTH && brk != NULL)
					break;
				brk = q;
			}
			if (*q == '[' || *q == '{')
				depth++;
			else if ((*q == ']' || *q == '}') && depth > 0)
				depth--;
		}
		if (*q == '\0' && (col + (q - p) <= CMD_WIDTH || brk == NULL))
			brk = q;
		fprintf(f, "%.*s\n", (int)(brk - p), p);
		p = brk;
		while (*p == ' ')
			p++;
		if (*p != '\0') {
			fprintf(f, "%*s", indent, "");
			col = indent;
		}
	}
}

/* How an option reads in a usage line: -m MESSAGE, --email EMAIL, --sql. */
static void
cmd_usage_option(sqlite3_str *s, const struct cmd_option *o)
{
	int	required = o->flags & CMD_OPT_REQUIRED;

	sqlite3_str_appendf(s, " %s", required ? "" : "[");
	/* A value reads best after its letter, a flag by its name. */
	if (o->letter != 0 && o->arg != NULL)
		sqlite3_str_appendf(s, "-%c %s", o->letter, o->arg);
	else if (o->arg != NULL)
		sqlite3_str_appendf(s, "--%s %s", o->name, o->arg);
	else
		sqlite3_str_appendf(s, "--%s", o->name);
	if (!required)
		sqlite3_str_appendall(s, "]");
}

/* The usage line of a command, "exodb db migrate -m MESSAGE ...": free it. */
char *
cmd_usage(const struct cmd_entry *e)
{
	sqlite3_str	*s = sqlite3_str_new(NULL);
	size_t		 i, n = cmd_count(e->options);
	int		 args = e->args != NULL && *e->args != '\0';

	sqlite3_str_appendf(s, "exodb %s %s", e->group, e->name);
	if (args && (e->flags & CMD_ARGS_FIRST))
		sqlite3_str_appendf(s, " %s", e->args);
	for (i = 0; i < n; i++)
		cmd_usage_option(s, &e->options[i]);
	if (args && !(e->flags & CMD_ARGS_FIRST))
		sqlite3_str_appendf(s, " %s", e->args);
	return xstr_finish(s);
}

/* Print one line of --help for o, its text from column. */
static void
cmd_option_line(const struct cmd_option *o, int column)
{
	const char	*p, *nl;
	char		*left;

	if (o->letter != 0)
		left = xasprintf("  -%c, --%s%s%s", o->letter, o->name,
		    o->arg != NULL ? " " : "", o->arg != NULL ? o->arg : "");
	else
		left = xasprintf("      --%s%s%s", o->name,
		    o->arg != NULL ? " " : "", o->arg != NULL ? o->arg : "");
	if ((int)strlen(left) >= column)
		printf("%s\n%*s", left, column, "");
	else
		printf("%-*s", column, left);
	for (p = o->help; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
		printf("%.*s\n%*s", (int)(nl - p), p, column, "");
	printf("%s%s\n", p, o->flags & CMD_OPT_REQUIRED ? " (required)" : "");
	free(left);
}

/* Print the --help lines of a table of options, their text from column. */
void
cmd_option_help(const struct cmd_option *opts, int column)
{
	size_t	i, n = cmd_count(opts);

	for (i = 0; i < n; i++)
		cmd_option_line(&opts[i], column);
}

/* A command's --help: its usage, summary and options. */
void
cmd_help(const struct cmd_entry *e)
{
	char	*usage = cmd_usage(e);

	printf("usage: ");
	cmd_wrap(stdout, usage, 7, 4);
	cmd_wrap(stdout, e->summary, 0, 0);
	printf("\nOptions:\n");
	cmd_option_help(e->options, CMD_HELP_COLUMN);
	cmd_option_line(&cmd_help_option, CMD_HELP_COLUMN);
	free(usage);
}

/* Whether the table opts has an option spelt as o is, by letter or name. */
static int
cmd_clashes(const struct cmd_option *opts, const struct cmd_option *o)
{
	size_t	i, n = cmd_count(opts);

	for (i = 0; i < n; i++) {
		if ((o->letter != 0 && opts[i].letter == o->letter) ||
		    strcmp(opts[i].name, o->name) == 0)
			return 1;
	}
	return 0;
}

/*
 * Parse a command's options and operands into cmd, as its entry declares
 * them. The global options (but --help and --version) may follow the command
 * too, as Flask-Migrate's -d does, unless the command has an option spelt
 * the same (db history's -v): the command's own option wins. Their values
 * land in cmd->opt[] by id like the command's. Returns 0; 1 for --help; -1
 * having reported a usage error.
 */
int
cmd_parse(struct cmd *cmd, const struct cmd_option *globals, int argc,
    char **argv)
{
	const struct cmd_entry	*e = cmd->entry;
	const struct cmd_option	*o;
	struct cmd_option	*opts;
	const char		*value, *what;
	char			*who, *see, *usage = NULL;
	size_t			 n = cmd_count(e->options), i, k;
	int			 next, ret;

	opts = xcalloc(n + cmd_count(globals) + 2, sizeof *opts);
	for (i = 0; i < n; i++)
		opts[i] = e->options[i];
	for (k = n, i = 0; i < cmd_count(globals); i++) {
		o = &globals[i];
		if (o->id != OPT_HELP && o->id != OPT_VERSION &&
		    !cmd_clashes(e->options, o))
			opts[k++] = *o;
	}
	opts[k] = cmd_help_option;
	who = xasprintf("%s %s", e->group, e->name);
	see = xasprintf("exodb %s %s --help", e->group, e->name);
	ret = cmd_getopt(opts, who, see, 0, argc, argv, cmd->opt, &next);
	if (ret != 0)
		goto out;
	ret = -1;
	cmd->argc = argc - next;
	cmd->argv = argv + next;
	if (cmd->argc < e->minargs || (e->maxargs >= 0 &&
	    cmd->argc > e->maxargs)) {
		usage = cmd_usage(e);
		cmd_error("%s: %s; usage: %s", who, cmd->argc < e->minargs ?
		    "missing argument" : "too many arguments", usage);
		goto out;
	}
	for (i = 0; i < n; i++) {
		o = &e->options[i];
		value = cmd->opt[o->id];
		if ((o->flags & CMD_OPT_REQUIRED) && value == NULL)
			what = "is required";
		else if ((o->flags & CMD_OPT_NOT_BLANK) && value != NULL &&
		    value[strspn(value, " \t\r\n\v\f")] == '\0')
			what = "must not be blank";
		else
			continue;
		if (o->letter != 0)
			cmd_error("%s: option '-%c' %s", who, o->letter, what);
		else
			cmd_error("%s: option '--%s' %s", who, o->name, what);
		goto out;
	}
	ret = 0;
out:
	free(opts);
	free(who);
	free(see);
	free(usage);
	return ret;
}

/* The database must have every revision of the repository applied. */
int
cmd_require_head(struct cmd *cmd, char **cause)
{
	struct history	*h = NULL;
	int		 ret = -1;

	if (cmd->ops->history(cmd, &h, cause) == -1)
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

/*
 * JSON for --json, made by SQLite's JSON functions on a connection of its own
 * in memory, so that no value is ever escaped here and no transaction of the
 * command's database is touched. Close *db with sqlite3_close().
 */
int
cmd_json_open(sqlite3 **db, char **cause)
{
	if (sqlite3_open_v2(":memory:", db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_MEMORY, NULL) != SQLITE_OK) {
		*cause = *db != NULL ? db_error(*db) : xstrdup("out of memory");
		sqlite3_close(*db);
		*db = NULL;
		return -1;
	}
	return 0;
}

/*
 * The JSON text the one-column SELECT sql makes from the values after it,
 * bound to ?1, ?2, ... as types says, a letter each: 't' a const char *
 * (NULL binds NULL), 'i' a long long, 'b' an int bound as the text 'true'
 * or 'false', and 'j' a const char * of JSON; for 'b' and 'j' the SQL reads
 * the value as json(?N). Returns the text, for the caller to free, or NULL
 * with *cause set.
 */
char *
cmd_json(sqlite3 *db, char **cause, const char *types, const char *sql, ...)
{
	sqlite3_stmt	*stmt;
	va_list		 ap;
	const char	*t, *s;
	char		*text = NULL;
	int		 i;

	if (db_prepare(db, &stmt, cause, "%s", sql) == -1)
		return NULL;
	va_start(ap, sql);
	for (i = 1, t = types; *t != '\0'; t++, i++) {
		switch (*t) {
		case 'i':
			sqlite3_bind_int64(stmt, i, va_arg(ap, long long));
			break;
		case 'b':
			sqlite3_bind_text(stmt, i, va_arg(ap, int) ? "true" :
			    "false", -1, SQLITE_STATIC);
			break;
		default:
			sqlite3_bind_text(stmt, i, va_arg(ap, const char *), -1,
			    SQLITE_TRANSIENT);
			break;
		}
	}
	va_end(ap);
	if (sqlite3_step(stmt) == SQLITE_ROW &&
	    (s = (const char *)sqlite3_column_text(stmt, 0)) != NULL)
		text = xstrdup(s);
	else
		*cause = db_error(db);
	sqlite3_finalize(stmt);
	return text;
}

/*
 * Add value, JSON that SQLite made, to the array s holds: s starts as "["
 * and cmd_json_end() ends it. value is freed.
 */
void
cmd_json_add(sqlite3_str *s, char *value)
{
	if (sqlite3_str_length(s) > 1)
		sqlite3_str_appendchar(s, 1, ',');
	sqlite3_str_appendall(s, value);
	free(value);
}

/* End the array s holds and return it, for the caller to free. */
char *
cmd_json_end(sqlite3_str *s)
{
	sqlite3_str_appendchar(s, 1, ']');
	return xstr_finish(s);
}

/* A JSON array of n strings (NULL ones as null); NULL with *cause set. */
char *
cmd_json_strings(sqlite3 *db, char *const *v, size_t n, char **cause)
{
	sqlite3_str	*s = sqlite3_str_new(NULL);
	char		*value;
	size_t		 i;

	sqlite3_str_appendchar(s, 1, '[');
	for (i = 0; i < n; i++) {
		if ((value = cmd_json(db, cause, "t", "SELECT json_quote(?1)",
		    v[i])) == NULL) {
			free(xstr_finish(s));
			return NULL;
		}
		cmd_json_add(s, value);
	}
	return cmd_json_end(s);
}
