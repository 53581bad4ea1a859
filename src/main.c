/*
 * exodb's entry point: global options, the command table, and the one place
 * where the migration repository is loaded and the database opened, the way
 * each command's entry asks, before its exec function runs.
 */
#include <sys/stat.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

#define DEFAULT_DATABASE	"instance/dev.db"
#define DEFAULT_DIRECTORY	"migrations"

/* The longest wait for a lock --timeout takes, in seconds: a day. */
#define MAX_TIMEOUT		86400

/* The wait for a lock, in seconds, as given (for the message that gives up). */
static const char	*timeout_text = "30";

const struct group groups[] = {
	{ "db", "Schema commands", cmd_db_entries, &cmd_db_nentries },
	{ "user", "User commands", cmd_user_entries, &cmd_user_nentries },
	{ "completion", "Shell completion", cmd_complete_entries,
	  &cmd_complete_nentries },
};
#define NGROUPS (sizeof groups / sizeof groups[0])
const size_t ngroups = NGROUPS;

static const char usage_text[] =
"usage: exodb [-D database] [-d directory] [--model FILE] [--timeout SECONDS]\n"
"             [-q] [-v] GROUP COMMAND [options] [args]\n"
"       exodb -h | --help    exodb GROUP COMMAND --help    exodb -V | --version\n";

static const char global_help[] =
"\n"
"Schema migrations and user administration for the exoplanet_analyzer database.\n"
"\n"
"Global options:\n";

static const char exit_help[] =
"\n"
"Exit status: 0 success, 1 failure or no (db check: something to do;\n"
"user verify: the password does not match), 2 usage error, 3 could not tell\n"
"(db check; user verify: the stored hash is not Argon2). See exodb(1).\n";

/* Where the text of a global option starts on a line of --help. */
#define GLOBAL_HELP_COLUMN	25

const struct cmd_option global_options[] = {
	{ .id = OPT_DATABASE, .letter = 'D', .name = "database", .arg = "PATH",
	  .help = "the database (default $EXODB_DATABASE, else\n"
	  "instance/dev.db in the project): a file path\n"
	  "(no file: URIs), or a postgresql:// URI" },
	{ .id = OPT_DIRECTORY, .letter = 'd', .name = "directory", .arg = "DIR",
	  .help = "the migration repository (default migrations),\n"
	  "looked for here, then in each folder above" },
	{ .id = OPT_MODEL, .name = "model", .arg = "FILE",
	  .help = "the model to use instead of the compiled-in one\n"
	  "(default $EXODB_MODEL)" },
	{ .id = OPT_TIMEOUT, .name = "timeout", .arg = "SECONDS",
	  .help = "how long to wait for a locked database\n"
	  "(default $EXODB_TIMEOUT, else 30)" },
	{ .id = OPT_VERBOSITY, .letter = 'q', .name = "quiet",
	  .help = "print only data and errors" },
	{ .id = OPT_VERBOSITY, .letter = 'v', .name = "verbose",
	  .help = "also print the project used and each SQL\n"
	  "statement as it runs" },
	{ .id = OPT_HELP, .letter = 'h', .name = "help",
	  .help = "show this help" },
	{ .id = OPT_VERSION, .letter = 'V', .name = "version",
	  .help = "show exodb's version and its model's fingerprint" },
	{ .name = NULL }
};

static void
print_entry_line(FILE *f, const struct cmd_entry *e)
{
	char	*line;

	line = cmd_usage(e);
	if (strlen(line) < 40)
		fprintf(f, "  %-40s ", line);
	else {
		fputs("  ", f);
		cmd_wrap(f, line, 2, 6);
		fprintf(f, "%43s", "");
	}
	cmd_wrap(f, e->summary, 43, 43);
	free(line);
}

static void
print_help(const struct group *only)
{
	size_t	i, j;

	if (only == NULL) {
		printf("%s%s", usage_text, global_help);
		cmd_option_help(global_options, GLOBAL_HELP_COLUMN);
	} else
		printf("usage: exodb [global options] %s COMMAND [options] "
		    "[args]\n", only->name);
	for (i = 0; i < NGROUPS; i++) {
		if (only != NULL && only != &groups[i])
			continue;
		printf("\n%s:\n", groups[i].title);
		for (j = 0; j < *groups[i].nentries; j++)
			print_entry_line(stdout, &groups[i].entries[j]);
	}
	printf("%s", exit_help);
}

/* The version, and the fingerprint of the compiled-in model. */
static int
print_version(void)
{
	const struct schema	*m;
	char			*fp;

	printf("exodb %s (SQLite %s)\n", EXODB_VERSION, sqlite3_libversion());
	if ((m = model_schema()) == NULL) {
		cmd_error("%s: the compiled-in model does not load; run "
		    "'exodb db model'", model_builtin_name);
		return 1;
	}
	fp = model_fingerprint(m);
	printf("model %s (%s, compiled in)\n", fp, model_builtin_name);
	free(fp);
	return 0;
}

static int
is_numeric_arg(const char *arg)
{
	return arg[0] == '-' && arg[1] >= '0' && arg[1] <= '9' &&
	    strspn(arg + 1, "0123456789") == strlen(arg + 1);
}

/*
 * Arguments such as "-1" (downgrade -1) are targets, not options: move them
 * behind a "--" so that getopt leaves them alone. Returns the new count; the
 * caller frees *out (the array, not the strings).
 */
static int
numeric_args(int argc, char **argv, char ***out)
{
	static char	  dashdash[] = "--";
	char		**v;
	int		  i, n = 0, end;

	v = xcalloc((size_t)argc + 2, sizeof *v);
	for (end = 0; end < argc && strcmp(argv[end], "--") != 0; end++) {
		if (!is_numeric_arg(argv[end]))
			v[n++] = argv[end];
	}
	v[n++] = dashdash;
	for (i = 0; i < end; i++) {
		if (is_numeric_arg(argv[i]))
			v[n++] = argv[i];
	}
	for (i = end + 1; i < argc; i++)
		v[n++] = argv[i];
	*out = v;
	return n;
}

static const struct cmd_entry *
find_command(const struct group *g, const char *name)
{
	size_t	i;

	/* Exact names only: no prefixes, no aliases. */
	for (i = 0; i < *g->nentries; i++) {
		if (strcmp(g->entries[i].name, name) == 0)
			return &g->entries[i];
	}
	return NULL;
}

/*
 * A wait for a lock has lasted a second: say so once, on a terminal only (a
 * script's log wants the outcome, not the wait).
 */
static void
note_waiting(const char *path)
{
	static int	told;

	if (told || verbosity < 1 || !isatty(STDERR_FILENO))
		return;
	told = 1;
	cmd_error("waiting for the lock on %s (another exodb, or the app, "
	    "holds it)", path);
}

/*
 * Seconds to wait for a lock, as --timeout or EXODB_TIMEOUT gives them (what
 * names which): digits with an optional fraction, above 0 and at most
 * MAX_TIMEOUT. Returns the milliseconds, at least 1, or -1 having reported a
 * usage error.
 */
static long
parse_timeout(const char *text, const char *what)
{
	size_t	whole = strspn(text, "0123456789"), frac = 0;
	double	seconds = 0;

	if (text[whole] == '.')
		frac = strspn(text + whole + 1, "0123456789");
	if (whole + frac > 0 && whole <= 6 && text[whole + (text[whole] ==
	    '.' ? frac + 1 : 0)] == '\0')
		seconds = strtod(text, NULL);
	if (seconds <= 0 || seconds > MAX_TIMEOUT) {
		cmd_error("usage: %s takes a number of seconds above 0, at "
		    "most %d", what, MAX_TIMEOUT);
		return -1;
	}
	return seconds * 1000 < 1 ? 1 : (long)(seconds * 1000 + 0.5);
}

/*
 * Find the project the way git finds its work tree: the nearest folder, this
 * one or one above, that holds the repository folder dir (a relative path).
 * Sets *directory to dir there and *database to the default database there,
 * as paths relative to this folder ("../../migrations"), and *root to the
 * project's folder; the caller frees all three. Returns -1 with *cause set
 * when no folder up to / has it.
 */
int
find_project(const char *dir, char **directory, char **database, char **root,
    char **cause)
{
	struct stat	 sb, up;
	char		*prefix = xstrdup(""), *path, *parent;
	int		 depth;

	for (depth = 0; depth < PATH_MAX / 3; depth++) {
		path = xasprintf("%s%s", prefix, dir);
		if (lstat(path, &sb) == 0) {
			*directory = path;
			*database = xasprintf("%s%s", prefix, DEFAULT_DATABASE);
			*root = *prefix == '\0' ? xstrdup(".") :
			    xstrndup(prefix, strlen(prefix) - 1);
			free(prefix);
			return 0;
		}
		free(path);
		/* The root is its own parent. */
		path = xasprintf("%s.", prefix);
		parent = xasprintf("%s..", prefix);
		if (stat(path, &sb) == -1 || stat(parent, &up) == -1 ||
		    (sb.st_dev == up.st_dev && sb.st_ino == up.st_ino)) {
			free(path);
			free(parent);
			break;
		}
		free(path);
		free(parent);
		path = xasprintf("%s../", prefix);
		free(prefix);
		prefix = path;
	}
	free(prefix);
	*cause = xasprintf("%s: no migration repository here or in any folder "
	    "above; run 'exodb db init', or name it with -d DIR (and the "
	    "database with -D PATH)", dir);
	return -1;
}

/*
 * A database opened on a thread of its own while the repository loads: with
 * thousands of revisions each takes tens of milliseconds (SQLite parses
 * every table's CREATE when db_open() first reads the schema), and neither
 * needs the other. Only to read a SQLite database, which creates nothing:
 * a repository that fails to load leaves nothing behind, and its error is
 * the one reported, as when the two ran in turn.
 */
struct run_open {
	struct cmd		*cmd;
	enum db_mode		 mode;
	struct db_created	*created;
	char			*cause;
	int			 ret;
};

static void *
run_open(void *arg)
{
	struct run_open	*o = arg;

	o->ret = cmd_open(o->cmd, o->mode, o->created, &o->cause);
	return NULL;
}

/* Load what the entry needs and run it; returns the exit status. */
static int
run_command(struct cmd *cmd)
{
	const struct cmd_entry	*e = cmd->entry;
	struct db_created	 created = { 0, 0 };
	struct run_open		 o;
	pthread_t		 thread;
	enum db_mode		 mode = DB_READ;
	char			*cause = NULL;
	/* What a failure exits with: 3 when it leaves a question open. */
	int			 failed = e->flags & CMD_QUESTION ? 3 : 1;
	int			 status = failed, db, early = 0;

	db = (e->flags & (CMD_DB_READ | CMD_DB_WRITE | CMD_DB_CREATE)) != 0;
	if (db) {
		if (e->flags & CMD_DB_CREATE)
			mode = DB_CREATE;
		else if (e->flags & CMD_DB_WRITE)
			mode = DB_WRITE;
		else if (e->flags & CMD_DB_EMPTY_OK)
			mode = DB_READ_EMPTY;
		else
			mode = DB_READ;
		/* A script for a database that upgrade would create starts
		   from an empty one. */
		if ((e->flags & CMD_SQL_OFFLINE) && cmd->opt[OPT_SQL] != NULL)
			mode = mode == DB_CREATE ? DB_READ_EMPTY : DB_READ;
	}
	if (db && (e->flags & CMD_REPO) && (mode == DB_READ ||
	    mode == DB_READ_EMPTY) && !pg_is_uri(cmd->conninfo)) {
		memset(&o, 0, sizeof o);
		o.cmd = cmd;
		o.mode = mode;
		o.created = &created;
		early = pthread_create(&thread, NULL, run_open, &o) == 0;
	}
	if ((e->flags & CMD_REPO) &&
	    repo_load(cmd->directory, &cmd->repo, &cause) == -1) {
		if (early) {
			pthread_join(thread, NULL);
			free(o.cause);
		}
		goto out;
	}
	if (early) {
		pthread_join(thread, NULL);
		if (o.ret == -1) {
			cause = o.cause;
			goto out;
		}
	} else if (db && cmd_open(cmd, mode, &created, &cause) == -1)
		goto out;
	if ((e->flags & CMD_ONE_HEAD) &&
	    repo_single_head(cmd->repo, &cmd->head, &cause) == -1)
		goto out;
	if ((e->flags & CMD_AT_HEAD) && cmd_require_head(cmd, &cause) == -1)
		goto out;
	if ((e->flags & CMD_USERS) && cmd->ops->users->check_table(cmd,
	    (e->flags & CMD_USERS_INSERT) != 0, &cause) == -1)
		goto out;
	if ((status = e->exec(cmd, &cause)) == -1)
		status = failed;
out:
	/*
	 * Whatever failed after a wait for a lock ran out failed for the lock:
	 * say so, and who likely holds it. Nothing of ours is then left to roll
	 * back, and reading the database again would only wait once more.
	 */
	if (status != 0 && (db_busy_gave_up() || pg_lock_gave_up())) {
		free(cause);
		cause = xasprintf("%s: database is locked; another exodb, or the "
		    "app, holds it (gave up after %s s; see --timeout)",
		    cmd->database, timeout_text);
	} else if (status != 0)
		/* A failed write may have left a hot journal: roll it back. */
		cmd_abandon(cmd);
	if (cause != NULL)
		cmd_fail(cmd, cause);
	cmd_close(cmd);
	if (status != 0)
		db_discard(cmd->database, &created);
	repo_free(cmd->repo);
	return status;
}

/* With -v: which project, repository and database this run uses. */
static void
project_note(const char *root, const struct cmd *cmd)
{
	char	*path = realpath(root, NULL);

	cmd_verbose("project %s: repository %s, database %s", path != NULL ?
	    path : root, cmd->directory, cmd->database);
	free(path);
}

/*
 * Settle the global options, given before the command (values[]) or after it
 * (cmd->opt[], which wins), and the environment, into cmd; find the project
 * for a command that needs the repository. Returns 0, or the exit status
 * having reported why not: 2 for a usage error, 1 for no project.
 */
static int
settle(struct cmd *cmd, const char **values, char **owned_dir,
    char **owned_db, char **owned_shown)
{
	const char	*env, *database = NULL, *directory;
	char		*root = NULL, *cause = NULL, *copy;
	size_t		 i;
	long		 ms;
	int		 id, password;

	for (i = 0; global_options[i].name != NULL; i++) {
		id = global_options[i].id;
		if (cmd->opt[id] != NULL)
			values[id] = cmd->opt[id];
	}
	if ((env = getenv("EXODB_DATABASE")) != NULL && *env != '\0')
		database = env;
	if (values[OPT_DATABASE] != NULL)
		database = values[OPT_DATABASE];
	directory = values[OPT_DIRECTORY] != NULL ? values[OPT_DIRECTORY] :
	    DEFAULT_DIRECTORY;
	if ((database != NULL && *database == '\0') || *directory == '\0') {
		cmd_error("usage: %s is empty", *directory != '\0' ?
		    "the database path" : "the repository folder");
		return 2;
	}
	env = getenv("EXODB_MODEL");
	cmd->model = env != NULL && *env != '\0' ? env : NULL;
	if (values[OPT_MODEL] != NULL) {
		if (*values[OPT_MODEL] == '\0') {
			cmd_error("usage: the model file is empty");
			return 2;
		}
		cmd->model = values[OPT_MODEL];
	}
	if (values[OPT_VERBOSITY] != NULL)
		verbosity = strcmp(values[OPT_VERBOSITY], "quiet") == 0 ? 0 : 2;
	if ((env = getenv("EXODB_TIMEOUT")) != NULL && *env != '\0' &&
	    values[OPT_TIMEOUT] == NULL) {
		if (parse_timeout(env, "EXODB_TIMEOUT") == -1)
			return 2;
		timeout_text = env;
	}
	if (values[OPT_TIMEOUT] != NULL)
		timeout_text = values[OPT_TIMEOUT];
	if ((ms = parse_timeout(timeout_text, "option '--timeout'")) == -1)
		return 2;
	db_set_busy(ms, note_waiting);
	cmd->timeout_ms = ms;

	/*
	 * The project: found upward for a relative -d, as given for an
	 * absolute one and for db init (which makes it here). -D and
	 * EXODB_DATABASE are paths as typed, from this folder.
	 */
	cmd->directory = directory;
	cmd->database = database != NULL ? database : DEFAULT_DATABASE;
	cmd->conninfo = cmd->database;
	if (pg_is_uri(cmd->conninfo)) {
		/* A missing libpq is no usage error; a question goes unanswered. */
		if (pg_load(&cause) == -1) {
			cmd_fail(cmd, cause);
			return cmd->entry->flags & CMD_QUESTION ? 3 : 1;
		}
		/* Shown without its password, wherever it is shown. */
		if (pg_check_uri(cmd->conninfo, &password, &cause) == -1) {
			cmd_error("usage: %s", cause);
			free(cause);
			return 2;
		}
		cmd->database = *owned_shown = pg_display(cmd->conninfo);
		if (password && values[OPT_DATABASE] != NULL) {
			cmd_error("usage: %s: a password in the command line "
			    "is visible to every user of the machine (ps); "
			    "put it in ~/.pgpass, PGPASSWORD or "
			    "EXODB_DATABASE", cmd->database);
			return 2;
		}
	}
	if (!(cmd->entry->flags & CMD_REPO))
		return 0;
	if (*directory == '/') {
		/* The project is the folder that holds the repository. */
		copy = xstrdup(directory);
		root = xstrdup(dirname(copy));
		free(copy);
		*owned_dir = xstrdup(directory);
		*owned_db = xasprintf("%s/%s", strcmp(root, "/") == 0 ? "" :
		    root, DEFAULT_DATABASE);
	} else if (find_project(directory, owned_dir, owned_db, &root,
	    &cause) == -1) {
		cmd_fail(cmd, cause);
		/* A command that answers a question could not tell. */
		return cmd->entry->flags & CMD_QUESTION ? 3 : 1;
	}
	cmd->directory = *owned_dir;
	if (database == NULL)
		cmd->database = cmd->conninfo = *owned_db;
	if (verbosity >= 2)
		project_note(root, cmd);
	free(root);
	return 0;
}

int
main(int argc, char **argv)
{
	struct cmd		 cmd;
	const struct group	*g = NULL;
	const char		*values[OPT_MAX] = { NULL };
	char			**args = NULL, *owned_dir = NULL, *owned_db = NULL;
	char			*owned_shown = NULL;
	size_t			 i;
	int			 next, nargs, status;

	/* Whatever exodb creates is for its user alone: 0600 and 0700. */
	umask(077);
	sqlite3_config(SQLITE_CONFIG_URI, 0);
	/*
	 * No connection is shared between threads (revision readers use no
	 * SQLite), and nothing reads SQLite's memory statistics: without their
	 * mutexes each call into SQLite costs less.
	 */
	sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	memset(&cmd, 0, sizeof cmd);
	status = cmd_getopt(global_options, "usage", "exodb --help", 1, argc,
	    argv, values, &next);
	if (status == -1)
		return 2;
	if (status == 1 && values[OPT_VERSION] != NULL)
		return print_version();
	if (status == 1) {
		print_help(NULL);
		return 0;
	}
	argc -= next;
	argv += next;
	if (argc == 0) {
		cmd_error("usage: missing command; see 'exodb --help'");
		return 2;
	}
	for (i = 0; i < NGROUPS; i++) {
		if (strcmp(groups[i].name, argv[0]) == 0)
			g = &groups[i];
	}
	if (g == NULL) {
		cmd_error("usage: unknown command group '%s'; see 'exodb "
		    "--help'", argv[0]);
		return 2;
	}
	if (argc == 1) {
		cmd_error("%s: missing command; see 'exodb %s --help'", g->name,
		    g->name);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		print_help(g);
		return 0;
	}
	if ((cmd.entry = find_command(g, argv[1])) == NULL) {
		cmd_error("%s: unknown command '%s'; see 'exodb %s --help'",
		    g->name, argv[1], g->name);
		return 2;
	}
	argc--;
	argv++;
	if (cmd.entry->flags & CMD_NUMERIC_ARG) {
		nargs = numeric_args(argc, argv, &args);
		status = cmd_parse(&cmd, global_options, nargs, args);
	} else
		status = cmd_parse(&cmd, global_options, argc, argv);
	if (status == 1) {
		cmd_help(cmd.entry);
		status = 0;
	} else if (status == -1)
		status = 2;
	else if ((status = settle(&cmd, values, &owned_dir, &owned_db,
	    &owned_shown)) == 0)
		status = run_command(&cmd);
	free(args);
	free(owned_dir);
	free(owned_db);
	free(owned_shown);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		cmd_error("standard output: %s", strerror(errno));
		status = 1;
	}
	return status;
}
