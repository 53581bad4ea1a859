/*
 * Autogenerate: compare the schema the migration chain builds (chain.c's
 * replay, never the live database: a revision must be right for every
 * database the chain builds) with the model, render the revision that closes
 * the gap, and prove it before anyone writes it to disk. The proof replays
 * the upgrade on an in-memory copy of the chain's schema, which must then
 * equal the model, and the downgrade after it, which must give the chain's
 * schema back; a revision that fails either is never written.
 *
 * A baseline is the same in the other direction of trust: the revision that
 * takes the chain's schema to what the live database holds, triggers and
 * views included, proven the same way.
 */
#include <stdlib.h>
#include <string.h>

#include "exodb.h"

void
autogen_free(struct autogen *ag)
{
	size_t	i;

	if (ag == NULL)
		return;
	diff_free(ag->up);
	diff_free(ag->down);
	schema_free(ag->live);
	for (i = 0; i < sizeof ag->held / sizeof ag->held[0]; i++)
		schema_free(ag->held[i]);
	free(ag->upgrade);
	free(ag->downgrade);
	free(ag->pg_upgrade);
	free(ag->pg_downgrade);
	free(ag->pg_why);
	free(ag);
}

/*
 * The operations and SQL that bring db's schema (the chain's replay) to the
 * model, for SQLite and, unless ag->pg_why says why not, for PostgreSQL. On
 * success the
 * caller frees *out with autogen_free(); (*out)->up->nops == 0 means the
 * database already matches.
 */
int
autogen_plan(sqlite3 *db, const struct schema *model, int flags,
    struct autogen **out, char **cause)
{
	struct schema	*from;

	*out = NULL;
	if (introspect_schema(db, &from, cause) == -1)
		return -1;
	return autogen_plan_from(from, model, flags, out, cause);
}

/*
 * autogen_plan() from the chain's schema already read (introspect_schema() of
 * the replay), which it takes: it is (*out)->live, or freed on failure.
 */
int
autogen_plan_from(struct schema *from, const struct schema *model, int flags,
    struct autogen **out, char **cause)
{
	struct autogen	*ag;

	*out = NULL;
	ag = xcalloc(1, sizeof *ag);
	ag->live = from;
	/* The model's views are made, changed and dropped as its tables are. */
	if (diff_schemas(ag->live, model, flags | DIFF_VIEWS, &ag->up,
	    cause) == -1 ||
	    diff_invert(ag->up, ag->live, &ag->down, cause) == -1) {
		autogen_free(ag);
		return -1;
	}
	ag->upgrade = render_ops(ag->up);
	ag->downgrade = render_ops(ag->down);
	/* What has no PostgreSQL form leaves a revision for SQLite alone. */
	if (render_pg_ops(ag->up, &ag->pg_upgrade, &ag->pg_why) == -1 ||
	    render_pg_ops(ag->down, &ag->pg_downgrade, &ag->pg_why) == -1) {
		free(ag->pg_upgrade);
		ag->pg_upgrade = NULL;
	}
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
	    diff_schemas(now, want, flags | DIFF_VIEWS, &d, &why) == -1) {
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
 * Prove the plan on an in-memory copy of db's schema (the chain's replay):
 * after the upgrade the schema must equal the model, after the downgrade
 * db's schema again, and neither may leave a view or trigger that no longer
 * works (unless db's schema already had one).
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

/* Give ix the CREATE INDEX text db holds for it, with stmt's query. */
static int
autogen_index_text(sqlite3 *db, sqlite3_stmt *stmt, struct schema *s,
    struct index *ix, char **cause)
{
	int	rc;

	if (ix->origin != 'c' || ix->sql != NULL)
		return 0;
	sqlite3_bind_text(stmt, 1, ix->name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		ix->sql = schema_strdup(s, (const char *)
		    sqlite3_column_text(stmt, 0));
	sqlite3_reset(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		*cause = db_error(db);
		return -1;
	}
	return 0;
}

/*
 * What a baseline makes whole, a table or an index, it makes from the text
 * db holds (to's schema), so that a database built from the chain holds the
 * same text: the tables ops creates become verbatim, and they and the
 * indexes ops creates take their CREATE INDEX texts. Only rendering reads
 * them after this: ops is not diffed again.
 */
static int
autogen_keep_texts(sqlite3 *db, struct schema *to, const struct diff *ops,
    char **cause)
{
	sqlite3_stmt	*stmt = NULL;
	const struct op	*op;
	struct table	*t;
	size_t		 i, j, k;
	int		 ret = -1;

	if (db_prepare(db, &stmt, cause, "SELECT sql FROM sqlite_schema WHERE "
	    "type = 'index' AND name = ?1 AND sql IS NOT NULL") == -1)
		return -1;
	for (i = 0; i < ops->nops; i++) {
		op = &ops->ops[i];
		if (op->type != OP_CREATE_TABLE && op->type != OP_CREATE_INDEX)
			continue;
		for (j = 0; j < to->ntables && &to->tables[j] != op->to; j++)
			;
		if (j == to->ntables)
			continue;
		t = &to->tables[j];
		for (k = 0; k < t->nindexes; k++) {
			if ((op->type == OP_CREATE_TABLE ||
			    &t->indexes[k] == op->index) &&
			    autogen_index_text(db, stmt, to, &t->indexes[k],
			    cause) == -1)
				goto out;
		}
		if (op->type == OP_CREATE_TABLE && t->sql != NULL)
			t->verbatim = 1;
	}
	ret = 0;
out:
	sqlite3_finalize(stmt);
	return ret;
}

/* Append "-- what name\nSQL;\n" for a trigger or view, and run it on scratch. */
static int
autogen_object_sql(sqlite3 *scratch, sqlite3_str *out, const char *what,
    const char *type, const char *name, const char *sql, char **cause)
{
	sqlite3_str	*s = sqlite3_str_new(NULL);
	char		*stmt;
	int		 ret;

	if (sql == NULL)
		sqlite3_str_appendf(s, "DROP %s \"%w\"", strcmp(type, "view") ==
		    0 ? "VIEW" : "TRIGGER", name);
	else
		sqlite3_str_appendall(s, sql);
	stmt = xstr_finish(s);
	sqlite3_str_appendf(out, "%s-- %s %s %s\n%s;\n",
	    sqlite3_str_length(out) > 0 ? "\n" : "", what, type, name, stmt);
	ret = db_exec(scratch, stmt, cause);
	free(stmt);
	return ret;
}

/*
 * The SQL that takes from's schema to to's, tables, indexes, triggers and
 * views alike, worked out on scratch (a copy of from's schema, which it
 * leaves at to's): first the triggers and views that go or change are
 * dropped, then the tables change as the differ says (*ops, whose schemas
 * *sa and *sb the caller frees after it), then the triggers and views of to
 * that are still missing are made, views first, each as to has it.
 */
static int
autogen_between(sqlite3 *from, sqlite3 *to, sqlite3 *scratch,
    struct diff **ops, struct schema **sa, struct schema **sb, char **sql,
    char **cause)
{
	struct chain_objects	*oa = NULL, *ob = NULL, *oc = NULL;
	sqlite3_str		*out = sqlite3_str_new(NULL);
	char			*tables = NULL, *why = NULL;
	size_t			 i, pass;
	long			 k;
	int			 ret = -1;

	*ops = NULL;
	*sa = *sb = NULL;
	*sql = NULL;
	if (chain_objects(from, &oa, cause) == -1 ||
	    chain_objects(to, &ob, cause) == -1)
		goto out;
	for (i = oa->n; i > 0; i--) {
		k = chain_objects_find(ob, oa->type[i - 1], oa->name[i - 1]);
		if (k != -1 && chain_objects_same(oa, i - 1, ob, (size_t)k))
			continue;
		if (autogen_object_sql(scratch, out, "drop", oa->type[i - 1],
		    oa->name[i - 1], NULL, cause) == -1)
			goto out;
	}
	if (chain_schema(scratch, sa, cause) == -1 ||
	    chain_schema(to, sb, cause) == -1 ||
	    diff_schemas(*sa, *sb, DIFF_DROP_UNKNOWN, ops, cause) == -1 ||
	    autogen_keep_texts(to, *sb, *ops, cause) == -1)
		goto out;
	tables = render_ops(*ops);
	if (*tables != '\0') {
		sqlite3_str_appendf(out, "%s%s", sqlite3_str_length(out) > 0 ?
		    "\n" : "", tables);
		if (autogen_replay(scratch, tables, &why) == -1) {
			*cause = xasprintf("the tables' changes fail on a copy "
			    "of the schema: %s", why);
			goto out;
		}
	}
	if (chain_objects(scratch, &oc, cause) == -1)
		goto out;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < ob->n; i++) {
			if (strcmp(ob->type[i], pass == 0 ? "view" :
			    "trigger") != 0)
				continue;
			k = chain_objects_find(oc, ob->type[i], ob->name[i]);
			if (k != -1 && chain_objects_same(oc, (size_t)k, ob, i))
				continue;
			if ((k != -1 && autogen_object_sql(scratch, out, "drop",
			    ob->type[i], ob->name[i], NULL, cause) == -1) ||
			    autogen_object_sql(scratch, out, "create",
			    ob->type[i], ob->name[i], ob->sql[i], cause) == -1)
				goto out;
		}
	}
	ret = 0;
out:
	*sql = xstr_finish(out);
	if (ret == -1) {
		free(*sql);
		*sql = NULL;
	}
	free(why);
	free(tables);
	chain_objects_free(oa);
	chain_objects_free(ob);
	chain_objects_free(oc);
	return ret;
}

/* Whether scratch's schema is db's: no drift between them. */
static int
autogen_same(sqlite3 *scratch, sqlite3 *db, const char *what, char **cause)
{
	struct chain_drift	*d = NULL;
	char			*why = NULL;
	int			 ret;

	if (chain_drift(scratch, db, &d, &why) == -1) {
		*cause = xasprintf("%s: %s", what, why);
		free(why);
		return -1;
	}
	ret = d->nitems > 0 ? -1 : 0;
	if (ret == -1)
		*cause = xasprintf("%s, yet it still differs: %s", what,
		    d->items[0]);
	chain_drift_free(d);
	return ret;
}

/* A copy of db's schema in a new in-memory database (*scratch). */
int
autogen_copy(sqlite3 *db, sqlite3 **scratch, char **cause)
{
	char	*why = NULL;

	if (sqlite3_open_v2(":memory:", scratch, SQLITE_OPEN_READWRITE,
	    NULL) != SQLITE_OK) {
		*cause = xstrdup("cannot open an in-memory database");
		return -1;
	}
	if (db_copy_schema(db, *scratch, &why) == -1) {
		*cause = xasprintf("cannot copy the schema: %s", why);
		free(why);
		return -1;
	}
	return 0;
}

/*
 * The revision that takes chain's schema to live's, and back, proven on a
 * copy of chain's schema: after the upgrade it must be live's, tables,
 * indexes, triggers and views alike, and after the downgrade chain's again.
 * On success the caller frees *out; an upgrade of "" means there is nothing
 * to record.
 */
int
autogen_baseline(sqlite3 *chain, sqlite3 *live, struct autogen **out,
    char **cause)
{
	struct autogen	*ag;
	sqlite3		*scratch = NULL;
	char		*why = NULL;
	int		 ret = -1, check;

	*out = NULL;
	ag = xcalloc(1, sizeof *ag);
	if (autogen_copy(chain, &scratch, cause) == -1 ||
	    autogen_between(chain, live, scratch, &ag->up, &ag->live,
	    &ag->held[0], &ag->upgrade, cause) == -1)
		goto out;
	sqlite3_close(scratch);
	scratch = NULL;
	if (autogen_copy(live, &scratch, cause) == -1 ||
	    autogen_between(live, chain, scratch, &ag->down, &ag->held[1],
	    &ag->held[2], &ag->downgrade, cause) == -1)
		goto out;
	sqlite3_close(scratch);
	scratch = NULL;
	if (*ag->upgrade == '\0') {
		ret = 0;
		goto out;
	}
	/*
	 * The proof, from the start: the chain's schema, both ways. Views and
	 * triggers must keep working, unless one side already has one that
	 * does not: the database is recorded as it is.
	 */
	if (autogen_copy(live, &scratch, cause) == -1)
		goto out;
	check = autogen_valid(scratch, &why) == 0;
	free(why);
	why = NULL;
	sqlite3_close(scratch);
	scratch = NULL;
	if (autogen_copy(chain, &scratch, cause) == -1)
		goto out;
	check = check && autogen_valid(scratch, &why) == 0;
	free(why);
	why = NULL;
	if (autogen_replay(scratch, ag->upgrade, &why) == -1) {
		*cause = xasprintf("the upgrade fails on a copy of the chain's "
		    "schema: %s", why);
		goto out;
	}
	if (autogen_same(scratch, live, "after the upgrade on a copy of the "
	    "chain's schema", cause) == -1)
		goto out;
	if (check && autogen_valid(scratch, &why) == -1) {
		*cause = xasprintf("after the upgrade on a copy of the chain's "
		    "schema: %s", why);
		goto out;
	}
	if (autogen_replay(scratch, ag->downgrade, &why) == -1) {
		*cause = xasprintf("the downgrade fails on a copy of the "
		    "schema: %s", why);
		goto out;
	}
	if (autogen_same(scratch, chain, "after the downgrade on a copy of "
	    "the schema", cause) == -1)
		goto out;
	if (check && autogen_valid(scratch, &why) == -1) {
		*cause = xasprintf("after the downgrade on a copy of the "
		    "schema: %s", why);
		goto out;
	}
	ret = 0;
out:
	free(why);
	sqlite3_close(scratch);
	if (ret == 0)
		*out = ag;
	else
		autogen_free(ag);
	return ret;
}
