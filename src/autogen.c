/*
 * Autogenerate: compare the live database with the model, render the revision
 * that closes the gap, and prove it before anyone writes it to disk. The proof
 * replays the upgrade on an in-memory copy of the live schema, which must then
 * equal the model, and the downgrade after it, which must give back the live
 * schema; a revision that fails either is never written.
 */
#include <stdlib.h>
#include <string.h>

#include "exodb.h"

void
autogen_free(struct autogen *ag)
{
	if (ag == NULL)
		return;
	diff_free(ag->up);
	diff_free(ag->down);
	schema_free(ag->live);
	free(ag->upgrade);
	free(ag->downgrade);
	free(ag);
}

/*
 * The operations and SQL that bring db's schema to the model. On success the
 * caller frees *out with autogen_free(); (*out)->up->nops == 0 means the
 * database already matches.
 */
int
autogen_plan(sqlite3 *db, const struct schema *model, int flags,
    struct autogen **out, char **cause)
{
	struct autogen	*ag;

	*out = NULL;
	ag = xcalloc(1, sizeof *ag);
	if (introspect_schema(db, &ag->live, cause) == -1 ||
	    diff_schemas(ag->live, model, flags, &ag->up, cause) == -1 ||
	    diff_invert(ag->up, ag->live, &ag->down, cause) == -1) {
		autogen_free(ag);
		return -1;
	}
	ag->upgrade = render_ops(ag->up);
	ag->downgrade = render_ops(ag->down);
	*out = ag;
	return 0;
}

/* Run SQL on the scratch database as the runner would: one transaction. */
static int
autogen_replay(sqlite3 *scratch, const char *sql, char **cause)
{
	char	*why = NULL;

	if (db_exec(scratch, "PRAGMA foreign_keys = OFF; BEGIN", &why) == -1 ||
	    db_exec(scratch, sql, &why) == -1 ||
	    db_exec(scratch, "COMMIT", &why) == -1) {
		*cause = why;
		if (!sqlite3_get_autocommit(scratch))
			sqlite3_exec(scratch, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

/* Whether scratch's schema now equals want; else *cause says how not. */
static int
autogen_compare(sqlite3 *scratch, const struct schema *want, int flags,
    const char *what, char **cause)
{
	struct schema	*now = NULL;
	struct diff	*d = NULL;
	char		*why = NULL, *op;
	int		 ret = -1;

	if (introspect_schema(scratch, &now, &why) == -1 ||
	    diff_schemas(now, want, flags, &d, &why) == -1) {
		*cause = xasprintf("%s: %s", what, why);
		goto out;
	}
	if (d->nops > 0) {
		op = diff_describe(&d->ops[0]);
		*cause = xasprintf("%s, yet it still needs: %s", what, op);
		free(op);
		goto out;
	}
	ret = 0;
out:
	free(why);
	diff_free(d);
	schema_free(now);
	return ret;
}

/*
 * Whether every view and trigger still makes sense: renaming a table, with
 * legacy_alter_table off, makes SQLite check the whole schema. The probe runs
 * in a transaction that is always rolled back, so that a rename that fails
 * (because a view was already broken) leaves no table of its own behind.
 */
static int
autogen_valid(sqlite3 *scratch, char **cause)
{
	int	ret;

	if (db_exec(scratch, "PRAGMA legacy_alter_table = OFF; BEGIN", cause)
	    == -1)
		return -1;
	ret = db_exec(scratch, "CREATE TABLE exodb_schema_check (x);"
	    "ALTER TABLE exodb_schema_check RENAME TO exodb_schema_checked",
	    cause);
	sqlite3_exec(scratch, "ROLLBACK", NULL, NULL, NULL);
	return ret;
}

/*
 * Prove the plan on an in-memory copy of db's schema: after the upgrade the
 * schema must equal the model, after the downgrade the live schema again,
 * and neither may leave a view or trigger that no longer works (unless the
 * live schema already had one).
 */
int
autogen_prove(sqlite3 *db, const struct autogen *ag,
    const struct schema *model, int flags, char **cause)
{
	sqlite3	*scratch = NULL;
	char	*why = NULL;
	int	 ret = -1, check;

	if (sqlite3_open_v2(":memory:", &scratch, SQLITE_OPEN_READWRITE,
	    NULL) != SQLITE_OK) {
		*cause = xstrdup("cannot open an in-memory database");
		goto out;
	}
	if (db_copy_schema(db, scratch, &why) == -1) {
		*cause = xasprintf("cannot copy the schema: %s", why);
		goto out;
	}
	check = autogen_valid(scratch, &why) == 0;
	free(why);
	why = NULL;
	if (autogen_replay(scratch, ag->upgrade, &why) == -1) {
		*cause = xasprintf("the upgrade fails on a copy of the schema: "
		    "%s", why);
		goto out;
	}
	if (autogen_compare(scratch, model, flags, "after the upgrade on a "
	    "copy of the schema", cause) == -1)
		goto out;
	if (check && autogen_valid(scratch, &why) == -1) {
		*cause = xasprintf("after the upgrade on a copy of the schema: "
		    "%s", why);
		goto out;
	}
	if (autogen_replay(scratch, ag->downgrade, &why) == -1) {
		*cause = xasprintf("the downgrade fails on a copy of the schema: "
		    "%s", why);
		goto out;
	}
	if (autogen_compare(scratch, ag->live, DIFF_DROP_UNKNOWN, "after the "
	    "downgrade on a copy of the schema", cause) == -1)
		goto out;
	if (check && autogen_valid(scratch, &why) == -1) {
		*cause = xasprintf("after the downgrade on a copy of the schema: "
		    "%s", why);
		goto out;
	}
	ret = 0;
out:
	free(why);
	sqlite3_close(scratch);
	return ret;
}
