/*
 * The "db" commands: Flask-Migrate's set, one exec function each beside its
 * constant entry. main.c loads the repository and opens the database as each
 * entry's flags say before calling exec.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exodb.h"

static int	cmd_db_init_exec(struct cmd *);
static int	cmd_db_migrate_exec(struct cmd *);
static int	cmd_db_upgrade_exec(struct cmd *);
static int	cmd_db_current_exec(struct cmd *);
static int	cmd_db_history_exec(struct cmd *);

static const struct option cmd_db_migrate_options[] = {
	{ "message", required_argument, NULL, 'm' },
	{ "drop-unknown", no_argument, NULL, 'X' },
	{ NULL, 0, NULL, 0 }
};

const struct cmd_entry cmd_db_entries[] = {
	{ "db", "init", "",
	  "create the migration repository (default: migrations)",
	  "", NULL, NULL, 0, 0, 0, cmd_db_init_exec },
	{ "db", "migrate", "-m MESSAGE [--drop-unknown]",
	  "write a revision that brings the database to the model",
	  "m:", cmd_db_migrate_options,
	  "  -m, --message MESSAGE      what the revision does (required)\n"
	  "      --drop-unknown         also drop tables the model does not have\n",
	  0, 0, CMD_REPO | CMD_DB_READ, cmd_db_migrate_exec },
	{ "db", "upgrade", "",
	  "apply pending revisions",
	  "", NULL, NULL, 0, 0, CMD_REPO | CMD_DB_CREATE, cmd_db_upgrade_exec },
	{ "db", "current", "",
	  "show the revisions the database is at",
	  "", NULL, NULL, 0, 0, CMD_REPO | CMD_DB_READ, cmd_db_current_exec },
	{ "db", "history", "",
	  "list revisions, newest first, marked applied or pending",
	  "", NULL, NULL, 0, 0, CMD_REPO | CMD_DB_READ, cmd_db_history_exec },
};
const size_t cmd_db_nentries = sizeof cmd_db_entries / sizeof cmd_db_entries[0];

/* Report a failure with its cause and free it; returns exit status 1. */
static int
cmd_db_fail(char *cause)
{
	cmd_error("%s", cause);
	free(cause);
	return 1;
}

static int
cmd_db_init_exec(struct cmd *cmd)
{
	char	*cause = NULL;

	if (repo_init(cmd->directory, &cause) == -1)
		return cmd_db_fail(cause);
	cmd_note("created migration repository %s/ with %s/versions/; next: "
	    "exodb db migrate -m MESSAGE", cmd->directory, cmd->directory);
	return 0;
}

static int
cmd_db_blank(const char *s)
{
	return s == NULL || s[strspn(s, " \t\r\n\v\f")] == '\0';
}

/*
 * Write a new revision revising the current head (or parents, for a merge):
 * its id, file name and header are made here, the SQL comes from the caller.
 */
static int
cmd_db_write_revision(struct cmd *cmd, const char *message,
    const char **parents, size_t nparents, const struct diff *up,
    const char *upgrade, const char *downgrade)
{
	struct revision_header	 h;
	struct tm		 tm;
	time_t			 now = time(NULL);
	char			 created[32];
	char			*id, *slug, *name, *text, *path = NULL;
	char			*cause = NULL;
	size_t			 i;
	int			 ret;

	memset(&h, 0, sizeof h);
	id = repo_new_id(cmd->repo, (long long)now);
	gmtime_r(&now, &tm);
	strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
	h.id = id;
	h.parents = parents;
	h.nparents = nparents;
	h.message = message;
	h.created = created;
	for (i = 0; up != NULL && i < up->nops; i++) {
		if (!diff_destructive(&up->ops[i]))
			continue;
		h.destructive = xreallocarray(h.destructive,
		    h.ndestructive + 1, sizeof *h.destructive);
		h.destructive[h.ndestructive++] = diff_describe(&up->ops[i]);
	}
	slug = revision_slug(message);
	name = xasprintf("%s_%s.sql", id, slug);
	text = revision_text(&h, upgrade, downgrade);
	ret = repo_write(cmd->repo, name, text, &path, &cause);
	if (ret == 0) {
		for (i = 0; i < h.ndestructive; i++)
			cmd_note("warning: destructive: %s", h.destructive[i]);
		printf("%s\n", path);
	} else
		cmd_error("%s", cause);
	for (i = 0; i < h.ndestructive; i++)
		free((char *)h.destructive[i]);
	free(h.destructive);
	free(id);
	free(slug);
	free(name);
	free(text);
	free(path);
	free(cause);
	return ret == 0 ? 0 : 1;
}

static int
cmd_db_migrate_exec(struct cmd *cmd)
{
	const char	*message = cmd->opt['m'];
	struct revision	*head;
	struct autogen	*ag = NULL;
	const char	*parent;
	char		*cause = NULL, *what;
	size_t		 i;
	int		 flags = 0, status = 1;

	if (cmd_db_blank(message)) {
		cmd_error("db migrate: a message is required: -m MESSAGE");
		return 2;
	}
	if (cmd->opt['X'] != NULL)
		flags |= DIFF_DROP_UNKNOWN;
	if (repo_single_head(cmd->repo, &head, &cause) == -1 ||
	    cmd_require_head(cmd, &cause) == -1 ||
	    autogen_plan(cmd->db, model_schema(), flags, &ag, &cause) == -1)
		goto out;
	for (i = 0; i < ag->up->nunknown; i++)
		cmd_note("keeping table %s, which is not in the model (drop it "
		    "with --drop-unknown)", ag->up->unknown[i]);
	if (ag->up->nops == 0) {
		cmd_note("no changes in schema detected");
		status = 0;
		goto out;
	}
	if (autogen_prove(cmd->db, ag, model_schema(), flags, &cause) == -1) {
		what = cause;
		cause = xasprintf("db migrate: no revision written: %s", what);
		free(what);
		goto out;
	}
	for (i = 0; i < ag->up->nops; i++) {
		what = diff_describe(&ag->up->ops[i]);
		cmd_note("detected %s", what);
		free(what);
	}
	parent = head != NULL ? head->id : NULL;
	status = cmd_db_write_revision(cmd, message, &parent, head != NULL,
	    ag->up, ag->upgrade, ag->downgrade);
out:
	if (cause != NULL)
		status = cmd_db_fail(cause);
	autogen_free(ag);
	return status;
}

static void
cmd_db_applied(const struct revision *rev, int up, void *arg)
{
	(void)arg;
	cmd_note("%s %s %s", up ? "applied" : "reverted", rev->id, rev->message);
}

static int
cmd_db_upgrade_exec(struct cmd *cmd)
{
	struct migrate_hooks	 hooks = { cmd_db_applied, NULL };
	struct revision		*head = NULL;
	char			*cause = NULL;
	int			 n;

	if (repo_single_head(cmd->repo, &head, &cause) == -1)
		return cmd_db_fail(cause);
	if ((n = migrate_upgrade(cmd->db, cmd->repo, NULL, &hooks,
	    &cause)) == -1)
		return cmd_db_fail(cause);
	if (n == 0 && head == NULL)
		cmd_note("no revisions in %s; nothing to apply",
		    cmd->repo->versions);
	else if (n == 0)
		cmd_note("database is at head (%s); nothing to apply", head->id);
	return 0;
}

/*
 * The applied revisions none of whose applied children exist: where the
 * database is. Rows of revisions missing from the repository are shown too.
 */
static int
cmd_db_current_exec(struct cmd *cmd)
{
	struct history		*h = NULL;
	const struct revision	*rev;
	char			*cause = NULL;
	size_t			 i, j, k;
	int			 covered;

	if (migrate_history(cmd->db, &h, &cause) == -1)
		return cmd_db_fail(cause);
	for (i = 0; i < cmd->repo->nrevs; i++) {
		rev = cmd->repo->revs[i];
		if (migrate_applied(h, rev->id) == NULL)
			continue;
		covered = 0;
		for (j = 0; j < cmd->repo->nrevs && !covered; j++) {
			if (migrate_applied(h, cmd->repo->revs[j]->id) == NULL)
				continue;
			for (k = 0; k < cmd->repo->revs[j]->nparents; k++) {
				if (cmd->repo->revs[j]->parent_revs[k] == rev)
					covered = 1;
			}
		}
		if (!covered)
			printf("%s%s\n", rev->id, rev->is_head ? " (head)" : "");
	}
	for (i = 0; i < h->nrows; i++) {
		for (j = 0; j < cmd->repo->nrevs; j++) {
			if (strcmp(cmd->repo->revs[j]->id, h->rows[i].id) == 0)
				break;
		}
		if (j == cmd->repo->nrevs)
			printf("%s (file missing)\n", h->rows[i].id);
	}
	if (h->nrows == 0)
		cmd_note("no revisions applied");
	migrate_history_free(h);
	return 0;
}

static void
cmd_db_history_line(const struct revision *rev, const struct history *h)
{
	size_t	i;

	if (rev->nparents == 0)
		printf("<base>");
	for (i = 0; i < rev->nparents; i++)
		printf("%s%s", i > 0 ? ", " : "", rev->parents[i]);
	printf(" -> %s%s%s, %s [%s]\n", rev->id, rev->is_head ? " (head)" : "",
	    rev->nparents > 1 ? " (mergepoint)" : "", rev->message,
	    migrate_applied(h, rev->id) != NULL ? "applied" : "pending");
}

static int
cmd_db_history_exec(struct cmd *cmd)
{
	struct history	*h = NULL;
	char		*cause = NULL;
	size_t		 i;

	if (migrate_history(cmd->db, &h, &cause) == -1)
		return cmd_db_fail(cause);
	for (i = cmd->repo->nrevs; i > 0; i--)
		cmd_db_history_line(cmd->repo->revs[i - 1], h);
	migrate_history_free(h);
	return 0;
}
