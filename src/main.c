/*
 * exodb's entry point: global options, the command table, and the one place
 * where the migration repository is loaded and the database opened, the way
 * each command's entry asks, before its exec function runs.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exodb.h"

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
"Global options:\n"
"  -D, --database PATH    the database (default $EXODB_DATABASE, else\n"
"                         instance/dev.db); plain paths only, no file: URIs\n"
"  -d, --directory DIR    the migration repository (default migrations)\n"
"      --model FILE       the model to use instead of the compiled-in one\n"
"                         (default $EXODB_MODEL)\n"
"  -q, --quiet            print only data and errors\n"
"  -v, --verbose          also print each SQL statement as it runs\n"
"  -h, --help             show this help\n"
"  -V, --version          show exodb's version and its model's fingerprint\n";

static const char exit_help[] =
"\n"
"Exit status: 0 success, 1 failure (db check: a migration is needed),\n"
"2 usage error. See exodb(1).\n";

static const struct option global_options[] = {
	{ "database", required_argument, NULL, 'D' },
	{ "directory", required_argument, NULL, 'd' },
	{ "model", required_argument, NULL, 'M' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static void
print_entry_line(FILE *f, const struct cmd_entry *e)
{
	char	*line;

	line = xasprintf("exodb %s %s%s%s", e->group, e->name,
	    *e->args != '\0' ? " " : "", e->args);
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

	if (only == NULL)
		printf("%s%s", usage_text, global_help);
	else
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

static void
print_command_help(const struct cmd_entry *e)
{
	printf("usage: exodb %s %s%s%s\n%s\n", e->group, e->name,
	    *e->args != '\0' ? " " : "", e->args, e->summary);
	printf("\nOptions:\n%s  -h, --help                 show this help\n",
	    e->help != NULL ? e->help : "");
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

/*
 * getopt_long() takes any unique abbreviation of a long option ("--pass" for
 * "--password-stdin"); exodb takes exact names only. Check every "--name"
 * before getopt sees it, up to "--" (or, with stop set, the first operand).
 * A message names the option only, never a value given after '=': it could
 * be a password typed in the wrong place. Returns 0, or -1 having said why
 * (who is what the message starts with).
 */
static int
check_long_options(int argc, char **argv, const char *optstring,
    const struct option *longopts, int stop, const char *who,
    const char *help)
{
	const struct option	*o;
	const char		*arg, *name, *p, *q;
	size_t			 len;
	int			 i;

	for (i = 1; i < argc; i++) {
		arg = argv[i];
		if (strcmp(arg, "--") == 0)
			break;
		if (arg[0] != '-' || arg[1] == '\0') {
			if (stop)
				break;
			continue;
		}
		if (arg[1] != '-') {
			/* Short options; one that takes a value ends the group. */
			for (p = arg + 1; *p != '\0'; p++) {
				q = strchr(optstring, *p);
				if (*p != ':' && q != NULL && q[1] == ':') {
					i += p[1] == '\0';
					break;
				}
			}
			continue;
		}
		name = arg + 2;
		len = strcspn(name, "=");
		for (o = longopts; o->name != NULL; o++) {
			if (strlen(o->name) == len &&
			    strncmp(o->name, name, len) == 0)
				break;
		}
		if (o->name == NULL) {
			cmd_error("%s: unknown option '--%.*s'; see '%s'", who,
			    (int)len, name, help);
			return -1;
		}
		if (o->has_arg == no_argument && name[len] == '=') {
			cmd_error("%s: option '--%s' takes no value", who,
			    o->name);
			return -1;
		}
		if (o->has_arg == required_argument && name[len] != '=')
			i++;
	}
	return 0;
}

/* Parse a command's options into cmd; returns -1 with a message, 1 for --help. */
static int
parse_command(struct cmd *cmd, int argc, char **argv)
{
	const struct cmd_entry	*e = cmd->entry;
	struct option		*longopts;
	char			*optstring, *who = NULL, *help = NULL;
	size_t			 n = 0, i;
	int			 c, ret = -1;

	while (e->longopts != NULL && e->longopts[n].name != NULL)
		n++;
	longopts = xcalloc(n + 2, sizeof *longopts);
	for (i = 0; i < n; i++)
		longopts[i] = e->longopts[i];
	longopts[n].name = "help";
	longopts[n].has_arg = no_argument;
	longopts[n].val = 'h';
	optstring = xasprintf(":%sh", e->optstring);
	who = xasprintf("%s %s", e->group, e->name);
	help = xasprintf("exodb %s %s --help", e->group, e->name);
	if (check_long_options(argc, argv, optstring, longopts, 0, who,
	    help) == -1)
		goto out;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		if (c == 'h') {
			ret = 1;
			goto out;
		}
		if (c == '?') {
			/* Long options were checked above: this is a letter. */
			cmd_error("%s: unknown option '-%c'; see '%s'", who,
			    optopt, help);
			goto out;
		}
		if (c == ':') {
			cmd_error("%s %s: option '%s' needs a value", e->group,
			    e->name, argv[optind - 1]);
			goto out;
		}
		if (c > 0 && c < OPT_MAX)
			cmd->opt[c] = optarg != NULL ? optarg : "";
	}
	cmd->argc = argc - optind;
	cmd->argv = argv + optind;
	if (cmd->argc < e->minargs || (e->maxargs >= 0 &&
	    cmd->argc > e->maxargs)) {
		cmd_error("%s %s: %s; usage: exodb %s %s %s", e->group, e->name,
		    cmd->argc < e->minargs ? "missing argument" :
		    "too many arguments", e->group, e->name, e->args);
		goto out;
	}
	ret = 0;
out:
	free(longopts);
	free(optstring);
	free(who);
	free(help);
	return ret;
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
	int			 status = 1;

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
		if ((e->flags & CMD_SQL_OFFLINE) && cmd->opt['S'] != NULL)
			mode = DB_READ;
		if (db_open(cmd->database, mode, &cmd->db, &created,
		    &cause) == -1)
			goto out;
	}
	status = e->exec(cmd);
out:
	if (cause != NULL) {
		cmd_error("%s %s: %s", e->group, e->name, cause);
		free(cause);
	}
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
	char			**args = NULL;
	const char		*env;
	size_t			 i;
	int			 c, nargs, status;

	/* Whatever exodb creates is for its user alone: 0600 and 0700. */
	umask(077);
	sqlite3_config(SQLITE_CONFIG_URI, 0);
	memset(&cmd, 0, sizeof cmd);
	env = getenv("EXODB_DATABASE");
	cmd.database = env != NULL && *env != '\0' ? env : DEFAULT_DATABASE;
	cmd.directory = DEFAULT_DIRECTORY;
	env = getenv("EXODB_MODEL");
	cmd.model = env != NULL && *env != '\0' ? env : NULL;

	if (check_long_options(argc, argv, "D:d:qvhV", global_options, 1,
	    "usage", "exodb --help") == -1)
		return 2;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:D:d:qvhV", global_options,
	    NULL)) != -1) {
		switch (c) {
		case 'D':
			cmd.database = optarg;
			break;
		case 'd':
			cmd.directory = optarg;
			break;
		case 'M':
			if (*optarg == '\0') {
				cmd_error("usage: the model file is empty");
				return 2;
			}
			cmd.model = optarg;
			break;
		case 'q':
			verbosity = 0;
			break;
		case 'v':
			verbosity = 2;
			break;
		case 'h':
			print_help(NULL);
			return 0;
		case 'V':
			return print_version();
		case ':':
			cmd_error("usage: option '%s' needs a value", argv[optind - 1]);
			return 2;
		default:
			cmd_error("usage: unknown option '-%c'; see 'exodb "
			    "--help'", optopt);
			return 2;
		}
	}
	if (*cmd.database == '\0' || *cmd.directory == '\0') {
		cmd_error("usage: %s is empty", *cmd.database == '\0' ?
		    "the database path" : "the repository folder");
		return 2;
	}
	argc -= optind;
	argv += optind;
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
		status = parse_command(&cmd, nargs, args);
	} else
		status = parse_command(&cmd, argc, argv);
	if (status == 1) {
		print_command_help(cmd.entry);
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
