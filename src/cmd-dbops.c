/*
 * The database a command works on, SQLite or PostgreSQL: opened once by
 * run_command (cmd_open), which points cmd->ops at the set of operations
 * for it. Everything here is a thin call into the layer below; what the
 * commands print stays in cmd-db.c, which never asks which database it has.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static int
sqlite_history(struct cmd *cmd, struct history **h, char **cause)
{
	return history_read(cmd->db, h, cause);
}

static int
sqlite_apply(struct cmd *cmd, const struct plan *plan, int flags,
    const struct migrate_hooks *hooks, char **cause)
{
	return migrate_apply(cmd->db, plan, flags, hooks, cause);
}

static int
sqlite_check(struct cmd *cmd, const struct plan *plan, char **cause)
{
	return migrate_check(cmd->db, plan, MIGRATE_REFUSALS, cause);
}

static int
sqlite_script(struct cmd *cmd, const struct plan *plan, int flags,
    char **out, char **cause)
{
	(void)cmd;
	return migrate_script(plan, flags, out, cause);
}

static int
sqlite_stamp(struct cmd *cmd, const char *spec, int *added, int *removed,
    char **cause)
{
	return history_stamp(cmd->db, cmd->repo, spec, added, removed, cause);
}

static int
sqlite_has_table(struct cmd *cmd, const char *name, int *exists,
    char **cause)
{
	return db_table_exists(cmd->db, name, exists, cause);
}

static int
sqlite_alembic(struct cmd *cmd, char **versions, char **cause)
{
	return history_alembic(cmd->db, versions, cause);
}

static int
sqlite_drops(struct cmd *cmd, const struct plan *plan, char **lost,
    char **why)
{
	return datacheck_plan_drops(cmd->db, plan, lost, why);
}

static int
sqlite_backup(struct cmd *cmd, char **backup, char **cause)
{
	return db_backup(cmd->db, cmd->database, backup, cause);
}

static char *
sqlite_restore(struct cmd *cmd, const char *backup)
{
	char	*from, *to, *line;

	from = cmd_db_shell_word(backup);
	to = cmd_db_shell_word(cmd->database);
	line = xasprintf("cp %s %s", from, to);
	free(from);
	free(to);
	return line;
}

/* Against the chain replayed in memory: the caller's, or (NULL) one made. */
static int
sqlite_drift(struct cmd *cmd, struct chain *chain, const struct schema *cs,
    struct chain_drift **d, char **cause)
{
	struct chain	*own = NULL;
	int		 ret;

	if (chain == NULL && chain_new(cmd->repo, &own, cause) == -1)
		return -1;
	ret = chain_drift_of(chain != NULL ? chain : own, cs, cmd->db, d,
	    cause);
	chain_free(own);
	return ret;
}

static int
sqlite_repair(struct cmd *cmd, int forget, void (*report)(const char *,
    const char *, const char *, void *), void *arg, char **cause)
{
	struct history	*h = NULL;
	int		 ret;

	if (history_read(cmd->db, &h, cause) == -1)
		return -1;
	ret = history_repair(cmd->db, cmd->repo, h, forget, report, arg,
	    cause);
	history_free(h);
	return ret;
}

/*
 * BEGIN IMMEDIATE first, so that nothing changes the schema until record()
 * commits; the chain replayed in memory, triggers and views too.
 */
static int
sqlite_baseline(struct cmd *cmd, struct autogen **ag, char **note,
    char **cause)
{
	sqlite3	*chain = NULL;
	char	*why = NULL;
	int	 ret = -1;

	*note = NULL;
	if (chain_load(cmd->repo, &chain, cause) == -1)
		return -1;
	if (db_exec(cmd->db, "BEGIN IMMEDIATE", &why) == -1)
		*cause = xasprintf("%s: %s", cmd->database, why);
	else if (autogen_baseline(chain, cmd->db, ag, &why) == -1)
		*cause = xasprintf("no revision written: %s", why);
	else
		ret = 0;
	free(why);
	sqlite3_close(chain);
	return ret;
}

static int
sqlite_record(struct cmd *cmd, const char *id, const char *checksum,
    char **cause)
{
	char	*why = NULL;

	if (db_exec(cmd->db, HISTORY_DDL, &why) == -1 ||
	    history_set(cmd->db, id, checksum, &why) == -1 ||
	    db_exec(cmd->db, "COMMIT", &why) == -1) {
		*cause = xasprintf("%s: %s", cmd->database, why);
		free(why);
		return -1;
	}
	return 0;
}

const struct cmd_dbops cmd_sqlite_ops = {
	.name = "SQLite",
	.dialect = DIALECT_SQLITE,
	.history = sqlite_history,
	.apply = sqlite_apply,
	.check = sqlite_check,
	.script = sqlite_script,
	.stamp = sqlite_stamp,
	.has_table = sqlite_has_table,
	.alembic = sqlite_alembic,
	.drops = sqlite_drops,
	.backup = sqlite_backup,
	.restore = sqlite_restore,
	.drift = sqlite_drift,
	.repair = sqlite_repair,
	.baseline = sqlite_baseline,
	.record = sqlite_record,
	.datacheck = 1,
	.users = &cmd_sqlite_userops
};

static int
pg_ops_history(struct cmd *cmd, struct history **h, char **cause)
{
	return pg_history_read(cmd->pg, h, cause);
}

static int
pg_ops_apply(struct cmd *cmd, const struct plan *plan, int flags,
    const struct migrate_hooks *hooks, char **cause)
{
	return pg_apply(cmd->pg, plan, flags, hooks, cause);
}

static int
pg_ops_script(struct cmd *cmd, const struct plan *plan, int flags,
    char **out, char **cause)
{
	(void)cmd;
	return pg_script(plan, flags, out, cause);
}

static int
pg_ops_stamp(struct cmd *cmd, const char *spec, int *added, int *removed,
    char **cause)
{
	return pg_stamp(cmd->pg, cmd->repo, spec, added, removed, cause);
}

static int
pg_ops_has_table(struct cmd *cmd, const char *name, int *exists,
    char **cause)
{
	return pg_table_exists(cmd->pg, name, exists, cause);
}

static int
pg_ops_drops(struct cmd *cmd, const struct plan *plan, char **lost,
    char **why)
{
	(void)cmd;
	(void)why;
	*lost = pg_plan_drops(plan);
	return 0;
}

/* Into the project's instance folder, where SQLite's database would be. */
static int
pg_ops_backup(struct cmd *cmd, char **backup, char **cause)
{
	char	*path, *dir;
	int	 ret;

	if ((path = realpath(cmd->directory, NULL)) == NULL) {
		*cause = xasprintf("%s: %s", cmd->directory, strerror(errno));
		return -1;
	}
	dir = xasprintf("%s/instance", dirname(path));
	ret = pg_backup(cmd->pg, cmd->conninfo, dir, backup, cause);
	free(dir);
	free(path);
	return ret;
}

/* The URI shown has no password: pg_restore finds it where exodb did. */
static char *
pg_ops_restore(struct cmd *cmd, const char *backup)
{
	char	*from, *to, *line;

	from = cmd_db_shell_word(backup);
	to = cmd_db_shell_word(cmd->database);
	line = xasprintf("pg_restore --clean --if-exists --single-transaction "
	    "-d %s %s", to, from);
	free(from);
	free(to);
	return line;
}

/* The chain's PostgreSQL sections, replayed on the server (chain-pg.c). */
static int
pg_ops_drift(struct cmd *cmd, struct chain *chain, const struct schema *cs,
    struct chain_drift **d, char **cause)
{
	(void)chain;
	(void)cs;
	return chain_pg_drift(cmd->pg, cmd->repo, d, cause);
}

/* A revision that cannot run on the server is not written for it. */
static int
pg_ops_prove(struct cmd *cmd, const struct autogen *ag, char **cause)
{
	if (ag->pg_why != NULL) {
		*cause = xasprintf("it has no PostgreSQL sections, which %s "
		    "needs: %s", cmd->database, ag->pg_why);
		return -1;
	}
	return chain_pg_prove(cmd->pg, ag->pg_upgrade, ag->pg_downgrade,
	    cause);
}

static int
pg_ops_repair(struct cmd *cmd, int forget, void (*report)(const char *,
    const char *, const char *, void *), void *arg, char **cause)
{
	return pg_repair(cmd->pg, cmd->repo, forget, report, arg, cause);
}

/* Made from the chain's PostgreSQL sections replayed on the server. */
static int
pg_ops_baseline(struct cmd *cmd, struct autogen **ag, char **note,
    char **cause)
{
	char	*why = NULL, *sqlite_why = NULL;

	if (chain_pg_baseline(cmd->pg, cmd->repo, ag, &sqlite_why, &why) ==
	    -1) {
		*cause = xasprintf("no revision written: %s", why);
		free(why);
		return -1;
	}
	*note = NULL;
	if (sqlite_why != NULL)
		*note = xasprintf("no SQLite sections: %s; write them by hand "
		    "(-- +upgrade, -- +downgrade) to run it on SQLite",
		    sqlite_why);
	free(sqlite_why);
	return 0;
}

static int
pg_ops_record(struct cmd *cmd, const char *id, const char *checksum,
    char **cause)
{
	char	*why = NULL;

	if (pg_record(cmd->pg, id, checksum, &why) == -1) {
		*cause = xasprintf("%s: %s", cmd->database, why);
		free(why);
		return -1;
	}
	return 0;
}

const struct cmd_dbops cmd_pg_ops = {
	.name = "PostgreSQL",
	.dialect = DIALECT_POSTGRESQL,
	.history = pg_ops_history,
	.apply = pg_ops_apply,
	.script = pg_ops_script,
	.stamp = pg_ops_stamp,
	.has_table = pg_ops_has_table,
	.drops = pg_ops_drops,
	.backup = pg_ops_backup,
	.restore = pg_ops_restore,
	.drift = pg_ops_drift,
	.prove = pg_ops_prove,
	.repair = pg_ops_repair,
	.baseline = pg_ops_baseline,
	.record = pg_ops_record,
	.users = &cmd_pg_userops
};

/*
 * Open the database the command names, SQLite's file (as db_open() does,
 * with mode and *created) or PostgreSQL's, and set cmd->ops.
 */
int
cmd_open(struct cmd *cmd, enum db_mode mode, struct db_created *created,
    char **cause)
{
	char	*why = NULL;

	if (!pg_is_uri(cmd->conninfo)) {
		cmd->ops = &cmd_sqlite_ops;
		return db_open(cmd->database, mode, &cmd->db, created, cause);
	}
	cmd->ops = &cmd_pg_ops;
	if (pg_open(cmd->conninfo, cmd->timeout_ms, &cmd->pg, &why) == -1) {
		*cause = xasprintf("%s: %s", cmd->database, why);
		free(why);
		return -1;
	}
	return 0;
}

/* Undo what a failed command left open. */
void
cmd_abandon(struct cmd *cmd)
{
	db_rollback(cmd->db);
	pg_rollback(cmd->pg);
}

/* Close the database; 0, or -1 having reported why. */
int
cmd_close(struct cmd *cmd)
{
	int	ret = 0;

	if (cmd->db != NULL && sqlite3_close(cmd->db) != SQLITE_OK) {
		cmd_error("%s: cannot close: %s", cmd->database,
		    sqlite3_errmsg(cmd->db));
		ret = -1;
	}
	pg_close(cmd->pg);
	cmd->db = NULL;
	cmd->pg = NULL;
	return ret;
}
