/*
 * Shell completion, made from the command table. "exodb completion bash" and
 * "exodb completion zsh" print a small script; at each Tab it runs
 * "exodb completion query -- INDEX WORD...", the command line as the shell
 * split it, and offers what that prints. So what is completed is always what
 * this binary's tables hold (groups, commands, options, which option takes a
 * value) with the repository's revision ids and the database's usernames, as
 * the -D and -d on the line being typed name them; a script never goes
 * stale.
 *
 * The query prints a first line saying what to complete, "words", "files"
 * or "dirs"; after "words", the candidates that start with WORD[INDEX], one
 * a line, each perhaps followed by a tab and a description. It never prints
 * an error: a repository or database that does not load offers nothing.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* The most usernames one Tab offers. */
#define COMPLETE_MAX_USERS	500

/* How long a query waits for a database another process holds, in ms. */
#define COMPLETE_BUSY_MS	200

static int	complete_bash_exec(struct cmd *, char **);
static int	complete_zsh_exec(struct cmd *, char **);
static int	complete_query_exec(struct cmd *, char **);

const struct cmd_entry cmd_complete_entries[] = {
	{
		.group = "completion", .name = "bash",
		.summary = "print the bash completion script",
		.exec = complete_bash_exec
	},
	{
		.group = "completion", .name = "zsh",
		.summary = "print the zsh completion script",
		.exec = complete_zsh_exec
	},
	{
		.group = "completion", .name = "query",
		.summary = "print what may come at WORD[INDEX] of an exodb "
		    "command line (what the scripts ask)",
		.args = "-- INDEX WORD...", .minargs = 2, .maxargs = -1,
		.exec = complete_query_exec
	},
};
const size_t cmd_complete_nentries =
    sizeof cmd_complete_entries / sizeof cmd_complete_entries[0];

static const char complete_bash[] =
"# bash completion for exodb, printed by 'exodb completion bash'.\n"
"# It asks exodb itself what may come next: 'exodb completion query'.\n"
"_exodb() {\n"
"\tlocal cur=${COMP_WORDS[COMP_CWORD]} line tab=$'\\t'\n"
"\tlocal -a reply\n"
"\tCOMPREPLY=()\n"
"\tlocal exodb=${COMP_WORDS[0]}\n"
"\t[[ $exodb == \"~/\"* ]] && exodb=$HOME/${exodb#\"~/\"}\n"
"\tmapfile -t reply < <(\"$exodb\" completion query -- \\\n"
"\t    \"$COMP_CWORD\" \"${COMP_WORDS[@]}\" 2>/dev/null)\n"
"\tcase ${reply[0]-} in\n"
"\tfiles)\tcompopt -o filenames 2>/dev/null\n"
"\t\tmapfile -t COMPREPLY < <(compgen -f -- \"$cur\") ;;\n"
"\tdirs)\tcompopt -o filenames 2>/dev/null\n"
"\t\tmapfile -t COMPREPLY < <(compgen -d -- \"$cur\") ;;\n"
"\twords)\tfor line in \"${reply[@]:1}\"; do\n"
"\t\t\tCOMPREPLY+=(\"${line%%\"$tab\"*}\")\n"
"\t\tdone ;;\n"
"\tesac\n"
"}\n"
"complete -F _exodb exodb\n";

static const char complete_zsh[] =
"#compdef exodb\n"
"# zsh completion for exodb, printed by 'exodb completion zsh'.\n"
"# It asks exodb itself what may come next: 'exodb completion query'.\n"
"_exodb() {\n"
"\tlocal line name tab=$'\\t'\n"
"\tlocal -a reply candidates\n"
"\treply=(\"${(@f)$(\"${words[1]}\" completion query -- \\\n"
"\t    \"$((CURRENT - 1))\" \"${words[@]}\" 2>/dev/null)}\")\n"
"\tcase ${reply[1]-} in\n"
"\tfiles)\t_files ;;\n"
"\tdirs)\t_files -/ ;;\n"
"\twords)\tfor line in \"${(@)reply[2,-1]}\"; do\n"
"\t\t\tname=${line%%$tab*}\n"
"\t\t\tname=${name//:/\\\\:}\n"
"\t\t\tif [[ $line == *$tab* ]]; then\n"
"\t\t\t\tcandidates+=(\"$name:${line#*$tab}\")\n"
"\t\t\telse\n"
"\t\t\t\tcandidates+=(\"$name\")\n"
"\t\t\tfi\n"
"\t\tdone\n"
"\t\t_describe -t values exodb candidates ;;\n"
"\tesac\n"
"}\n"
"if [[ ${funcstack[1]-} == _exodb ]]; then\n"
"\t_exodb \"$@\"\n"
"else\n"
"\tcompdef _exodb exodb\n"
"fi\n";

static int
complete_bash_exec(struct cmd *cmd, char **cause)
{
	(void)cmd;
	(void)cause;
	fputs(complete_bash, stdout);
	return 0;
}

static int
complete_zsh_exec(struct cmd *cmd, char **cause)
{
	(void)cmd;
	(void)cause;
	fputs(complete_zsh, stdout);
	return 0;
}

/* One candidate, and desc (or NULL) up to its newline. */
static void
complete_print(const char *word, const char *desc)
{
	const char	*p;

	fputs(word, stdout);
	if (desc != NULL) {
		putchar('\t');
		/* One line: a control character in a message is a space. */
		for (p = desc; *p != '\0' && *p != '\n'; p++)
			putchar(iscntrl((unsigned char)*p) ? ' ' : *p);
	}
	putchar('\n');
}

/* One candidate, if it starts with cur. */
static void
complete_offer(const char *cur, const char *word, const char *desc)
{
	if (strncmp(word, cur, strlen(cur)) == 0)
		complete_print(word, desc);
}

/* The long names of a table of options, and --help. */
static void
complete_options(const char *cur, const struct cmd_option *opts, int help)
{
	char	*name;

	for (; opts != NULL && opts->name != NULL; opts++) {
		name = xasprintf("--%s", opts->name);
		complete_offer(cur, name, opts->help);
		free(name);
	}
	if (help)
		complete_offer(cur, "--help", "show this help");
}

/*
 * The option of opts that word (as typed: --name, --name=VALUE, -x or
 * -xVALUE) is, or NULL; *attached is set when its value is in word.
 */
static const struct cmd_option *
complete_option(const struct cmd_option *opts, const char *word, int *attached)
{
	size_t	len;

	*attached = 0;
	for (; opts != NULL && opts->name != NULL; opts++) {
		if (word[1] == '-') {
			len = strcspn(word + 2, "=");
			if (strlen(opts->name) != len ||
			    strncmp(word + 2, opts->name, len) != 0)
				continue;
			*attached = word[2 + len] == '=';
			return opts;
		}
		if (opts->letter != 0 && word[1] == opts->letter) {
			*attached = opts->arg != NULL && word[2] != '\0';
			return opts;
		}
	}
	return NULL;
}

/* The revision ids of the repository at dir, each with its message. */
static void
complete_revisions(const char *cur, const char *dir)
{
	struct repo	*repo = NULL;
	char		*cause = NULL;
	size_t		 i;

	if (repo_load(dir, &repo, &cause) == -1) {
		free(cause);
		return;
	}
	for (i = 0; i < repo->nrevs; i++)
		complete_offer(cur, repo->byid[i]->id, repo->byid[i]->message);
	repo_free(repo);
}

/*
 * A username, if it has only the characters a username may have; user_names
 * matched its start already, without regard to case as names match.
 */
static void
complete_user(const char *name, void *arg)
{
	(void)arg;
	if (name[strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
	    "wxyz0123456789._-")] == '\0')
		complete_print(name, NULL);
}

/*
 * The usernames of the database at path (a SQLite file, or a PostgreSQL URI)
 * that start with cur.
 */
static void
complete_users(const char *cur, const char *path)
{
	struct db_created	 created = { 0, 0 };
	struct pg_conn		*pg = NULL;
	sqlite3			*db = NULL;
	char			*cause = NULL;

	if (pg_is_uri(path)) {
		if (pg_open(path, COMPLETE_BUSY_MS, &pg, &cause) == 0)
			user_pg_names(pg, cur, COMPLETE_MAX_USERS,
			    complete_user, NULL, &cause);
		pg_close(pg);
		free(cause);
		return;
	}
	if (db_open(path, DB_READ, &db, &created, &cause) == 0) {
		sqlite3_busy_timeout(db, COMPLETE_BUSY_MS);
		user_names(db, cur, COMPLETE_MAX_USERS, complete_user, NULL,
		    &cause);
	}
	free(cause);
	if (db != NULL)
		sqlite3_close(db);
}

/* Where the query's answers come from. */
struct complete {
	const char	*cur;		/* the word being completed */
	const char	*database;
	const char	*directory;
	int		 database_given;	/* by -D or EXODB_DATABASE */
};

/*
 * The repository and database the line names, found upward from here the way
 * the commands find them (find_project() in main.c): the repository in
 * *directory and the database in *database, which the caller frees.
 */
static void
complete_project(const struct complete *c, char **directory, char **database)
{
	char	*dir = NULL, *db = NULL, *root = NULL, *cause = NULL;

	if (c->directory[0] != '/' &&
	    find_project(c->directory, &dir, &db, &root, &cause) == 0) {
		*directory = dir;
		*database = c->database_given ? xstrdup(c->database) : db;
		if (c->database_given)
			free(db);
		free(root);
		return;
	}
	free(cause);
	*directory = xstrdup(c->directory);
	*database = xstrdup(c->database);
}

/*
 * Note the repository or database that option o at w[i], its value at w[v]
 * (v == i: attached to it), names.
 */
static void
complete_take(struct complete *c, const struct cmd_option *o, char **w,
    size_t i, size_t v)
{
	const char	*value = v != i ? w[v] : w[i][1] == '-' ?
			    strchr(w[i], '=') + 1 : w[i] + 2;

	if (o->id == OPT_DATABASE) {
		c->database = value;
		c->database_given = 1;
	} else if (o->id == OPT_DIRECTORY)
		c->directory = value;
}

/* The value of option o. */
static void
complete_value(const struct complete *c, const struct cmd_option *o)
{
	switch (o->id) {
	case OPT_DATABASE:
	case OPT_MODEL:
		puts("files");
		return;
	case OPT_DIRECTORY:
		puts("dirs");
		return;
	default:
		break;
	}
	puts("words");
	if (o->id == OPT_ROLE) {
		complete_offer(c->cur, "user", NULL);
		complete_offer(c->cur, "admin", NULL);
	}
	if (o->id == OPT_DIALECT) {
		complete_offer(c->cur, revision_dialect_name(DIALECT_SQLITE),
		    NULL);
		complete_offer(c->cur,
		    revision_dialect_name(DIALECT_POSTGRESQL), NULL);
	}
}

/*
 * Operand n (from 0) of command e, by the words of its args in capitals:
 * "TARGET", "REV" (a revision), "NAME" (a user), "ROLE"; one that ends in
 * "..." repeats. A word in small letters among them ("heads") is offered as
 * it is.
 */
static void
complete_operand(const struct complete *c, const struct cmd_entry *e,
    size_t n)
{
	char	*args, *word, *last = NULL, *save = NULL, *p, *dir, *db;
	size_t	 i = 0;

	puts("words");
	if (e->args == NULL)
		return;
	args = xstrdup(e->args);
	for (p = args; *p != '\0'; p++) {
		if (strchr("{}[]|", *p) != NULL)
			*p = ' ';
	}
	for (word = strtok_r(args, " ", &save); word != NULL;
	    word = strtok_r(NULL, " ", &save)) {
		if (islower((unsigned char)word[0]))
			complete_offer(c->cur, word, NULL);
		else if (isupper((unsigned char)word[0]) && i++ <= n)
			last = word;
	}
	/* Past the last word: only one that repeats goes on. */
	if (last != NULL && i <= n && strstr(last, "...") == NULL)
		last = NULL;
	complete_project(c, &dir, &db);
	if (last == NULL)
		;
	else if (strncmp(last, "TARGET", 6) == 0) {
		complete_offer(c->cur, "head", NULL);
		complete_offer(c->cur, "base", NULL);
		complete_revisions(c->cur, dir);
	} else if (strncmp(last, "REV", 3) == 0) {
		complete_offer(c->cur, "head", NULL);
		complete_revisions(c->cur, dir);
	} else if (strncmp(last, "NAME", 4) == 0 &&
	    !(e->flags & CMD_USERS_INSERT))
		complete_users(c->cur, db);
	else if (strncmp(last, "ROLE", 4) == 0) {
		complete_offer(c->cur, "user", NULL);
		complete_offer(c->cur, "admin", NULL);
	}
	free(dir);
	free(db);
	free(args);
}

/*
 * Where the value of option o, which takes one, is when typed at w[i]: in
 * w[i] itself when attached ("--name=VALUE", "-xVALUE"), else in the next
 * word, or two words on where bash split "--name=VALUE" at the '='.
 */
static size_t
complete_value_at(char **w, int nw, size_t i, int attached)
{
	if (attached)
		return i;
	if (w[i][1] == '-' && (int)i + 1 < nw && strcmp(w[i + 1], "=") == 0)
		return i + 2;
	return i + 1;
}

/*
 * The word being completed is an option's value (here), or the "=" bash
 * split off before it, which is left alone.
 */
static void
complete_after(const struct complete *c, const struct cmd_option *o,
    int here)
{
	if (here)
		complete_value(c, o);
	else
		puts("words");
}

static const struct cmd_entry *
complete_find(const struct group *g, const char *name)
{
	size_t	i;

	for (i = 0; i < *g->nentries; i++) {
		if (strcmp(g->entries[i].name, name) == 0)
			return &g->entries[i];
	}
	return NULL;
}

/* Whether word is an operand like -1, not an option. */
static int
complete_numeric(const char *word)
{
	return word[0] == '-' && isdigit((unsigned char)word[1]);
}

static int
complete_query_exec(struct cmd *cmd, char **cause)
{
	const struct group	*g = NULL;
	const struct cmd_entry	*e;
	const struct cmd_option	*o;
	struct complete		 c;
	char			**w = cmd->argv + 1, *end;
	const char		*value;
	long			 index;
	size_t			 i, j, v, nargs = 0;
	int			 nw = cmd->argc - 1, attached, dashdash = 0;

	index = strtol(cmd->argv[0], &end, 10);
	if (*cmd->argv[0] == '\0' || *end != '\0' || index < 0 ||
	    index > nw) {
		*cause = xasprintf("INDEX must be a number from 0 to %d, the "
		    "words given", nw);
		return 2;
	}
	c.cur = index < nw ? w[index] : "";
	c.database = cmd->database;
	c.directory = cmd->directory;
	value = getenv("EXODB_DATABASE");
	c.database_given = value != NULL && *value != '\0';
	if (index == 0) {
		puts("words");
		return 0;
	}
	/* The global options, as main() reads them. */
	for (i = 1; i < (size_t)index && w[i][0] == '-' && w[i][1] != '\0';
	    i++) {
		o = complete_option(global_options, w[i], &attached);
		if (o == NULL || o->arg == NULL)
			continue;
		v = complete_value_at(w, nw, i, attached);
		if (v != i && v >= (size_t)index) {
			complete_after(&c, o, v == (size_t)index);
			return 0;
		}
		complete_take(&c, o, w, i, v);
		i = v;
	}
	if (i == (size_t)index) {
		puts("words");
		if (c.cur[0] == '-')
			complete_options(c.cur, global_options, 0);
		else {
			for (j = 0; j < ngroups; j++)
				complete_offer(c.cur, groups[j].name,
				    groups[j].title);
		}
		return 0;
	}
	for (j = 0; j < ngroups; j++) {
		if (strcmp(groups[j].name, w[i]) == 0)
			g = &groups[j];
	}
	if (g == NULL) {
		puts("words");
		return 0;
	}
	if (++i == (size_t)index) {
		puts("words");
		if (c.cur[0] == '-')
			complete_offer(c.cur, "--help", "show this help");
		for (j = 0; c.cur[0] != '-' && j < *g->nentries; j++)
			complete_offer(c.cur, g->entries[j].name,
			    g->entries[j].summary);
		return 0;
	}
	if ((e = complete_find(g, w[i])) == NULL) {
		puts("words");
		return 0;
	}
	for (i++; i < (size_t)index; i++) {
		if (!dashdash && strcmp(w[i], "--") == 0)
			dashdash = 1;
		else if (!dashdash && w[i][0] == '-' && w[i][1] != '\0' &&
		    !complete_numeric(w[i])) {
			/* The command's own option first, then a global. */
			if ((o = complete_option(e->options, w[i],
			    &attached)) == NULL)
				o = complete_option(global_options, w[i],
				    &attached);
			if (o == NULL || o->arg == NULL)
				continue;
			v = complete_value_at(w, nw, i, attached);
			if (v != i && v >= (size_t)index) {
				complete_after(&c, o, v == (size_t)index);
				return 0;
			}
			complete_take(&c, o, w, i, v);
			i = v;
		} else
			nargs++;
	}
	if (!dashdash && c.cur[0] == '-' && !complete_numeric(c.cur)) {
		puts("words");
		complete_options(c.cur, e->options, 1);
		return 0;
	}
	complete_operand(&c, e, nargs);
	return 0;
}
