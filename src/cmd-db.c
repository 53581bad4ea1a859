/*
 * The "db" commands: Flask-Migrate's set, one exec function each beside its
 * constant entry. main.c loads the repository and opens the database as each
 * entry's flags say before calling exec.
 */
#include <sys/wait.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exodb.h"

static int	cmd_db_init_exec(struct cmd *);
static int	cmd_db_revision_exec(struct cmd *);
static int	cmd_db_migrate_exec(struct cmd *);
static int	cmd_db_upgrade_exec(struct cmd *);
static int	cmd_db_downgrade_exec(struct cmd *);
static int	cmd_db_current_exec(struct cmd *);
static int	cmd_db_history_exec(struct cmd *);
static int	cmd_db_heads_exec(struct cmd *);
static int	cmd_db_branches_exec(struct cmd *);
static int	cmd_db_show_exec(struct cmd *);
static int	cmd_db_stamp_exec(struct cmd *);
static int	cmd_db_merge_exec(struct cmd *);
static int	cmd_db_edit_exec(struct cmd *);
static int	cmd_db_check_exec(struct cmd *);
static int	cmd_db_repair_exec(struct cmd *);
static int	cmd_db_model_exec(struct cmd *);

static const struct option cmd_db_message_options[] = {
	{ "message", required_argument, NULL, 'm' },
	{ NULL, 0, NULL, 0 }
};

static const struct option cmd_db_migrate_options[] = {
	{ "message", required_argument, NULL, 'm' },
	{ "drop-unknown", no_argument, NULL, 'X' },
	{ NULL, 0, NULL, 0 }
};

static const struct option cmd_db_upgrade_options[] = {
	{ "sql", no_argument, NULL, 'S' },
	{ "single-transaction", no_argument, NULL, '1' },
	{ NULL, 0, NULL, 0 }
};

static const struct option cmd_db_downgrade_options[] = {
	{ "sql", no_argument, NULL, 'S' },
	{ "no-backup", no_argument, NULL, 'B' },
	{ NULL, 0, NULL, 0 }
};

static const struct option cmd_db_history_options[] = {
	{ "rev-range", required_argument, NULL, 'r' },
	{ "verbose", no_argument, NULL, 'v' },
	{ NULL, 0, NULL, 0 }
};

static const struct option cmd_db_repair_options[] = {
	{ "forget-missing", no_argument, NULL, 'F' },
	{ NULL, 0, NULL, 0 }
};

#define MESSAGE_HELP \
	"  -m, --message MESSAGE      what the revision does (required)\n"

const struct cmd_entry cmd_db_entries[] = {
	{ "db", "init", "",
	  "create the migration repository",
	  "", NULL, NULL, 0, 0, 0, cmd_db_init_exec },
	{ "db", "revision", "-m MESSAGE",
	  "write an empty revision on the head, to fill in by hand",
	  "m:", cmd_db_message_options, MESSAGE_HELP,
	  0, 0, CMD_REPO, cmd_db_revision_exec },
	{ "db", "migrate", "-m MESSAGE [--drop-unknown]",
	  "write a revision that brings the database to the model",
	  "m:", cmd_db_migrate_options, MESSAGE_HELP
	  "      --drop-unknown         also drop tables the model does not have\n",
	  0, 0, CMD_REPO | CMD_DB_READ, cmd_db_migrate_exec },
	{ "db", "upgrade", "[--sql] [--single-transaction] [TARGET]",
	  "apply revisions up to TARGET (default: head)",
	  "", cmd_db_upgrade_options,
	  "      --sql                  print the SQL script instead of running it\n"
	  "      --single-transaction   apply every revision in one transaction\n",
	  0, 1, CMD_REPO | CMD_DB_CREATE | CMD_SQL_OFFLINE | CMD_NUMERIC_ARG,
	  cmd_db_upgrade_exec },
	{ "db", "downgrade", "[--sql] [--no-backup] [TARGET]",
	  "revert revisions down to TARGET (default: -1)",
	  "", cmd_db_downgrade_options,
	  "      --sql                  print the SQL script instead of running it\n"
	  "      --no-backup            do not copy the database first\n",
	  0, 1, CMD_REPO | CMD_DB_WRITE | CMD_SQL_OFFLINE | CMD_NUMERIC_ARG,
	  cmd_db_downgrade_exec },
	{ "db", "current", "",
	  "show the revision the database is at",
	  "", NULL, NULL, 0, 0, CMD_REPO | CMD_DB_READ, cmd_db_current_exec },
	{ "db", "history", "[-r FROM:TO] [--verbose]",
	  "list revisions, newest first, applied or pending",
	  "r:v", cmd_db_history_options,
	  "  -r, --rev-range FROM:TO    only revisions from FROM to TO (each an id,\n"
	  "                             a prefix, base, head, current or empty)\n"
	  "  -v, --verbose              show each revision in full\n",
	  0, 0, CMD_REPO | CMD_DB_READ, cmd_db_history_exec },
	{ "db", "heads", "",
	  "show the revisions nothing revises",
	  "", NULL, NULL, 0, 0, CMD_REPO, cmd_db_heads_exec },
	{ "db", "branches", "",
	  "show the revisions more than one revision revises",
	  "", NULL, NULL, 0, 0, CMD_REPO, cmd_db_branches_exec },
	{ "db", "show", "REV",
	  "print a revision file",
	  "", NULL, NULL, 1, 1, CMD_REPO, cmd_db_show_exec },
	{ "db", "stamp", "REV",
	  "record revisions as applied without running them",
	  "", NULL, NULL, 1, 1, CMD_REPO | CMD_DB_CREATE, cmd_db_stamp_exec },
	{ "db", "merge", "-m MESSAGE {REV REV... | heads}",
	  "write a revision that joins several heads",
	  "m:", cmd_db_message_options, MESSAGE_HELP,
	  1, -1, CMD_REPO, cmd_db_merge_exec },
	{ "db", "edit", "REV",
	  "open a revision file in $VISUAL or $EDITOR",
	  "", NULL, NULL, 1, 1, CMD_REPO | CMD_DB_READ, cmd_db_edit_exec },
	{ "db", "check", "",
	  "exit 1 if revisions are pending or the model needs a migration",
	  "", NULL, NULL, 0, 0, CMD_REPO | CMD_DB_READ, cmd_db_check_exec },
	{ "db", "repair", "[--forget-missing]",
	  "accept edits of applied revisions: record their new checksums",
	  "", cmd_db_repair_options,
	  "      --forget-missing       also forget applied revisions whose file "
	  "is gone\n",
	  0, 0, CMD_REPO | CMD_DB_WRITE, cmd_db_repair_exec },
	{ "db", "model", "",
	  "print the model in use as SQL, and its fingerprint on stderr",
	  "", NULL, NULL, 0, 0, 0, cmd_db_model_exec },
};
const size_t cmd_db_nentries = sizeof cmd_db_entries / sizeof cmd_db_entries[0];

/*
 * Report a failure, "exodb: db COMMAND: cause", free the cause and return exit
 * status 1.
 */
static int
cmd_db_fail(struct cmd *cmd, char *cause)
{
	cmd_error("%s %s: %s", cmd->entry->group, cmd->entry->name, cause);
	free(cause);
	return 1;
}

static int
cmd_db_init_exec(struct cmd *cmd)
{
	char	*cause = NULL;

	if (repo_init(cmd->directory, &cause) == -1)
		return cmd_db_fail(cmd, cause);
	cmd_note("created migration repository %s/ with %s/versions/; next: "
	    "exodb db migrate -m MESSAGE", cmd->directory, cmd->directory);
	return 0;
}

/* Exit status 2 unless -m gives a message a revision may have. */
static int
cmd_db_message(struct cmd *cmd)
{
	char	*cause = NULL;

	if (revision_check_message(cmd->opt['m'], &cause) == 0)
		return 0;
	cmd_error("%s %s: %s", cmd->entry->group, cmd->entry->name, cause);
	free(cause);
	return 2;
}

/*
 * Add a revision on the given parents, with the SQL of ag, or with empty
 * sections for a hand-written revision or a merge (ag NULL). Prints its path
 * and a warning for each destructive operation of the upgrade.
 */
static int
cmd_db_write_revision(struct cmd *cmd, struct revision *const *parents,
    size_t nparents, const struct autogen *ag, const char *model)
{
	struct revision	 r;
	char		*path = NULL, *cause = NULL;
	size_t		 i, nup = 0;
	int		 status = 0;

	memset(&r, 0, sizeof r);
	r.message = (char *)cmd->opt['m'];	/* borrowed, never freed */
	r.parents = xcalloc(nparents, sizeof *r.parents);
	for (i = 0; i < nparents; i++)
		r.parents[i] = parents[i]->id;
	r.nparents = nparents;
	r.model = (char *)model;		/* borrowed, never freed */
	if (ag != NULL) {
		nup = revision_add_destructive(&r, ag->up, 1);
		revision_add_destructive(&r, ag->down, 0);
		r.upgrade = ag->upgrade;
		r.downgrade = ag->downgrade;
	}
	if (repo_add(cmd->repo, &r, time(NULL), &path, &cause) == 0) {
		for (i = 0; i < nup; i++)
			cmd_note("warning: destructive: %s", r.destructive[i]);
		printf("%s\n", path);
	} else
		status = cmd_db_fail(cmd, cause);
	for (i = 0; i < r.ndestructive; i++)
		free(r.destructive[i]);
	free(r.destructive);
	free(r.parents);
	free(path);
	return status;
}

static int
cmd_db_migrate_exec(struct cmd *cmd)
{
	struct revision	*head;
	struct autogen	*ag = NULL;
	struct schema	*model = NULL;
	char		*cause = NULL, *what, *fp = NULL;
	size_t		 i;
	int		 flags = 0, status = 1;

	if ((status = cmd_db_message(cmd)) != 0)
		return status;
	status = 1;
	if (cmd->opt['X'] != NULL)
		flags |= DIFF_DROP_UNKNOWN;
	if (repo_single_head(cmd->repo, &head, &cause) == -1 ||
	    cmd_require_head(cmd, &cause) == -1 ||
	    model_load(cmd->model, &model, &cause) == -1 ||
	    autogen_plan(cmd->db, model, flags, &ag, &cause) == -1 ||
	    model_check_renames(model, ag->live, &cause) == -1)
		goto out;
	for (i = 0; i < ag->up->nunknown; i++)
		cmd_note("keeping table %s, which is not in the model (drop it "
		    "with --drop-unknown)", ag->up->unknown[i]);
	if (ag->up->nops == 0) {
		cmd_note("no changes in schema detected");
		status = 0;
		goto out;
	}
	if (autogen_prove(cmd->db, ag, model, flags, &cause) == -1) {
		what = cause;
		cause = xasprintf("no revision written: %s", what);
		free(what);
		goto out;
	}
	for (i = 0; i < ag->up->nops; i++) {
		what = diff_describe(&ag->up->ops[i]);
		cmd_note("detected %s", what);
		free(what);
	}
	fp = model_fingerprint(model);
	status = cmd_db_write_revision(cmd, &head, head != NULL, ag, fp);
out:
	if (cause != NULL)
		status = cmd_db_fail(cmd, cause);
	autogen_free(ag);
	schema_free(model);
	free(fp);
	return status;
}

/* The history, after checking that no applied file was edited or removed. */
static int
cmd_db_history(struct cmd *cmd, struct history **h, char **cause)
{
	if (history_read(cmd->db, h, cause) == -1)
		return -1;
	if (history_verify(cmd->repo, *h, cause) == -1) {
		history_free(*h);
		*h = NULL;
		return -1;
	}
	return 0;
}

static void
cmd_db_done(const struct revision *rev, int up, void *arg)
{
	int	*count = arg;

	(*count)++;
	cmd_note("%s %s %s", up ? "applied" : "reverted", rev->id, rev->message);
}

/* With -v: each statement's place and first line as it starts. */
static void
cmd_db_statement(const struct revision *rev, unsigned line, const char *sql,
    void *arg)
{
	(void)arg;
	cmd_verbose("%s:%u: %.*s%s", rev->path, line, (int)strcspn(sql, "\n"),
	    sql, strchr(sql, '\n') != NULL ? " ..." : "");
}

/* Only on a terminal: a line that rewrites itself, ended when done. */
static void
cmd_db_progress(const char *table, long long done, long long total, int last,
    void *arg)
{
	(void)arg;
	fprintf(stderr, "\rrebuilding %s: %lld of %lld rows copied%s", table,
	    done, total, last ? "\n" : "");
	fflush(stderr);
}

/* Upgrade or downgrade: plan, then print the script or run it. */
static int
cmd_db_move(struct cmd *cmd, int up, const char *target)
{
	struct history		*h = NULL;
	struct plan	*plan = NULL;
	struct migrate_hooks	 hooks;
	char			*cause = NULL, *script = NULL, *backup = NULL;
	int			 count = 0, status = 1, flags = 0;

	hooks.done = cmd_db_done;
	hooks.progress = verbosity > 0 && isatty(STDERR_FILENO) ?
	    cmd_db_progress : NULL;
	hooks.progress_after_ms = 1000;
	hooks.statement = verbosity > 1 ? cmd_db_statement : NULL;
	hooks.arg = &count;
	if (cmd->opt['1'] != NULL)
		flags |= MIGRATE_SINGLE;
	if (cmd_db_history(cmd, &h, &cause) == -1 ||
	    plan_new(cmd->repo, h, target, up, &plan, &cause) == -1)
		goto out;
	if (cmd->opt['S'] != NULL) {
		if (migrate_check(cmd->db, plan, MIGRATE_REFUSALS, &cause) == -1 ||
		    migrate_script(plan, flags, &script, &cause) == -1)
			goto out;
		printf("%s", script);
		status = 0;
		goto out;
	}
	if (plan->nrevs == 0) {
		if (up && strcmp(target, "head") == 0 && cmd->repo->nheads == 0)
			cmd_note("no revisions in %s; nothing to apply",
			    cmd->repo->versions);
		else if (up && strcmp(target, "head") == 0)
			cmd_note("database is at head (%s); nothing to apply",
			    cmd->repo->heads[0]->id);
		else
			cmd_note("nothing to %s for '%s'", up ? "apply" :
			    "revert", target);
		status = 0;
		goto out;
	}
	if (!up && cmd->opt['B'] == NULL &&
	    db_backup(cmd->db, cmd->database, &backup, &cause) == -1)
		goto out;
	if (migrate_apply(cmd->db, plan, flags, &hooks, &cause) == -1) {
		/* A backup of a database nothing was done to is noise. */
		if (backup != NULL && count == 0)
			unlink(backup);
		else if (backup != NULL)
			printf("%s\n", backup);
		goto out;
	}
	/* The backup is a new file: its path is data, as migrate's is. */
	if (backup != NULL)
		printf("%s\n", backup);
	status = 0;
out:
	if (cause != NULL)
		status = cmd_db_fail(cmd, cause);
	free(script);
	free(backup);
	plan_free(plan);
	history_free(h);
	return status;
}

static int
cmd_db_upgrade_exec(struct cmd *cmd)
{
	return cmd_db_move(cmd, 1, cmd->argc > 0 ? cmd->argv[0] : "head");
}

static int
cmd_db_downgrade_exec(struct cmd *cmd)
{
	return cmd_db_move(cmd, 0, cmd->argc > 0 ? cmd->argv[0] : "-1");
}

static int
cmd_db_revision_exec(struct cmd *cmd)
{
	struct revision	*head;
	char		*cause = NULL;
	int		 status;

	if ((status = cmd_db_message(cmd)) != 0)
		return status;
	if (repo_single_head(cmd->repo, &head, &cause) == -1)
		return cmd_db_fail(cmd, cause);
	return cmd_db_write_revision(cmd, &head, head != NULL, NULL, NULL);
}

/*
 * The applied revisions no applied revision revises: where the database is.
 * Rows of revisions missing from the repository are shown too.
 */
static int
cmd_db_current_exec(struct cmd *cmd)
{
	struct history		*h = NULL;
	const struct revision	*rev;
	char			*cause = NULL;
	int			*applied;
	size_t			 i, known = 0;

	if (history_read(cmd->db, &h, &cause) == -1)
		return cmd_db_fail(cmd, cause);
	applied = repo_applied(cmd->repo, h);
	for (i = 0; i < cmd->repo->nrevs; i++) {
		rev = cmd->repo->revs[i];
		if (repo_is_current(rev, applied))
			printf("%s%s\n", rev->id, rev->is_head ? " (head)" : "");
		known += history_row(h, rev->id) != NULL;
	}
	free(applied);
	/* Only when some row has no file: finding which is then linear. */
	for (i = 0; known < h->nrows && i < h->nrows; i++) {
		if (repo_get(cmd->repo, h->rows[i].id) == NULL)
			printf("%s (file missing)\n", h->rows[i].id);
	}
	if (h->nrows == 0)
		cmd_note("no revisions applied");
	history_free(h);
	return 0;
}

/*
 * One end of a -r range: NULL for an open end (empty, "base", or "head" in an
 * empty repository), else the revision named.
 */
static int
cmd_db_range_end(const struct repo *repo, const int *applied,
    const char *spec, const struct revision **rev, char **cause)
{
	struct repo_target	t;

	*rev = NULL;
	if (repo_resolve(repo, applied, spec, REPO_EMPTY | REPO_ID | REPO_BASE |
	    REPO_HEAD | REPO_CURRENT, &t, cause) == -1)
		return -1;
	if (t.nrevs > 0)
		*rev = t.revs[0];
	free(t.revs);
	return 0;
}

static void
cmd_db_history_line(const struct revision *rev, const struct history *h,
    int verbose)
{
	const struct history_row	*row = history_row(h, rev->id);
	size_t				 i;

	if (verbose) {
		printf("Rev: %s%s%s\nParent: ", rev->id, rev->is_head ?
		    " (head)" : "", rev->nparents > 1 ? " (mergepoint)" : "");
		if (rev->nparents == 0)
			printf("<base>");
		for (i = 0; i < rev->nparents; i++)
			printf("%s%s", i > 0 ? ", " : "", rev->parents[i]);
		printf("\nPath: %s\nCreated: %s\n", rev->path, rev->created);
		if (row != NULL)
			printf("Applied: %s\n", row->applied_at);
		else
			printf("Applied: no (pending)\n");
		printf("\n    %s\n\n", rev->message);
		return;
	}
	if (rev->nparents == 0)
		printf("<base>");
	for (i = 0; i < rev->nparents; i++)
		printf("%s%s", i > 0 ? ", " : "", rev->parents[i]);
	printf(" -> %s%s%s, %s [%s]\n", rev->id, rev->is_head ? " (head)" : "",
	    rev->nparents > 1 ? " (mergepoint)" : "", rev->message,
	    row != NULL ? "applied" : "pending");
}

static int
cmd_db_history_exec(struct cmd *cmd)
{
	const struct revision	*from = NULL, *to = NULL, *rev;
	struct history		*h = NULL;
	const char		*range = cmd->opt['r'], *colon;
	char			*cause = NULL, *first = NULL;
	int			*applied = NULL, *after = NULL, *before = NULL;
	size_t			 i;
	int			 status = 1;

	if (range != NULL && (colon = strchr(range, ':')) == NULL) {
		cmd_error("db history: range '%s' is not FROM:TO", range);
		return 2;
	}
	if (cmd_db_history(cmd, &h, &cause) == -1)
		goto out;
	if (range != NULL) {
		colon = strchr(range, ':');
		first = xstrndup(range, (size_t)(colon - range));
		applied = repo_applied(cmd->repo, h);
		if (cmd_db_range_end(cmd->repo, applied, first, &from,
		    &cause) == -1 || cmd_db_range_end(cmd->repo, applied,
		    colon + 1, &to, &cause) == -1)
			goto out;
	}
	/* FROM and what descends from it, TO and what it descends from. */
	if (from != NULL)
		repo_descendants(cmd->repo, from,
		    after = xcalloc(cmd->repo->nrevs, sizeof *after));
	if (to != NULL)
		repo_ancestors(to, before = xcalloc(cmd->repo->nrevs,
		    sizeof *before));
	for (i = cmd->repo->nrevs; i > 0; i--) {
		rev = cmd->repo->revs[i - 1];
		if ((after != NULL && !after[i - 1]) ||
		    (before != NULL && !before[i - 1]))
			continue;
		cmd_db_history_line(rev, h, cmd->opt['v'] != NULL);
	}
	status = 0;
out:
	if (cause != NULL)
		status = cmd_db_fail(cmd, cause);
	free(applied);
	free(after);
	free(before);
	free(first);
	history_free(h);
	return status;
}

static int
cmd_db_heads_exec(struct cmd *cmd)
{
	size_t	i;

	for (i = 0; i < cmd->repo->nheads; i++)
		printf("%s (head), %s\n", cmd->repo->heads[i]->id,
		    cmd->repo->heads[i]->message);
	if (cmd->repo->nheads > 1)
		cmd_note("%zu heads: join them with 'exodb db merge -m MESSAGE "
		    "heads'", cmd->repo->nheads);
	return 0;
}

static int
cmd_db_branches_exec(struct cmd *cmd)
{
	struct revision		**points;
	const struct revision	 *rev, *child;
	size_t			  i, j, n;

	repo_branchpoints(cmd->repo, &points, &n);
	for (i = 0; i < n; i++) {
		rev = points[i];
		printf("%s (branchpoint), %s\n", rev->id, rev->message);
		for (j = 0; j < rev->nchildren; j++) {
			child = rev->children[j];
			printf("    -> %s%s, %s\n", child->id, child->is_head ?
			    " (head)" : "", child->message);
		}
	}
	free(points);
	return 0;
}

/* REV for show and edit: an id, a unique prefix or "head". */
static struct revision *
cmd_db_find(struct cmd *cmd, const char *spec, char **cause)
{
	struct repo_target	 t;
	struct revision		*rev;

	if (repo_resolve(cmd->repo, NULL, spec, REPO_ID | REPO_HEAD | REPO_ONE,
	    &t, cause) == -1)
		return NULL;
	rev = t.revs[0];
	free(t.revs);
	return rev;
}

static int
cmd_db_show_exec(struct cmd *cmd)
{
	struct revision	*rev;
	char		*cause = NULL, buf[8192];
	FILE		*f;
	size_t		 n;

	if ((rev = cmd_db_find(cmd, cmd->argv[0], &cause)) == NULL)
		return cmd_db_fail(cmd, cause);
	if ((f = fopen(rev->path, "r")) == NULL) {
		cmd_error("db show: %s: %s", rev->path, strerror(errno));
		return 1;
	}
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(f);
	return 0;
}

static int
cmd_db_stamp_exec(struct cmd *cmd)
{
	char	*cause = NULL;
	int	 added, removed, exists;

	if (history_stamp(cmd->db, cmd->repo, cmd->argv[0], &added, &removed,
	    &cause) == -1)
		return cmd_db_fail(cmd, cause);
	cmd_note("stamped %s: %d revision%s recorded as applied, %d removed; "
	    "nothing was run", cmd->argv[0], added, added == 1 ? "" : "s",
	    removed);
	if (db_table_exists(cmd->db, "alembic_version", &exists,
	    &cause) == 0 && exists)
		cmd_note("the alembic_version table of Flask-Migrate is left "
		    "alone; drop it when you no longer need it");
	free(cause);
	return 0;
}

static int
cmd_db_merge_exec(struct cmd *cmd)
{
	struct revision		**revs = NULL;
	struct repo_target	  t;
	char			 *cause = NULL;
	size_t			  n = 0;
	int			  k, status;

	if ((status = cmd_db_message(cmd)) != 0)
		return status;
	for (k = 0; k < cmd->argc; k++) {
		if (repo_resolve(cmd->repo, NULL, cmd->argv[k], REPO_ID |
		    REPO_HEADS, &t, &cause) == -1)
			goto out;
		revs = xreallocarray(revs, n + t.nrevs, sizeof *revs);
		memcpy(revs + n, t.revs, t.nrevs * sizeof *revs);
		n += t.nrevs;
		free(t.revs);
	}
	if (repo_check_merge(cmd->repo, revs, n, &cause) == -1)
		goto out;
	status = cmd_db_write_revision(cmd, revs, n, NULL, NULL);
out:
	if (cause != NULL)
		status = cmd_db_fail(cmd, cause);
	free(revs);
	return status;
}

/* Whether a program is on PATH. */
static int
cmd_db_on_path(const char *name)
{
	const char	*path = getenv("PATH"), *p, *end;
	char		*file;
	int		 found = 0;

	for (p = path != NULL ? path : ""; !found && *p != '\0'; p = end) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		file = xasprintf("%.*s/%s", (int)(end - p), p, name);
		found = access(file, X_OK) == 0;
		free(file);
		if (*end == ':')
			end++;
	}
	return found;
}

static int
cmd_db_edit_exec(struct cmd *cmd)
{
	struct history	*h = NULL;
	struct revision	*rev;
	const char	*editor;
	char		*cause = NULL;
	pid_t		 pid;
	int		 wstatus, status = 1;

	if ((rev = cmd_db_find(cmd, cmd->argv[0], &cause)) == NULL ||
	    history_read(cmd->db, &h, &cause) == -1)
		goto out;
	if ((editor = getenv("VISUAL")) == NULL || *editor == '\0')
		editor = getenv("EDITOR");
	if (editor == NULL || *editor == '\0')
		editor = cmd_db_on_path("vi") ? "vi" : NULL;
	if (editor == NULL) {
		cause = xstrdup("no editor found; set VISUAL or "
		    "EDITOR");
		goto out;
	}
	fflush(stdout);
	if ((pid = fork()) == -1) {
		cause = xasprintf("fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "exec $0 \"$1\"", editor,
		    rev->path, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &wstatus, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
		cause = xasprintf("editor '%s' failed (%s %d)", editor,
		    WIFEXITED(wstatus) ? "exit status" : "signal",
		    WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) :
		    WTERMSIG(wstatus));
		goto out;
	}
	if (history_row(h, rev->id) != NULL)
		cmd_note("warning: %s is applied: editing it does not change "
		    "the database, and 'exodb db repair' must accept the edit",
		    rev->id);
	status = 0;
out:
	if (cause != NULL)
		status = cmd_db_fail(cmd, cause);
	history_free(h);
	return status;
}

static int
cmd_db_check_exec(struct cmd *cmd)
{
	struct history	*h = NULL;
	struct autogen	*ag = NULL;
	struct schema	*model = NULL;
	char		*cause = NULL, *what;
	size_t		 i, pending = 0;
	int		 status = 1;

	if (cmd_db_history(cmd, &h, &cause) == -1)
		goto out;
	for (i = 0; i < cmd->repo->nrevs; i++) {
		if (history_row(h, cmd->repo->revs[i]->id) != NULL)
			continue;
		printf("pending %s %s\n", cmd->repo->revs[i]->id,
		    cmd->repo->revs[i]->message);
		pending++;
	}
	if (pending > 0) {
		cause = xasprintf("%s: %zu revision%s pending; run "
		    "'exodb db upgrade'", cmd->database, pending,
		    pending == 1 ? "" : "s");
		goto out;
	}
	if (model_load(cmd->model, &model, &cause) == -1 ||
	    autogen_plan(cmd->db, model, 0, &ag, &cause) == -1)
		goto out;
	for (i = 0; i < ag->up->nops; i++) {
		what = diff_describe(&ag->up->ops[i]);
		printf("needed %s\n", what);
		free(what);
	}
	if (ag->up->nops > 0) {
		cause = xasprintf("%s: the model needs %zu "
		    "operation%s; run 'exodb db migrate -m MESSAGE'",
		    cmd->database, ag->up->nops, ag->up->nops == 1 ? "" : "s");
		goto out;
	}
	cmd_note("database is at head and matches the model");
	status = 0;
out:
	if (cause != NULL)
		status = cmd_db_fail(cmd, cause);
	autogen_free(ag);
	schema_free(model);
	history_free(h);
	return status;
}

static void
cmd_db_repaired(const char *id, const char *path, const char *old, void *arg)
{
	int	*n = arg;

	(*n)++;
	if (path == NULL)
		cmd_note("forgot revision %s, whose file is gone (it stays in "
		    "the database's schema)", id);
	else
		cmd_note("accepted the edit of %s (checksum was %.12s)", path,
		    old);
}

static int
cmd_db_repair_exec(struct cmd *cmd)
{
	struct history	*h = NULL;
	char		*cause = NULL;
	int		 n = 0;

	if (history_read(cmd->db, &h, &cause) == -1 ||
	    history_repair(cmd->db, cmd->repo, h, cmd->opt['F'] != NULL,
	    cmd_db_repaired, &n, &cause) == -1) {
		history_free(h);
		return cmd_db_fail(cmd, cause);
	}
	if (n == 0)
		cmd_note("nothing to repair: every applied revision matches its "
		    "file");
	history_free(h);
	return 0;
}

/*
 * The model in use as the differ sees it, on stdout; its fingerprint, which
 * --version and the revisions db migrate writes carry, on stderr.
 */
static int
cmd_db_model_exec(struct cmd *cmd)
{
	struct schema	*model = NULL;
	char		*cause = NULL, *text, *fp;

	if (model_load(cmd->model, &model, &cause) == -1)
		return cmd_db_fail(cmd, cause);
	text = model_render(model);
	fp = model_fingerprint(model);
	fputs(text, stdout);
	cmd_note("model %s (%s%s)", fp, cmd->model != NULL ? cmd->model :
	    model_builtin_name, cmd->model != NULL ? "" : ", compiled in");
	free(text);
	free(fp);
	schema_free(model);
	return 0;
}
