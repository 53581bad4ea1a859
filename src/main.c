/*
 * exodb's entry point: global options, the command table, and the one place
 * where the migration repository is loaded and the database opened, the way
 * each command's entry asks, before its exec function runs.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

#define DEFAULT_DATABASE	"instance/dev.db"
#define DEFAULT_DIRECTORY	"migrations"

struct group {
	const char		*name;
	const char		*title;
	const struct cmd_entry	*entries;
	const size_t		*nentries;
};

static const struct group groups[] = {
	{ "db", "Schema commands", cmd_db_entries, &cmd_db_nentries },
	{ "user", "User commands", cmd_user_entries, &cmd_user_nentries },
};
#define NGROUPS (sizeof groups / sizeof groups[0])

static const char usage_text[] =
"usage: exodb [-D database] [-d directory] [--model FILE] [-q] [-v] GROUP COMMAND [options] [args]\n"
"       exodb -h | --help      exodb GROUP COMMAND --help      exodb -V | --version\n";

static const char global_help[] =
"\n"
"Schema migrations and user administration for the exoplanet_analyzer database.\n"
"\n"
"Global options:\n";

static const char exit_help[] =
"\n"
"Exit status: 0 success, 1 failure (db check: something to do), 2 usage\n"
"error, 3 could not tell (db check). See exodb(1).\n";

/* Where the text of a global option starts on a line of --help. */
#define GLOBAL_HELP_COLUMN	25

static const struct cmd_option global_options[] = {
	{ .id = OPT_DATABASE, .letter = 'D', .name = "database", .arg = "PATH",
	  .help = "the database (default $EXODB_DATABASE, else\n"
	  "instance/dev.db); plain paths only, no file: URIs" },
	{ .id = OPT_DIRECTORY, .letter = 'd', .name = "directory", .arg = "DIR",
	  .help = "the migration repository (default migrations)" },
	{ .id = OPT_MODEL, .name = "model", .arg = "FILE",
	  .help = "the model to use instead of the compiled-in one\n"
	  "(default $EXODB_MODEL)" },
	{ .id = OPT_VERBOSITY, .letter = 'q', .name = "quiet",
	  .help = "print only data and errors" },
	{ .id = OPT_VERBOSITY, .letter = 'v', .name = "verbose",
	  .help = "also print each SQL statement as it runs" },
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
		fprintf(f, "  %-40s %s\n", line, e->summary);
	else
		fprintf(f, "  %s\n  %-40s %s\n", line, "", e->summary);
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

/* Load what the entry needs and run it; returns the exit status. */
static int
run_command(struct cmd *cmd)
{
	const struct cmd_entry	*e = cmd->entry;
	struct db_created	 created = { 0, 0 };
	enum db_mode		 mode;
	char			*cause = NULL;
	/* What a failure exits with: 3 when it leaves a question open. */
	int			 failed = e->flags & CMD_QUESTION ? 3 : 1;
	int			 status = failed;

	if ((e->flags & CMD_REPO) &&
	    repo_load(cmd->directory, &cmd->repo, &cause) == -1)
		goto out;
	if (e->flags & (CMD_DB_READ | CMD_DB_WRITE | CMD_DB_CREATE)) {
		if (e->flags & CMD_DB_CREATE)
			mode = DB_CREATE;
		else if (e->flags & CMD_DB_WRITE)
			mode = DB_WRITE;
		else
			mode = DB_READ;
		if ((e->flags & CMD_SQL_OFFLINE) && cmd->opt[OPT_SQL] != NULL)
			mode = DB_READ;
		if (db_open(cmd->database, mode, &cmd->db, &created,
		    &cause) == -1)
			goto out;
	}
	if ((e->flags & CMD_ONE_HEAD) &&
	    repo_single_head(cmd->repo, &cmd->head, &cause) == -1)
		goto out;
	if ((e->flags & CMD_AT_HEAD) && cmd_require_head(cmd, &cause) == -1)
		goto out;
	if ((e->flags & CMD_USERS) && user_check_table(cmd->db,
	    (e->flags & CMD_USERS_INSERT) != 0, &cause) == -1)
		goto out;
	if ((status = e->exec(cmd, &cause)) == -1)
		status = failed;
out:
	if (cause != NULL)
		cmd_fail(cmd, cause);
	/* A write that failed may have left a hot journal: roll it back now. */
	if (status != 0)
		db_rollback(cmd->db);
	if (cmd->db != NULL && sqlite3_close(cmd->db) != SQLITE_OK)
		cmd_error("%s: cannot close: %s", cmd->database,
		    sqlite3_errmsg(cmd->db));
	if (status != 0)
		db_discard(cmd->database, &created);
	repo_free(cmd->repo);
	return status;
}

int
main(int argc, char **argv)
{
	struct cmd		 cmd;
	const struct group	*g = NULL;
	const char		*values[OPT_MAX] = { NULL }, *env;
	char			**args = NULL;
	size_t			 i;
	int			 next, nargs, status;

	/* Whatever exodb creates is for its user alone: 0600 and 0700. */
	umask(077);
	sqlite3_config(SQLITE_CONFIG_URI, 0);
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
	env = getenv("EXODB_DATABASE");
	cmd.database = env != NULL && *env != '\0' ? env : DEFAULT_DATABASE;
	if (values[OPT_DATABASE] != NULL)
		cmd.database = values[OPT_DATABASE];
	cmd.directory = values[OPT_DIRECTORY] != NULL ?
	    values[OPT_DIRECTORY] : DEFAULT_DIRECTORY;
	env = getenv("EXODB_MODEL");
	cmd.model = env != NULL && *env != '\0' ? env : NULL;
	if (values[OPT_MODEL] != NULL) {
		if (*values[OPT_MODEL] == '\0') {
			cmd_error("usage: the model file is empty");
			return 2;
		}
		cmd.model = values[OPT_MODEL];
	}
	if (values[OPT_VERBOSITY] != NULL)
		verbosity = strcmp(values[OPT_VERBOSITY], "quiet") == 0 ? 0 : 2;
	if (*cmd.database == '\0' || *cmd.directory == '\0') {
		cmd_error("usage: %s is empty", *cmd.database == '\0' ?
		    "the database path" : "the repository folder");
		return 2;
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
		status = cmd_parse(&cmd, nargs, args);
	} else
		status = cmd_parse(&cmd, argc, argv);
	if (status == 1) {
		cmd_help(cmd.entry);
		status = 0;
	} else if (status == -1)
		status = 2;
	else
		status = run_command(&cmd);
	free(args);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		cmd_error("standard output: %s", strerror(errno));
		status = 1;
	}
	return status;
}
