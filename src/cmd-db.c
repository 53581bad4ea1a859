/*
 * The "db" commands: Flask-Migrate's set, one exec function each beside its
 * constant entry. main.c loads the repository and opens the database as each
 * entry's flags say before calling exec.
 */
#include <sys/wait.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


#include "cmd.h"

static int	cmd_db_init_exec(struct cmd *, char **);
static int	cmd_db_revision_exec(struct cmd *, char **);
static int	cmd_db_migrate_exec(struct cmd *, char **);
static int	cmd_db_upgrade_exec(struct cmd *, char **);
static int	cmd_db_downgrade_exec(struct cmd *, char **);
static int	cmd_db_current_exec(struct cmd *, char **);
static int	cmd_db_history_exec(struct cmd *, char **);
static int	cmd_db_heads_exec(struct cmd *, char **);
static int	cmd_db_branches_exec(struct cmd *, char **);
static int	cmd_db_show_exec(struct cmd *, char **);
static int	cmd_db_stamp_exec(struct cmd *, char **);
static int	cmd_db_merge_exec(struct cmd *, char **);
static int	cmd_db_edit_exec(struct cmd *, char **);
static int	cmd_db_check_exec(struct cmd *, char **);
static int	cmd_db_status_exec(struct cmd *, char **);
static int	cmd_db_baseline_exec(struct cmd *, char **);
static int	cmd_db_repair_exec(struct cmd *, char **);
static int	cmd_db_model_exec(struct cmd *, char **);

#define CMD_DB_MESSAGE \
	{ .id = OPT_MESSAGE, .letter = 'm', .name = "message", \
	  .arg = "MESSAGE", .help = "what the revision does", \
	  .flags = CMD_OPT_REQUIRED | CMD_OPT_NOT_BLANK }
#define CMD_DB_SQL \
	{ .id = OPT_SQL, .name = "sql", \
	  .help = "print the SQL script instead of running it" }

const struct cmd_entry cmd_db_entries[] = {
	{
		.group = "db", .name = "init",
		.summary = "create the migration repository",
		.exec = cmd_db_init_exec
	},
	{
		.group = "db", .name = "revision",
		.summary = "write an empty revision on the head, to fill in by "
		    "hand",
		.options = (const struct cmd_option[]) {
			CMD_DB_MESSAGE,
			{ .name = NULL }
		},
		.flags = CMD_REPO | CMD_ONE_HEAD,
		.exec = cmd_db_revision_exec
	},
	{
		.group = "db", .name = "migrate",
		.summary = "write a revision that brings the database to the "
		    "model",
		.options = (const struct cmd_option[]) {
			CMD_DB_MESSAGE,
			{ .id = OPT_DROP_UNKNOWN, .name = "drop-unknown",
			  .help = "also drop tables the model does not have" },
			{ .id = OPT_ALLOW_DESTRUCTIVE,
			  .name = "allow-destructive",
			  .help = "write it even if it drops a table or column" },
			{ .name = NULL }
		},
		.flags = CMD_REPO | CMD_DB_READ | CMD_DB_EMPTY_OK |
		    CMD_ONE_HEAD | CMD_AT_HEAD,
		.exec = cmd_db_migrate_exec
	},
	{
		.group = "db", .name = "upgrade",
		.summary = "apply revisions up to TARGET (default: head)",
		.options = (const struct cmd_option[]) {
			CMD_DB_SQL,
			{ .id = OPT_SINGLE_TRANSACTION,
			  .name = "single-transaction",
			  .help = "apply every revision in one transaction" },
			{ .name = NULL }
		},
		.args = "[TARGET]", .maxargs = 1,
		.flags = CMD_REPO | CMD_DB_CREATE | CMD_SQL_OFFLINE |
		    CMD_NUMERIC_ARG,
		.exec = cmd_db_upgrade_exec
	},
	{
		.group = "db", .name = "downgrade",
		.summary = "revert revisions down to TARGET (default: -1)",
		.options = (const struct cmd_option[]) {
			CMD_DB_SQL,
			{ .id = OPT_NO_BACKUP, .name = "no-backup",
			  .help = "do not copy the database first" },
			{ .id = OPT_YES, .name = "yes",
			  .help = "do not ask before dropping tables or columns\n"
			  "(needed without a terminal)" },
			{ .name = NULL }
		},
		.args = "[TARGET]", .maxargs = 1,
		.flags = CMD_REPO | CMD_DB_WRITE | CMD_SQL_OFFLINE |
		    CMD_NUMERIC_ARG,
		.exec = cmd_db_downgrade_exec
	},
	{
		.group = "db", .name = "current",
		.summary = "show the revision the database is at",
		.options = (const struct cmd_option[]) {
			CMD_OPTION_JSON("a JSON array of the revisions"),
			{ .name = NULL }
		},
		.flags = CMD_REPO | CMD_DB_READ,
		.exec = cmd_db_current_exec
	},
	{
		.group = "db", .name = "history",
		.summary = "list revisions, newest first, applied or pending",
		.options = (const struct cmd_option[]) {
			{ .id = OPT_REV_RANGE, .letter = 'r', .name = "rev-range",
			  .arg = "FROM:TO",
			  .help = "only revisions from FROM to TO (each an id,\n"
			  "a prefix, base, head, current or empty)" },
			{ .id = OPT_VERBOSE, .letter = 'v', .name = "verbose",
			  .help = "show each revision in full" },
			CMD_OPTION_JSON("a JSON array of the revisions"),
			{ .name = NULL }
		},
		.flags = CMD_REPO | CMD_DB_READ,
		.exec = cmd_db_history_exec
	},
	{
		.group = "db", .name = "heads",
		.summary = "show the revisions nothing revises",
		.options = (const struct cmd_option[]) {
			CMD_OPTION_JSON("a JSON array of the heads"),
			{ .name = NULL }
		},
		.flags = CMD_REPO,
		.exec = cmd_db_heads_exec
	},
	{
		.group = "db", .name = "branches",
		.summary = "show the revisions more than one revision revises",
		.flags = CMD_REPO,
		.exec = cmd_db_branches_exec
	},
	{
		.group = "db", .name = "show",
		.summary = "print a revision file (default: head)",
		.options = (const struct cmd_option[]) {
			CMD_OPTION_JSON("the revision as a JSON object"),
			{ .name = NULL }
		},
		.args = "[REV]", .maxargs = 1,
		.flags = CMD_REPO,
		.exec = cmd_db_show_exec
	},
	{
		.group = "db", .name = "stamp",
		.summary = "record revisions as applied without running them "
		    "(default: head)",
		.args = "[REV]", .maxargs = 1,
		.flags = CMD_REPO | CMD_DB_CREATE,
		.exec = cmd_db_stamp_exec
	},
	{
		.group = "db", .name = "merge",
		.summary = "write a revision that joins several heads",
		.options = (const struct cmd_option[]) {
			CMD_DB_MESSAGE,
			{ .name = NULL }
		},
		.args = "{REV REV... | heads}", .minargs = 1, .maxargs = -1,
		.flags = CMD_REPO,
		.exec = cmd_db_merge_exec
	},
	{
		.group = "db", .name = "edit",
		.summary = "open a revision file in $VISUAL or $EDITOR "
		    "(default: head)",
		.args = "[REV]", .maxargs = 1,
		.flags = CMD_REPO | CMD_DB_READ | CMD_DB_EMPTY_OK,
		.exec = cmd_db_edit_exec
	},
	{
		.group = "db", .name = "check",
		.summary = "exit 1 if revisions are pending, the model needs a "
		    "migration or the database drifted; 3 if it cannot tell",
		.options = (const struct cmd_option[]) {
			CMD_OPTION_JSON("the findings as a JSON object"),
			{ .name = NULL }
		},
		.flags = CMD_REPO | CMD_DB_READ | CMD_QUESTION,
		.exec = cmd_db_check_exec
	},
	{
		.group = "db", .name = "status",
		.summary = "an overview: project, database, model, revisions, "
		    "drift",
		.options = (const struct cmd_option[]) {
			CMD_OPTION_JSON("the overview as a JSON object"),
			{ .name = NULL }
		},
		.flags = CMD_REPO | CMD_DB_READ,
		.exec = cmd_db_status_exec
	},
	{
		.group = "db", .name = "baseline",
		.summary = "write a revision that takes the chain to the "
		    "database, recorded as applied",
		.options = (const struct cmd_option[]) {
			CMD_DB_MESSAGE,
			{ .name = NULL }
		},
		.flags = CMD_REPO | CMD_DB_WRITE | CMD_ONE_HEAD | CMD_AT_HEAD,
		.exec = cmd_db_baseline_exec
	},
	{
		.group = "db", .name = "repair",
		.summary = "accept edits of applied revisions: record their new "
		    "checksums",
		.options = (const struct cmd_option[]) {
			{ .id = OPT_FORGET_MISSING, .name = "forget-missing",
			  .help = "also forget applied revisions whose file is "
			  "gone" },
			{ .name = NULL }
		},
		.flags = CMD_REPO | CMD_DB_WRITE,
		.exec = cmd_db_repair_exec
	},
	{
		.group = "db", .name = "model",
		.summary = "print the model in use as SQL, and its fingerprint "
		    "on stderr",
		.options = (const struct cmd_option[]) {
			{ .id = OPT_DIALECT, .name = "dialect",
			  .arg = "DIALECT",
			  .help = "print it as this database holds it: sqlite "
			  "(the\ndefault) or postgresql" },
			{ .name = NULL }
		},
		.exec = cmd_db_model_exec
	},
};
const size_t cmd_db_nentries = sizeof cmd_db_entries / sizeof cmd_db_entries[0];

static int
cmd_db_init_exec(struct cmd *cmd, char **cause)
{
	/* Its database is adopted from a repository of exodb's beside it. */
	if (repo_is_alembic(cmd->directory)) {
		*cause = xasprintf("%s/ is a Flask-Migrate (Alembic) repository: "
		    "to adopt its database, move it aside ('mv %s %s.alembic'), "
		    "then run 'exodb db init' and 'exodb db baseline -m "
		    "MESSAGE'", cmd->directory, cmd->directory, cmd->directory);
		return -1;
	}
	if (repo_init(cmd->directory, cause) == -1)
		return -1;
	cmd_note("created migration repository %s/", cmd->directory);
	cmd_note("next: exodb db migrate -m MESSAGE");
	return 0;
}

/* Exit status 2 unless -m gives a message a revision may have. */
static int
cmd_db_message(struct cmd *cmd, char **cause)
{
	return revision_check_message(cmd->opt[OPT_MESSAGE], cause) == 0 ? 0 :
	    2;
}

/*
 * Add a revision on the given parents, with the SQL of ag (PostgreSQL's
 * too when it has it) and the notes of dc, or with empty sections for both
 * dialects for a hand-written revision or a merge (ag and dc NULL). Prints its path and a warning for each destructive operation of
 * the upgrade. Returns 0, or -1 with *cause set.
 */
static int
cmd_db_write_revision(struct cmd *cmd, struct revision *const *parents,
    size_t nparents, const struct autogen *ag, const struct datacheck *dc,
    const char *model, char **written, char **cause)
{
	struct revision	 r;
	char		*path = NULL;
	size_t		 i, nup = 0;
	int		 status = 0;

	memset(&r, 0, sizeof r);
	r.message = (char *)cmd->opt[OPT_MESSAGE];	/* borrowed, never freed */
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
		r.pg_upgrade = ag->pg_upgrade;
		r.pg_downgrade = ag->pg_downgrade;
	} else {
		/* Sections to fill in, for either database. */
		r.upgrade = r.downgrade = (char *)"";
		r.pg_upgrade = r.pg_downgrade = (char *)"";
	}
	if (dc != NULL) {
		r.data = dc->notes;		/* borrowed, never freed */
		r.ndata = dc->nnotes;
	}
	if (repo_add(cmd->repo, &r, time(NULL), &path, cause) == 0) {
		for (i = 0; i < nup; i++)
			cmd_warn("destructive: %s", r.destructive[i]);
		printf("%s\n", path);
	} else
		status = -1;
	for (i = 0; i < r.ndestructive; i++)
		free(r.destructive[i]);
	free(r.destructive);
	free(r.parents);
	if (written != NULL && status == 0)
		*written = path;
	else
		free(path);
	return status;
}

/*
 * Look at the live rows the upgrade would touch: print what defaults fill,
 * and refuse (-1, nothing written) when a tightened constraint would reject
 * rows, naming them. *out keeps the notes for the revision's header.
 */
static int
cmd_db_check_rows(struct cmd *cmd, const struct autogen *ag,
    const struct schema *model, struct datacheck **out, char **cause)
{
	struct datacheck	*dc;
	size_t			 i;

	if (datacheck_run(cmd->db, ag->up, model, &dc, cause) == -1)
		return -1;
	for (i = 0; i < dc->nnotes; i++)
		cmd_note("%s", dc->notes[i]);
	if (dc->nrefusals == 1)
		*cause = xasprintf("no revision written: %s", dc->refusals[0]);
	else if (dc->nrefusals > 1) {
		for (i = 0; i < dc->nrefusals; i++)
			cmd_warn("%s", dc->refusals[i]);
		*cause = xasprintf("no revision written: %zu constraints would "
		    "reject rows of %s (named above); fix the rows first",
		    dc->nrefusals, cmd->database);
	}
	if (dc->nrefusals > 0) {
		datacheck_free(dc);
		return -1;
	}
	*out = dc;
	return 0;
}

/* The items of a drift as one line: "a; b; c". */
static char *
cmd_db_drift_list(const struct chain_drift *d)
{
	sqlite3_str	*s = sqlite3_str_new(NULL);
	size_t		 i;

	for (i = 0; i < d->nitems; i++)
		sqlite3_str_appendf(s, "%s%s", i > 0 ? "; " : "", d->items[i]);
	return xstr_finish(s);
}

/*
 * The migration chain into *chain (the caller frees it), once the database is
 * found not to have drifted from it: a drifted database is reported, naming
 * each object, and the way out.
 */
static int
cmd_db_chain(struct cmd *cmd, struct chain **chain, char **cause)
{
	struct chain_drift	*d = NULL;
	char			*list;

	if (chain_new(cmd->repo, chain, cause) == -1)
		return -1;
	if (cmd->ops->drift(cmd, *chain, NULL, &d, cause) == -1)
		goto fail;
	if (d->nitems > 0) {
		list = cmd_db_drift_list(d);
		*cause = xasprintf("%s has drifted from the migration chain (%s); "
		    "undo that in the database, or record it with 'exodb db "
		    "baseline -m MESSAGE'", cmd->database, list);
		free(list);
		goto fail;
	}
	chain_drift_free(d);
	return 0;
fail:
	chain_drift_free(d);
	chain_free(*chain);
	*chain = NULL;
	return -1;
}

/*
 * A note for each table, view and trigger the chain has and the model lacks,
 * which db migrate keeps: all in one write, for there may be thousands.
 */
static void
cmd_db_note_kept(const struct diff *up)
{
	static const char	*tail = "which is not in the model (drop it "
				    "with --drop-unknown)";
	sqlite3_str		*s = sqlite3_str_new(NULL);
	char			*notes;
	size_t			 i;

	for (i = 0; i < up->nunknown; i++)
		sqlite3_str_appendf(s, "\nkeeping table %s, %s", up->unknown[i],
		    tail);
	for (i = 0; i < up->nunknown_views; i++)
		sqlite3_str_appendf(s, "\nkeeping view %s, %s",
		    up->unknown_views[i], tail);
	for (i = 0; i < up->nunknown_triggers; i++)
		sqlite3_str_appendf(s, "\nkeeping trigger %s, %s",
		    up->unknown_triggers[i], tail);
	notes = xstr_finish(s);
	if (notes[0] != '\0')
		cmd_note("%s", notes + 1);
	free(notes);
}

static int
cmd_db_migrate_exec(struct cmd *cmd, char **cause)
{
	struct revision		*head = cmd->head;
	struct autogen		*ag = NULL;
	struct schema		*model = NULL, *cs;
	struct datacheck	*dc = NULL;
	struct chain		*chain = NULL;
	sqlite3			*replay;
	char			*what, *fp = NULL, *dropped = NULL;
	size_t			 i;
	int			 flags = 0, status = -1, rc;

	if ((status = cmd_db_message(cmd, cause)) != 0)
		return status;
	status = -1;
	if (cmd->opt[OPT_DROP_UNKNOWN] != NULL)
		flags |= DIFF_DROP_UNKNOWN;
	if (model_load(cmd->model, &model, cause) == -1)
		goto out;
	if (cmd_db_chain(cmd, &chain, cause) == -1) {
		what = *cause;
		*cause = xasprintf("%s; no revision written", what);
		free(what);
		goto out;
	}
	/* The plan takes the chain's schema. */
	cs = chain->schema;
	chain->schema = NULL;
	rc = autogen_plan_from(cs, model, flags, &ag, cause);
	if (rc == -1 ||
	    model_check_renames(model, ag->live, cause) == -1)
		goto out;
	cmd_db_note_kept(ag->up);
	if (ag->up->nops == 0) {
		cmd_note("no changes in schema detected");
		status = 0;
		goto out;
	}
	fp = model_fingerprint(model);
	/* A stale binary or model drops what others added: say which. */
	if ((dropped = datacheck_dropped(cmd->db, ag->up, NULL)) != NULL &&
	    cmd->opt[OPT_ALLOW_DESTRUCTIVE] == NULL) {
		*cause = xasprintf("no revision written: it would drop %s, "
		    "which model %s (%s) lacks; if that is meant, run it again "
		    "with --allow-destructive", dropped, fp, cmd->model != NULL ?
		    cmd->model : "compiled in");
		goto out;
	}
	if ((replay = chain_db(chain, cause)) == NULL ||
	    autogen_prove(replay, ag, model, flags, cause) == -1) {
		what = *cause;
		*cause = xasprintf("no revision written: %s", what);
		free(what);
		goto out;
	}
	/* On PostgreSQL the proof there runs the upgrade over the rows. */
	if (cmd->ops->datacheck && cmd_db_check_rows(cmd, ag, model, &dc,
	    cause) == -1)
		goto out;
	if (cmd->ops->prove != NULL && cmd->ops->prove(cmd, ag, cause) == -1) {
		what = *cause;
		*cause = xasprintf("no revision written: %s", what);
		free(what);
		goto out;
	}
	for (i = 0; i < ag->up->nops; i++) {
		what = diff_describe(&ag->up->ops[i]);
		cmd_note("detected %s", what);
		free(what);
	}
	if (ag->pg_why != NULL)
		cmd_note("no PostgreSQL sections: %s; write them by hand (-- "
		    "+upgrade postgresql, -- +downgrade postgresql) to run it "
		    "on PostgreSQL", ag->pg_why);
	status = cmd_db_write_revision(cmd, &head, head != NULL, ag, dc, fp,
	    NULL, cause);
out:
	datacheck_free(dc);
	autogen_free(ag);
	schema_free(model);
	free(dropped);
	chain_free(chain);
	free(fp);
	return status;
}

/* The history, after checking that no applied file was edited or removed. */
static int
cmd_db_history(struct cmd *cmd, struct history **h, char **cause)
{
	if (cmd->ops->history(cmd, h, cause) == -1)
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

	size_t	 i;

	(*count)++;
	cmd_note("%s %s %s", up ? "applied" : "reverted", rev->id, rev->message);
	/* What db migrate found, on the database it was made from. */
	for (i = 0; up && i < rev->ndata; i++)
		cmd_note("  noted when it was written: %s", rev->data[i]);
}

/* A path as a shell word: as it is, or in single quotes; free it. */
char *
cmd_db_shell_word(const char *s)
{
	sqlite3_str	*out;
	const char	*p;

	if (*s != '\0' && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
	    "nopqrstuvwxyz0123456789._/+-=@%:,") == strlen(s) && *s != '-')
		return xstrdup(s);
	out = sqlite3_str_new(NULL);
	sqlite3_str_appendchar(out, 1, '\'');
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'')
			sqlite3_str_appendall(out, "'\\''");
		else
			sqlite3_str_appendchar(out, 1, *p);
	}
	sqlite3_str_appendchar(out, 1, '\'');
	return xstr_finish(out);
}

/*
 * The backup a downgrade kept: its path on stdout (a new file is data, as
 * migrate's is), and on stderr the command that puts it back.
 */
static void
cmd_db_backup_line(struct cmd *cmd, const char *backup)
{
	char	*restore;

	printf("%s\n", backup);
	restore = cmd->ops->restore(cmd, backup);
	cmd_note("backed up %s before the downgrade; to restore it: %s",
	    cmd->database, restore);
	free(restore);
}

/*
 * Before a downgrade that drops tables or columns holding data: list them
 * and ask, unless --yes. No terminal to ask on is an error, as for user
 * delete, and so is not being able to tell. A section that fails on its own
 * SQL says nothing here: the run fails the same way before changing
 * anything, and reports it at its line.
 */
static int
cmd_db_confirm_drops(struct cmd *cmd, const struct plan *plan,
    const char *target, char **cause)
{
	char	*lost = NULL, *why = NULL, *question = NULL;
	int	 yes = cmd->opt[OPT_YES] != NULL, ret = -1;

	if (yes)
		return 0;
	if (cmd->ops->drops(cmd, plan, &lost, &why) == -1) {
		*cause = xasprintf("cannot tell what the downgrade drops: %s",
		    why);
		free(why);
		return -1;
	}
	if (lost == NULL)
		return 0;
	question = xasprintf("Downgrading to '%s' drops %s. Continue? [y/N] ",
	    target, lost);
	if (prompt_confirm(question, &yes, &why) == -1) {
		*cause = xasprintf("downgrading to '%s' would drop %s: %s",
		    target, lost, why);
		goto out;
	}
	if (!yes) {
		*cause = xasprintf("not confirmed; nothing was reverted");
		goto out;
	}
	ret = 0;
out:
	free(why);
	free(lost);
	free(question);
	return ret;
}

/*
 * After an upgrade failed on a constraint: the rows that broke it, found by
 * replaying the failed revision's schema change over the rows as they are
 * (the failed transaction was rolled back). Appended to *cause where found.
 * In one transaction for the plan, the rows are those before its first
 * revision: only a failure of that one can be explained.
 */
static void
cmd_db_name_rows(struct cmd *cmd, const struct plan *plan, int single,
    char **cause)
{
	struct datacheck	*dc = NULL;
	struct revision		*rev = NULL;
	char			*why = NULL, *old;
	size_t			 i, n;

	if (strstr(*cause, "constraint failed") == NULL &&
	    strstr(*cause, "foreign key check failed") == NULL)
		return;
	for (i = 0; i < plan->nrevs && rev == NULL; i++) {
		n = strlen(plan->revs[i]->path);
		if (strncmp(*cause, plan->revs[i]->path, n) == 0 &&
		    (*cause)[n] == ':')
			rev = plan->revs[i];
	}
	if (rev == NULL || (single && rev != plan->revs[0]) ||
	    datacheck_revision(cmd->db, rev, 1, &dc, &why) == -1) {
		free(why);
		return;
	}
	for (i = 0; i < dc->nrefusals; i++) {
		old = *cause;
		*cause = xasprintf("%s; %s", old, dc->refusals[i]);
		free(old);
	}
	datacheck_free(dc);
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
cmd_db_move(struct cmd *cmd, int up, const char *target, char **cause)
{
	struct history		*h = NULL;
	struct plan		*plan = NULL;
	struct migrate_hooks	 hooks;
	char			*script = NULL, *backup = NULL;
	int			 count = 0, status = -1, flags = 0;

	hooks.done = cmd_db_done;
	hooks.progress = verbosity > 0 && isatty(STDERR_FILENO) ?
	    cmd_db_progress : NULL;
	hooks.progress_after_ms = 1000;
	hooks.statement = verbosity > 1 ? cmd_db_statement : NULL;
	hooks.arg = &count;
	if (cmd->opt[OPT_SINGLE_TRANSACTION] != NULL)
		flags |= MIGRATE_SINGLE;
	if (cmd_db_history(cmd, &h, cause) == -1 ||
	    plan_new(cmd->repo, h, target, up, &plan, cause) == -1 ||
	    plan_check_dialect(plan, cmd->ops->dialect, cause) == -1)
		goto out;
	if (cmd->opt[OPT_SQL] != NULL) {
		if ((cmd->ops->check != NULL && cmd->ops->check(cmd, plan,
		    cause) == -1) || cmd->ops->script(cmd, plan, flags, &script,
		    cause) == -1)
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
	if (!up && cmd_db_confirm_drops(cmd, plan, target, cause) == -1)
		goto out;
	if (!up && cmd->opt[OPT_NO_BACKUP] == NULL) {
		if (cmd->ops->backup(cmd, &backup, cause) == -1)
			goto out;
	}
	if (cmd->ops->apply(cmd, plan, flags, &hooks, cause) == -1) {
		/* A backup of a database nothing was done to is noise. */
		if (backup != NULL && count == 0)
			unlink(backup);
		else if (backup != NULL)
			cmd_db_backup_line(cmd, backup);
		if (up && cmd->ops->datacheck)
			cmd_db_name_rows(cmd, plan, flags & MIGRATE_SINGLE,
			    cause);
		goto out;
	}
	if (backup != NULL)
		cmd_db_backup_line(cmd, backup);
	status = 0;
out:
	free(script);
	free(backup);
	plan_free(plan);
	history_free(h);
	return status;
}

static int
cmd_db_upgrade_exec(struct cmd *cmd, char **cause)
{
	return cmd_db_move(cmd, 1, cmd->argc > 0 ? cmd->argv[0] : "head",
	    cause);
}

static int
cmd_db_downgrade_exec(struct cmd *cmd, char **cause)
{
	return cmd_db_move(cmd, 0, cmd->argc > 0 ? cmd->argv[0] : "-1",
	    cause);
}

static int
cmd_db_revision_exec(struct cmd *cmd, char **cause)
{
	int	status;

	if ((status = cmd_db_message(cmd, cause)) != 0)
		return status;
	return cmd_db_write_revision(cmd, &cmd->head, cmd->head != NULL, NULL,
	    NULL, NULL, NULL, cause);
}

/*
 * The note for a database without exodb revisions, naming the revision
 * Flask-Migrate recorded if it did: such a database is adopted, not upgraded.
 */
static void
cmd_db_none_applied(struct cmd *cmd)
{
	char	*versions, *cause = NULL;

	/* A hint: an alembic_version exodb cannot read is not a failure. */
	if (cmd->ops->alembic == NULL)
		versions = NULL;
	else if (cmd->ops->alembic(cmd, &versions, &cause) == -1)
		free(cause);
	else if (versions != NULL) {
		cmd_note("no exodb revisions applied; alembic_version says %s "
		    "(Flask-Migrate); adopt the database with 'exodb db "
		    "baseline -m MESSAGE'", versions);
		free(versions);
		return;
	}
	cmd_note("no revisions applied");
}

/* Whether rev is applied (row not NULL) from a file that changed since. */
static int
cmd_db_changed(const struct revision *rev, const struct history_row *row)
{
	return rev != NULL && row != NULL &&
	    strcmp(rev->checksum, row->checksum) != 0;
}

/*
 * A warning for each applied revision whose file changed or is gone: read-only
 * commands report them, upgrade, downgrade and migrate refuse to run.
 */
static void
cmd_db_warn_changed(const struct repo *repo, const struct history *h)
{
	const struct revision	*rev;
	size_t			 i;

	for (i = 0; i < h->nrows; i++) {
		if ((rev = repo_get(repo, h->rows[i].id)) == NULL)
			cmd_note("warning: revision %s is applied but its file "
			    "is missing", h->rows[i].id);
		else if (cmd_db_changed(rev, &h->rows[i]))
			cmd_note("warning: %s: changed since it was applied; "
			    "restore it, or accept the edit with 'exodb db "
			    "repair'", rev->path);
	}
}

/*
 * rev as a JSON object: id, parents, message, created, path, head and
 * mergepoint. The caller frees it; NULL with *cause set.
 */
static char *
cmd_db_json_rev(sqlite3 *j, const struct revision *rev, char **cause)
{
	char	*parents, *o;

	if ((parents = cmd_json_strings(j, rev->parents, rev->nparents,
	    cause)) == NULL)
		return NULL;
	o = cmd_json(j, cause, "tjtttbb", "SELECT json_object('id', ?1, "
	    "'parents', json(?2), 'message', ?3, 'created', ?4, 'path', ?5, "
	    "'head', json(?6), 'mergepoint', json(?7))", rev->id, parents,
	    rev->message, rev->created, rev->path, rev->is_head,
	    rev->nparents > 1);
	free(parents);
	return o;
}

/*
 * As cmd_db_json_rev(), and then applied, applied_at, changed and missing
 * from row (NULL: pending). rev NULL is a row whose file is missing: its
 * other fields are null.
 */
static char *
cmd_db_json_applied(sqlite3 *j, const struct revision *rev,
    const struct history_row *row, char **cause)
{
	char	*base, *o;

	if (rev != NULL)
		base = cmd_db_json_rev(j, rev, cause);
	else
		base = cmd_json(j, cause, "t", "SELECT json_object('id', ?1, "
		    "'parents', NULL, 'message', NULL, 'created', NULL, "
		    "'path', NULL, 'head', json('false'), 'mergepoint', "
		    "json('false'))", row->id);
	if (base == NULL)
		return NULL;
	o = cmd_json(j, cause, "jbtbb", "SELECT json_set(?1, '$.applied', "
	    "json(?2), '$.applied_at', ?3, '$.changed', json(?4), "
	    "'$.missing', json(?5))", base, row != NULL,
	    row != NULL ? row->applied_at : NULL, cmd_db_changed(rev, row),
	    rev == NULL);
	free(base);
	return o;
}

/* Print the JSON array s holds, or fail as it did; s is freed. */
static int
cmd_db_print_json(sqlite3_str *s, int failed)
{
	char	*text = cmd_json_end(s);

	if (!failed)
		printf("%s\n", text);
	free(text);
	return failed ? -1 : 0;
}

/*
 * The applied revisions no applied revision revises: where the database is.
 * Rows of revisions missing from the repository are shown too, and an
 * applied file that changed is marked [changed].
 */
static int
cmd_db_current_exec(struct cmd *cmd, char **cause)
{
	struct history		*h = NULL;
	const struct revision	*rev;
	const struct history_row *row;
	sqlite3			*j = NULL;
	sqlite3_str		*s = NULL;
	char			*o;
	int			*applied = NULL, json = cmd->opt[OPT_JSON] != NULL;
	int			 failed = 0, status = -1;
	size_t			 i, known = 0;

	if (cmd->ops->history(cmd, &h, cause) == -1)
		return -1;
	if (json) {
		if (cmd_json_open(&j, cause) == -1)
			goto out;
		s = sqlite3_str_new(NULL);
		sqlite3_str_appendchar(s, 1, '[');
	}
	applied = repo_applied(cmd->repo, h);
	for (i = 0; !failed && i < cmd->repo->nrevs; i++) {
		rev = cmd->repo->revs[i];
		row = history_row(h, rev->id);
		known += row != NULL;
		if (!repo_is_current(rev, applied))
			continue;
		if (!json)
			printf("%s%s%s\n", rev->id, rev->is_head ? " (head)" :
			    "", cmd_db_changed(rev, row) ? " [changed]" : "");
		else if ((o = cmd_db_json_applied(j, rev, row, cause)) == NULL)
			failed = 1;
		else
			cmd_json_add(s, o);
	}
	/* Only when some row has no file: finding which is then linear. */
	for (i = 0; !failed && known < h->nrows && i < h->nrows; i++) {
		if (repo_get(cmd->repo, h->rows[i].id) != NULL)
			continue;
		if (!json)
			printf("%s (file missing)\n", h->rows[i].id);
		else if ((o = cmd_db_json_applied(j, NULL, &h->rows[i],
		    cause)) == NULL)
			failed = 1;
		else
			cmd_json_add(s, o);
	}
	if (json && cmd_db_print_json(s, failed) == -1)
		goto out;
	if (h->nrows == 0 && !json)
		cmd_db_none_applied(cmd);
	cmd_db_warn_changed(cmd->repo, h);
	status = 0;
out:
	free(applied);
	sqlite3_close(j);
	history_free(h);
	return status;
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
		if (cmd_db_changed(rev, row))
			printf("Changed: since it was applied (SHA-256 now "
			    "%.12s, then %.12s)\n", rev->checksum,
			    row->checksum);
		printf("\n    %s\n\n", rev->message);
		return;
	}
	if (rev->nparents == 0)
		printf("<base>");
	for (i = 0; i < rev->nparents; i++)
		printf("%s%s", i > 0 ? ", " : "", rev->parents[i]);
	printf(" -> %s%s%s, %s [%s]%s\n", rev->id, rev->is_head ? " (head)" :
	    "", rev->nparents > 1 ? " (mergepoint)" : "", rev->message,
	    row != NULL ? "applied" : "pending", cmd_db_changed(rev, row) ?
	    " [changed]" : "");
}

/*
 * Newest first, from FROM to TO with -r. An applied file that changed is
 * marked, not refused: history only reads. Rows whose file is missing come
 * last, without -r: where they were in the graph is not known.
 */
static int
cmd_db_history_exec(struct cmd *cmd, char **cause)
{
	const struct revision	*from = NULL, *to = NULL, *rev;
	struct history		*h = NULL;
	sqlite3			*j = NULL;
	sqlite3_str		*s = NULL;
	const char		*range = cmd->opt[OPT_REV_RANGE], *colon;
	char			*first = NULL, *o;
	int			*applied = NULL, *after = NULL, *before = NULL;
	int			 json = cmd->opt[OPT_JSON] != NULL, failed = 0;
	size_t			 i;
	int			 status = -1;

	if (range != NULL && (colon = strchr(range, ':')) == NULL) {
		*cause = xasprintf("range '%s' is not FROM:TO", range);
		return 2;
	}
	if (cmd->ops->history(cmd, &h, cause) == -1)
		goto out;
	if (range != NULL) {
		colon = strchr(range, ':');
		first = xstrndup(range, (size_t)(colon - range));
		applied = repo_applied(cmd->repo, h);
		if (cmd_db_range_end(cmd->repo, applied, first, &from,
		    cause) == -1 || cmd_db_range_end(cmd->repo, applied,
		    colon + 1, &to, cause) == -1)
			goto out;
	}
	if (json) {
		if (cmd_json_open(&j, cause) == -1)
			goto out;
		s = sqlite3_str_new(NULL);
		sqlite3_str_appendchar(s, 1, '[');
	}
	/* FROM and what descends from it, TO and what it descends from. */
	if (from != NULL)
		repo_descendants(cmd->repo, from,
		    after = xcalloc(cmd->repo->nrevs, sizeof *after));
	if (to != NULL)
		repo_ancestors(to, before = xcalloc(cmd->repo->nrevs,
		    sizeof *before));
	for (i = cmd->repo->nrevs; !failed && i > 0; i--) {
		rev = cmd->repo->revs[i - 1];
		if ((after != NULL && !after[i - 1]) ||
		    (before != NULL && !before[i - 1]))
			continue;
		if (!json)
			cmd_db_history_line(rev, h,
			    cmd->opt[OPT_VERBOSE] != NULL);
		else if ((o = cmd_db_json_applied(j, rev, history_row(h,
		    rev->id), cause)) == NULL)
			failed = 1;
		else
			cmd_json_add(s, o);
	}
	for (i = 0; !failed && range == NULL && i < h->nrows; i++) {
		if (repo_get(cmd->repo, h->rows[i].id) != NULL)
			continue;
		if (!json)
			printf("%s (file missing) [applied]\n", h->rows[i].id);
		else if ((o = cmd_db_json_applied(j, NULL, &h->rows[i],
		    cause)) == NULL)
			failed = 1;
		else
			cmd_json_add(s, o);
	}
	if (json && cmd_db_print_json(s, failed) == -1)
		goto out;
	cmd_db_warn_changed(cmd->repo, h);
	status = 0;
out:
	sqlite3_close(j);
	free(applied);
	free(after);
	free(before);
	free(first);
	history_free(h);
	return status;
}

static int
cmd_db_heads_exec(struct cmd *cmd, char **cause)
{
	sqlite3		*j = NULL;
	sqlite3_str	*s;
	char		*o;
	size_t		 i;
	int		 failed = 0;

	if (cmd->opt[OPT_JSON] != NULL) {
		if (cmd_json_open(&j, cause) == -1)
			return -1;
		s = sqlite3_str_new(NULL);
		sqlite3_str_appendchar(s, 1, '[');
		for (i = 0; !failed && i < cmd->repo->nheads; i++) {
			if ((o = cmd_db_json_rev(j, cmd->repo->heads[i],
			    cause)) == NULL)
				failed = 1;
			else
				cmd_json_add(s, o);
		}
		sqlite3_close(j);
		if (cmd_db_print_json(s, failed) == -1)
			return -1;
	} else {
		for (i = 0; i < cmd->repo->nheads; i++)
			printf("%s (head), %s\n", cmd->repo->heads[i]->id,
			    cmd->repo->heads[i]->message);
	}
	if (cmd->repo->nheads > 1)
		cmd_note("%zu heads: join them with 'exodb db merge -m MESSAGE "
		    "heads'", cmd->repo->nheads);
	return 0;
}

static int
cmd_db_branches_exec(struct cmd *cmd, char **cause)
{
	struct revision		**points;
	const struct revision	 *rev, *child;
	size_t			  i, j, n;

	(void)cause;
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

/*
 * REV for show and edit: an id, a unique prefix or "head" (the default), and
 * for show (heads) "heads" too. Returns the revisions, which the caller frees
 * (the array), and their count in *n; NULL with *cause set.
 */
static struct revision **
cmd_db_find(struct cmd *cmd, int heads, size_t *n, char **cause)
{
	struct repo_target	 t;
	const char		*spec = cmd->argc > 0 ? cmd->argv[0] : "head";

	if (repo_resolve(cmd->repo, NULL, spec, REPO_ID | REPO_HEAD | REPO_ONE |
	    (heads ? REPO_HEADS : 0), &t, cause) == -1)
		return NULL;
	if (t.nrevs == 0) {
		*cause = xasprintf("'%s': no revisions in %s", spec,
		    cmd->repo->versions);
		free(t.revs);
		return NULL;
	}
	*n = t.nrevs;
	return t.revs;
}

/*
 * The revision as one JSON object: cmd_db_json_rev()'s fields, then model,
 * checksum, destructive, upgrade and downgrade, as the file holds them.
 */
static int
cmd_db_show_json(const struct revision *rev, char **cause)
{
	sqlite3	*j = NULL;
	char	*base = NULL, *destructive = NULL, *o = NULL;
	int	 status = -1;

	if (cmd_json_open(&j, cause) == -1 ||
	    (base = cmd_db_json_rev(j, rev, cause)) == NULL ||
	    (destructive = cmd_json_strings(j, rev->destructive,
	    rev->ndestructive, cause)) == NULL ||
	    (o = cmd_json(j, cause, "jttjtt", "SELECT json_set(?1, '$.model', "
	    "?2, '$.checksum', ?3, '$.destructive', json(?4), '$.upgrade', ?5, "
	    "'$.downgrade', ?6)", base, rev->model, rev->checksum, destructive,
	    rev->upgrade, rev->downgrade)) == NULL)
		goto out;
	printf("%s\n", o);
	status = 0;
out:
	free(base);
	free(destructive);
	free(o);
	sqlite3_close(j);
	return status;
}

static int
cmd_db_show_exec(struct cmd *cmd, char **cause)
{
	struct revision	**revs;
	char		  buf[8192];
	FILE		 *f;
	size_t		  n, i, nrevs;
	int		  status = -1;

	if ((revs = cmd_db_find(cmd, 1, &nrevs, cause)) == NULL)
		return -1;
	/* --json: one object a line, for each revision REV names. */
	for (i = 0; cmd->opt[OPT_JSON] != NULL && i < nrevs; i++) {
		if (cmd_db_show_json(revs[i], cause) == -1)
			goto out;
	}
	for (i = 0; cmd->opt[OPT_JSON] == NULL && i < nrevs; i++) {
		if ((f = fopen(revs[i]->path, "r")) == NULL) {
			*cause = xasprintf("%s: %s", revs[i]->path,
			    strerror(errno));
			goto out;
		}
		if (i > 0)
			putchar('\n');
		while ((n = fread(buf, 1, sizeof buf, f)) > 0)
			fwrite(buf, 1, n, stdout);
		fclose(f);
	}
	status = 0;
out:
	free(revs);
	return status;
}

static int
cmd_db_stamp_exec(struct cmd *cmd, char **cause)
{
	const char	*spec = cmd->argc > 0 ? cmd->argv[0] : "head";
	int		 added, removed, exists;

	if (cmd->ops->stamp(cmd, spec, &added, &removed, cause) == -1)
		return -1;
	cmd_note("stamped %s: %d revision%s recorded as applied, %d removed; "
	    "nothing was run", spec, added, added == 1 ? "" : "s", removed);
	if (cmd->ops->has_table(cmd, "alembic_version", &exists,
	    cause) == 0 && exists)
		cmd_note("the alembic_version table of Flask-Migrate is left "
		    "alone; drop it when you no longer need it");
	/* That note is a hint: not knowing is no failure. */
	free(*cause);
	*cause = NULL;
	return 0;
}

static int
cmd_db_merge_exec(struct cmd *cmd, char **cause)
{
	struct revision		**revs = NULL;
	struct repo_target	  t;
	size_t			  n = 0;
	int			  k, status;

	if ((status = cmd_db_message(cmd, cause)) != 0)
		return status;
	status = -1;
	for (k = 0; k < cmd->argc; k++) {
		if (repo_resolve(cmd->repo, NULL, cmd->argv[k], REPO_ID |
		    REPO_HEADS, &t, cause) == -1)
			goto out;
		revs = xreallocarray(revs, n + t.nrevs, sizeof *revs);
		memcpy(revs + n, t.revs, t.nrevs * sizeof *revs);
		n += t.nrevs;
		free(t.revs);
	}
	if (repo_check_merge(cmd->repo, revs, n, cause) == -1)
		goto out;
	status = cmd_db_write_revision(cmd, revs, n, NULL, NULL, NULL, NULL,
	    cause);
out:
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

/*
 * Run $VISUAL, else $EDITOR, else vi on the file. vi needs a terminal: without
 * one on stdin and stdout it is refused rather than left to hang or to garble
 * a pipe. An editor named explicitly runs anyway, since it may need none (a
 * script, or a window of its own). The warning about an applied revision
 * comes after the editor exits, and only when the file changed.
 */
static int
cmd_db_edit_exec(struct cmd *cmd, char **cause)
{
	struct history	*h = NULL;
	struct revision	*rev, **revs;
	const char	*editor;
	char		 after[65];
	pid_t		 pid;
	size_t		 n;
	int		 wstatus, status = -1;

	if ((revs = cmd_db_find(cmd, 0, &n, cause)) == NULL)
		return -1;
	rev = revs[0];
	free(revs);
	if (cmd->ops->history(cmd, &h, cause) == -1)
		goto out;
	if ((editor = getenv("VISUAL")) == NULL || *editor == '\0')
		editor = getenv("EDITOR");
	if ((editor == NULL || *editor == '\0') &&
	    (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		*cause = xasprintf("%s: no terminal to run vi on; set VISUAL or "
		    "EDITOR to an editor that needs none", rev->path);
		goto out;
	}
	if (editor == NULL || *editor == '\0')
		editor = cmd_db_on_path("vi") ? "vi" : NULL;
	if (editor == NULL) {
		*cause = xstrdup("no editor found; set VISUAL or "
		    "EDITOR");
		goto out;
	}
	fflush(stdout);
	if ((pid = fork()) == -1) {
		*cause = xasprintf("fork: %s", strerror(errno));
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
		*cause = xasprintf("editor '%s' failed (%s %d)", editor,
		    WIFEXITED(wstatus) ? "exit status" : "signal",
		    WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) :
		    WTERMSIG(wstatus));
		goto out;
	}
	if (history_row(h, rev->id) != NULL &&
	    (revision_file_checksum(rev->path, after) == -1 ||
	    strcmp(after, rev->checksum) != 0))
		cmd_warn("%s is applied: editing it does not change "
		    "the database, and 'exodb db repair' must accept the edit",
		    rev->id);
	status = 0;
out:
	history_free(h);
	return status;
}

/* Add a reason to db check's answer: "a; b". */
static void
cmd_db_check_why(sqlite3_str *why, const char *fmt, ...) PRINTFLIKE(2, 3);

static void
cmd_db_check_why(sqlite3_str *why, const char *fmt, ...)
{
	va_list	ap;

	if (sqlite3_str_length(why) > 0)
		sqlite3_str_appendall(why, "; ");
	va_start(ap, fmt);
	sqlite3_str_vappendf(why, fmt, ap);
	va_end(ap);
}

/*
 * What db check found, as one JSON object: the database, the pending
 * revisions, what the model needs beyond the chain, and the drift from the
 * chain (null when it was not looked for: revisions are pending).
 */
static int
cmd_db_check_json(struct cmd *cmd, char **pending, size_t npending,
    char **needed, size_t nneeded, const struct chain_drift *d,
    char **cause)
{
	sqlite3	*j = NULL;
	char	*p = NULL, *n = NULL, *dr = NULL, *o = NULL;
	int	 status = -1;

	if (cmd_json_open(&j, cause) == -1 ||
	    (p = cmd_json_strings(j, pending, npending, cause)) == NULL ||
	    (n = cmd_json_strings(j, needed, nneeded, cause)) == NULL ||
	    (d != NULL && (dr = cmd_json_strings(j, d->items, d->nitems,
	    cause)) == NULL) ||
	    (o = cmd_json(j, cause, "tbjbjj", "SELECT json_object('database', "
	    "?1, 'at_head', json(?2), 'pending', json(?3), 'matches_model', "
	    "json(?4), 'needed', json(?5), 'drift', json(?6))", cmd->database,
	    npending == 0, p, nneeded == 0, n, dr)) == NULL)
		goto out;
	printf("%s\n", o);
	status = 0;
out:
	free(p);
	free(n);
	free(dr);
	free(o);
	sqlite3_close(j);
	return status;
}

/*
 * Exit 0 when there is nothing to do, 1 when there is (each thing on its
 * own line on stdout: pending revisions, what the model needs beyond the
 * chain, the drift of the database from the chain; or all of it as one JSON
 * object), and, as CMD_QUESTION says, 3 when it cannot tell. Drift is only
 * looked for at head: a database with revisions pending is not expected to
 * be the whole chain's.
 */
static int
cmd_db_check_exec(struct cmd *cmd, char **cause)
{
	struct history		*h = NULL;
	struct autogen		*ag = NULL;
	struct schema		*model = NULL;
	struct chain_drift	*d = NULL;
	struct chain		*chain = NULL;
	struct schema		*cs;
	sqlite3_str		*why = sqlite3_str_new(NULL);
	char			*what, **pending = NULL, **needed = NULL;
	size_t			 i, npending = 0, nneeded = 0;
	int			 json = cmd->opt[OPT_JSON] != NULL, status = -1;

	if (cmd_db_history(cmd, &h, cause) == -1)
		goto out;
	pending = xcalloc(cmd->repo->nrevs + 1, sizeof *pending);
	for (i = 0; i < cmd->repo->nrevs; i++) {
		if (history_row(h, cmd->repo->revs[i]->id) == NULL)
			pending[npending++] = cmd->repo->revs[i]->id;
	}
	if (model_load(cmd->model, &model, cause) == -1 ||
	    chain_new(cmd->repo, &chain, cause) == -1)
		goto out;
	/* The plan takes the chain's schema. */
	cs = chain->schema;
	chain->schema = NULL;
	if (autogen_plan_from(cs, model, 0, &ag, cause) == -1 ||
	    (npending == 0 && cmd->ops->drift(cmd, chain, ag->live, &d,
	    cause) == -1))
		goto out;
	needed = xcalloc(ag->up->nops + 1, sizeof *needed);
	for (nneeded = 0; nneeded < ag->up->nops; nneeded++)
		needed[nneeded] = diff_describe(&ag->up->ops[nneeded]);
	if (json) {
		if (cmd_db_check_json(cmd, pending, npending, needed, nneeded, d,
		    cause) == -1)
			goto out;
	} else {
		for (i = 0; i < npending; i++)
			printf("pending %s %s\n", pending[i],
			    repo_get(cmd->repo, pending[i])->message);
		for (i = 0; i < nneeded; i++)
			printf("needed %s\n", needed[i]);
		for (i = 0; d != NULL && i < d->nitems; i++)
			printf("drift %s\n", d->items[i]);
	}
	if (npending > 0)
		cmd_db_check_why(why, "%lld revision%s pending; run 'exodb db "
		    "upgrade'", (long long)npending, npending == 1 ? "" : "s");
	if (nneeded > 0)
		cmd_db_check_why(why, "the model needs %lld operation%s beyond "
		    "the migration chain; run 'exodb db migrate -m MESSAGE'",
		    (long long)nneeded, nneeded == 1 ? "" : "s");
	if (d != NULL && d->nitems > 0)
		cmd_db_check_why(why, "%lld object%s drifted from the migration "
		    "chain; undo that in the database, or record it with 'exodb "
		    "db baseline -m MESSAGE'", (long long)d->nitems,
		    d->nitems == 1 ? "" : "s");
	if (sqlite3_str_length(why) > 0) {
		what = xstr_finish(why);
		why = NULL;
		*cause = xasprintf("%s: %s", cmd->database, what);
		free(what);
		status = 1;
		goto out;
	}
	cmd_note("database is at head, without drift, and matches the model");
	status = 0;
out:
	if (why != NULL)
		sqlite3_free(sqlite3_str_finish(why));
	for (i = 0; i < nneeded; i++)
		free(needed[i]);
	free(needed);
	free(pending);
	chain_drift_free(d);
	autogen_free(ag);
	schema_free(model);
	chain_free(chain);
	history_free(h);
	return status;
}

/* The ids of v (n of them), space-separated, or "none"; free it. */
static char *
cmd_db_id_list(char *const *v, size_t n)
{
	sqlite3_str	*s = sqlite3_str_new(NULL);
	size_t		 i;

	for (i = 0; i < n; i++)
		sqlite3_str_appendf(s, "%s%s", i > 0 ? " " : "", v[i]);
	if (n == 0)
		sqlite3_str_appendall(s, "none");
	return xstr_finish(s);
}

/* What db status reports; the ids are borrowed from the repo or history. */
struct cmd_db_status {
	char		*project;	/* the folder holding the repository */
	char		*model;		/* the model's fingerprint */
	size_t		 revisions;
	size_t		 applied;	/* revisions whose row is there */
	char		**heads, **current, **changed, **missing;
	size_t		 nheads, ncurrent, nchanged, nmissing;
	struct chain_drift *drift;	/* NULL: not looked for, as why says */
	char		*why;
};

static void
cmd_db_status_free(struct cmd_db_status *st)
{
	free(st->project);
	free(st->model);
	free(st->heads);
	free(st->current);
	free(st->changed);
	free(st->missing);
	chain_drift_free(st->drift);
	free(st->why);
}

/* The folder holding the repository dir, as an absolute path; free it. */
static char *
cmd_db_project(const char *dir, char **cause)
{
	char	*path, *slash;

	if ((path = realpath(dir, NULL)) == NULL) {
		*cause = xasprintf("%s: %s", dir, strerror(errno));
		return NULL;
	}
	if ((slash = strrchr(path, '/')) != NULL)
		slash[slash == path] = '\0';
	return path;
}

static int
cmd_db_status_json(struct cmd *cmd, const struct cmd_db_status *st,
    char **cause)
{
	sqlite3	*j = NULL;
	char	*a[5] = { NULL, NULL, NULL, NULL, NULL }, *o = NULL;
	int	 i, status = -1;

	if (cmd_json_open(&j, cause) == -1 ||
	    (a[0] = cmd_json_strings(j, st->heads, st->nheads, cause)) ==
	    NULL ||
	    (a[1] = cmd_json_strings(j, st->current, st->ncurrent, cause)) ==
	    NULL ||
	    (a[2] = cmd_json_strings(j, st->changed, st->nchanged, cause)) ==
	    NULL ||
	    (a[3] = cmd_json_strings(j, st->missing, st->nmissing, cause)) ==
	    NULL ||
	    (st->drift != NULL && (a[4] = cmd_json_strings(j,
	    st->drift->items, st->drift->nitems, cause)) == NULL) ||
	    (o = cmd_json(j, cause, "tttiiijjjjj", "SELECT json_object("
	    "'project', ?1, 'database', ?2, 'model', ?3, 'revisions', ?4, "
	    "'applied', ?5, 'pending', ?6, 'heads', json(?7), 'current', "
	    "json(?8), 'changed', json(?9), 'missing', json(?10), 'drift', "
	    "json(?11))", st->project, cmd->database, st->model,
	    (long long)st->revisions, (long long)st->applied,
	    (long long)(st->revisions - st->applied), a[0], a[1], a[2],
	    a[3], a[4])) == NULL)
		goto out;
	printf("%s\n", o);
	status = 0;
out:
	for (i = 0; i < 5; i++)
		free(a[i]);
	free(o);
	sqlite3_close(j);
	return status;
}

static void
cmd_db_status_text(struct cmd *cmd, const struct cmd_db_status *st)
{
	char	*l;

	printf("project:   %s\ndatabase:  %s\nmodel:     %s\n", st->project,
	    cmd->database, st->model);
	printf("revisions: %zu (%zu applied, %zu pending)\n", st->revisions,
	    st->applied, st->revisions - st->applied);
	printf("heads:     %s\n", l = cmd_db_id_list(st->heads, st->nheads));
	free(l);
	printf("current:   %s\n", l = cmd_db_id_list(st->current,
	    st->ncurrent));
	free(l);
	printf("changed:   %s\n", l = cmd_db_id_list(st->changed,
	    st->nchanged));
	free(l);
	printf("missing:   %s\n", l = cmd_db_id_list(st->missing,
	    st->nmissing));
	free(l);
	if (st->drift == NULL)
		printf("drift:     not checked: %s\n", st->why);
	else if (st->drift->nitems == 0)
		printf("drift:     none\n");
	else {
		printf("drift:     %s\n", l = cmd_db_drift_list(st->drift));
		free(l);
	}
}

/*
 * The drift of the database from the migration chain, as db check finds
 * it, into st->drift; or why it was not looked for into st->why. Only at
 * head, as for db check; a chain that does not replay is no failure of an
 * overview, which says so and goes on.
 */
static void
cmd_db_status_drift(struct cmd *cmd, struct cmd_db_status *st)
{
	char	*why = NULL;

	if (st->applied < st->revisions)
		st->why = xstrdup("revisions are pending");
	else if (st->nchanged > 0 || st->nmissing > 0)
		st->why = xstrdup("applied files changed or are missing");
	else if (cmd->ops->drift == NULL)
		st->why = xasprintf("reading a %s schema is not built "
		    "yet", cmd->ops->name);
	else if (cmd->ops->drift(cmd, NULL, NULL, &st->drift, &why) == -1) {
		st->why = why;
		chain_drift_free(st->drift);
		st->drift = NULL;
	}
}

/*
 * Where the project stands, in one place: the folder, the database, the
 * model, how many revisions are applied and pending, the heads, where the
 * database is, applied files that changed or are gone, and drift.
 */
static int
cmd_db_status_exec(struct cmd *cmd, char **cause)
{
	struct cmd_db_status	 st;
	struct history		*h = NULL;
	struct schema		*model = NULL;
	const struct revision	*rev;
	const struct history_row *row;
	int			*applied = NULL, status = -1;
	size_t			 i, n = cmd->repo->nrevs;

	memset(&st, 0, sizeof st);
	if ((st.project = cmd_db_project(cmd->directory, cause)) == NULL ||
	    model_load(cmd->model, &model, cause) == -1 ||
	    cmd->ops->history(cmd, &h, cause) == -1)
		goto out;
	st.model = model_fingerprint(model);
	st.revisions = n;
	st.heads = xcalloc(cmd->repo->nheads + 1, sizeof *st.heads);
	for (i = 0; i < cmd->repo->nheads; i++)
		st.heads[st.nheads++] = cmd->repo->heads[i]->id;
	st.current = xcalloc(n + h->nrows + 1, sizeof *st.current);
	st.changed = xcalloc(h->nrows + 1, sizeof *st.changed);
	st.missing = xcalloc(h->nrows + 1, sizeof *st.missing);
	applied = repo_applied(cmd->repo, h);
	for (i = 0; i < n; i++) {
		rev = cmd->repo->revs[i];
		if ((row = history_row(h, rev->id)) == NULL)
			continue;
		st.applied++;
		if (repo_is_current(rev, applied))
			st.current[st.ncurrent++] = rev->id;
		if (cmd_db_changed(rev, row))
			st.changed[st.nchanged++] = rev->id;
	}
	for (i = 0; st.applied < h->nrows && i < h->nrows; i++) {
		if (repo_get(cmd->repo, h->rows[i].id) == NULL)
			st.missing[st.nmissing++] = h->rows[i].id;
	}
	cmd_db_status_drift(cmd, &st);
	if (cmd->opt[OPT_JSON] != NULL) {
		if (cmd_db_status_json(cmd, &st, cause) == -1)
			goto out;
	} else
		cmd_db_status_text(cmd, &st);
	status = 0;
out:
	cmd_db_status_free(&st);
	free(applied);
	schema_free(model);
	history_free(h);
	return status;
}

/*
 * The revision just written to path, read back from disk: what the history
 * row must record is the checksum of the file as it is.
 */
static int
cmd_db_read_back(const char *path, struct revision **rev, char **cause)
{
	const char	*file = strrchr(path, '/');
	char		*text = NULL;
	size_t		 len = 0, size = 0, n;
	FILE		*f;
	int		 ret = -1;

	file = file != NULL ? file + 1 : path;
	if ((f = fopen(path, "r")) == NULL) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == size)
			text = xreallocarray(text, size = size * 2 + 4096, 1);
		if ((n = fread(text + len, 1, size - len, f)) == 0)
			break;
		len += n;
	}
	if (ferror(f))
		*cause = xasprintf("%s: %s", path, strerror(errno));
	else
		ret = revision_parse(path, file, text, len, rev, cause);
	fclose(f);
	free(text);
	return ret;
}

/*
 * Adopt what exodb did not make, or keep drift: a revision on the head whose
 * upgrade takes what the chain builds to what the database holds, recorded
 * in the database as applied without running it there. It is made, written
 * and recorded inside one write transaction on the database, so that
 * nothing changes its schema meanwhile; if recording fails, the file goes
 * again.
 */
static int
cmd_db_baseline_exec(struct cmd *cmd, char **cause)
{
	struct revision	*head = cmd->head, *rev = NULL;
	struct autogen	*ag = NULL;
	char		*path = NULL, *note = NULL, *what;
	size_t		 i;
	int		 status;

	if ((status = cmd_db_message(cmd, cause)) != 0)
		return status;
	status = -1;
	if (cmd->ops->baseline(cmd, &ag, &note, cause) == -1)
		goto out;
	if ((ag->upgrade == NULL || *ag->upgrade == '\0') &&
	    ag->pg_upgrade == NULL) {
		cmd_note("nothing to record: %s holds what the migration chain "
		    "builds", cmd->database);
		status = 0;
		goto out;
	}
	for (i = 0; i < ag->up->nops; i++) {
		what = diff_describe(&ag->up->ops[i]);
		cmd_note("recording %s", what);
		free(what);
	}
	if (note != NULL)
		cmd_note("%s", note);
	if (cmd_db_write_revision(cmd, &head, head != NULL, ag, NULL, NULL,
	    &path, cause) == -1)
		goto out;
	if (cmd_db_read_back(path, &rev, cause) == -1 ||
	    cmd->ops->record(cmd, rev->id, rev->checksum, cause) == -1) {
		unlink(path);
		goto out;
	}
	cmd_note("recorded %s as applied to %s; nothing was run there",
	    rev->id, cmd->database);
	status = 0;
out:
	cmd_abandon(cmd);
	free(note);
	free(path);
	revision_free(rev);
	autogen_free(ag);
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
cmd_db_repair_exec(struct cmd *cmd, char **cause)
{
	int	n = 0;

	if (cmd->ops->repair(cmd, cmd->opt[OPT_FORGET_MISSING] != NULL,
	    cmd_db_repaired, &n, cause) == -1)
		return -1;
	if (n == 0)
		cmd_note("nothing to repair: every applied revision matches its "
		    "file");
	return 0;
}

/*
 * The model in use as the differ sees it, on stdout, or with --dialect
 * postgresql as db migrate writes it for PostgreSQL; its fingerprint, which
 * --version and the revisions db migrate writes carry, on stderr.
 */
static int
cmd_db_model_exec(struct cmd *cmd, char **cause)
{
	struct schema	*model = NULL;
	const char	*dialect = cmd->opt[OPT_DIALECT];
	char		*text, *fp, *why = NULL;
	int		 pg;

	if (dialect != NULL && strcmp(dialect, revision_dialect_name(
	    DIALECT_SQLITE)) != 0 && strcmp(dialect, revision_dialect_name(
	    DIALECT_POSTGRESQL)) != 0) {
		*cause = xasprintf("--dialect: unknown dialect '%s'; it is "
		    "sqlite or postgresql", dialect);
		return 2;
	}
	pg = dialect != NULL && strcmp(dialect, revision_dialect_name(
	    DIALECT_POSTGRESQL)) == 0;
	if (model_load(cmd->model, &model, cause) == -1)
		return -1;
	if (!pg)
		text = model_render(model);
	else if (render_pg_model(model, &text, &why) == -1) {
		*cause = xasprintf("%s has no PostgreSQL form: %s",
		    cmd->model != NULL ? cmd->model : model_builtin_name, why);
		free(why);
		schema_free(model);
		return -1;
	}
	fp = model_fingerprint(model);
	fputs(text, stdout);
	cmd_note("model %s (%s%s)", fp, cmd->model != NULL ? cmd->model :
	    model_builtin_name, cmd->model != NULL ? "" : ", compiled in");
	free(text);
	free(fp);
	schema_free(model);
	return 0;
}
