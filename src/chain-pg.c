/*
 * The migration chain on a PostgreSQL server. What its PostgreSQL sections
 * build is found by running them there, in a schema of their own made for
 * the purpose inside a transaction that is rolled back, and reading that
 * schema with the same introspect_pg() that reads the live one: the two are
 * compared like with like, and a section written by hand counts as it
 * runs. (Rendering the SQLite replay as PostgreSQL would compare the live
 * schema with what db migrate would write today, not with what the files
 * hold.) It costs a replay on the server per look, and the right to create
 * a schema in the database (CREATE), which its owner has.
 *
 * The same transaction that is rolled back proves a new revision's
 * sections on the live schema before db migrate writes them.
 */
#include <stdlib.h>
#include <string.h>

#include "pq.h"

#include "exodb.h"

/*
 * Begin a transaction whose objects are made in a new schema, named after
 * this connection's server process so that two runs never wait for each
 * other's: first on the search path, the rest of which stays, so that
 * what the database has besides (an extension's types) is found.
 */
static int
chain_pg_scratch(struct pg_conn *conn, char **cause)
{
	struct pg_query	 q[3];
	char		*create, *name;
	const char	*values[1];
	int		 ret;

	name = xasprintf("exodb_chain_%d", PQbackendPID(conn));
	create = xasprintf("CREATE SCHEMA %s", name);
	values[0] = name;
	q[0] = (struct pg_query){ "BEGIN", 0, NULL };
	q[1] = (struct pg_query){ create, 0, NULL };
	q[2] = (struct pg_query){ "SELECT set_config('search_path', "
	    "quote_ident($1) || ', ' || current_setting('search_path'), true)",
	    1, values };
	ret = pg_pipeline(conn, q, 3, NULL, cause);
	free(create);
	free(name);
	return ret;
}

/*
 * The schema the chain's PostgreSQL sections build, every revision of repo
 * in order, into *out (the caller frees it). Nothing is left on the server.
 */
int
chain_pg_schema(struct pg_conn *conn, const struct repo *repo,
    struct schema **out, char **cause)
{
	struct plan	 plan;
	char		*why = NULL;
	int		 ret = -1;

	*out = NULL;
	if (repo->nrevs == 0) {
		*out = schema_new();
		return 0;
	}
	memset(&plan, 0, sizeof plan);
	plan.up = 1;
	plan.revs = repo->revs;
	plan.nrevs = repo->nrevs;
	if (chain_pg_scratch(conn, &why) == -1) {
		*cause = xasprintf("cannot make a schema to replay the migration "
		    "chain in: %s", why);
		goto out;
	}
	if (pg_run_plan(conn, &plan, NULL, &why) == -1) {
		*cause = xasprintf("the migration chain does not replay on the "
		    "server: %s", why);
		goto out;
	}
	ret = introspect_pg(conn, out, cause);
out:
	pg_rollback(conn);
	free(why);
	return ret;
}

/* The name of a trigger from its CREATE [CONSTRAINT] TRIGGER text; free it. */
static char *
chain_pg_trigger_name(const char *sql)
{
	struct lex	 lx;
	const char	*tok;
	size_t		 len;
	enum lex_token	 t;

	lex_init(&lx, sql, strlen(sql), 1);
	while ((t = lex_next_token(&lx, &tok, &len)) != LEX_EOF) {
		if (t == LEX_WORD && (lex_word_is(tok, len, "CREATE") ||
		    lex_word_is(tok, len, "CONSTRAINT") ||
		    lex_word_is(tok, len, "TRIGGER")))
			continue;
		return lex_unquote(tok, len);
	}
	return xstrdup("?");
}

/* Where table t has a trigger of that name, or -1. */
static long
chain_pg_find_trigger(const struct table *t, const char *name)
{
	size_t	 i;
	char	*n;
	int	 same;

	for (i = 0; i < t->ntriggers; i++) {
		n = chain_pg_trigger_name(t->triggers[i]);
		same = strcmp(n, name) == 0;
		free(n);
		if (same)
			return (long)i;
	}
	return -1;
}

/* The drift of table b's triggers (live) from table a's (the chain's). */
static void
chain_pg_triggers(struct chain_drift *d, const struct table *a,
    const struct table *b)
{
	size_t	 i;
	long	 j;
	char	*name;

	for (i = 0; i < b->ntriggers; i++) {
		name = chain_pg_trigger_name(b->triggers[i]);
		if ((j = chain_pg_find_trigger(a, name)) == -1)
			chain_drift_item(d, xasprintf("trigger %s on %s: in the "
			    "database, not in the chain", name, b->name));
		else if (!schema_same_text(a->triggers[j], b->triggers[i]))
			chain_drift_item(d, xasprintf("trigger %s on %s differs "
			    "from the chain's", name, b->name));
		free(name);
	}
	for (i = 0; i < a->ntriggers; i++) {
		name = chain_pg_trigger_name(a->triggers[i]);
		if (chain_pg_find_trigger(b, name) == -1)
			chain_drift_item(d, xasprintf("trigger %s on %s: in the "
			    "chain, not in the database", name, a->name));
		free(name);
	}
}

static long
chain_pg_find_view(const struct schema *s, const char *name)
{
	size_t	i;

	for (i = 0; i < s->nviews; i++) {
		if (strcmp(s->view_names[i], name) == 0)
			return (long)i;
	}
	return -1;
}

/*
 * How schema to differs from schema from, as chain_drift() words it on
 * SQLite, into d: tables, their columns and indexes, then triggers and
 * views.
 */
static int
chain_pg_compare(const struct schema *from, const struct schema *to,
    struct chain_drift *d, char **cause)
{
	struct diff		*ops = NULL;
	const struct table	*a;
	size_t			 i;
	long			 j;

	if (diff_schemas(from, to, DIFF_DROP_UNKNOWN, &ops, cause) == -1)
		return -1;
	for (i = 0; i < ops->nops; i++)
		chain_drift_item(d, chain_drift_describe(&ops->ops[i]));
	diff_free(ops);
	for (i = 0; i < to->ntables; i++) {
		if ((a = schema_table(from, to->tables[i].name)) != NULL)
			chain_pg_triggers(d, a, &to->tables[i]);
	}
	for (i = 0; i < to->nviews; i++) {
		j = chain_pg_find_view(from, to->view_names[i]);
		if (j == -1)
			chain_drift_item(d, xasprintf("view %s: in the database, "
			    "not in the chain", to->view_names[i]));
		else if (!schema_same_text(from->views[j], to->views[i]))
			chain_drift_item(d, xasprintf("view %s differs from the "
			    "chain's", to->view_names[i]));
	}
	for (i = 0; i < from->nviews; i++) {
		if (chain_pg_find_view(to, from->view_names[i]) == -1)
			chain_drift_item(d, xasprintf("view %s: in the chain, not "
			    "in the database", from->view_names[i]));
	}
	return 0;
}

/*
 * The drift of the live schema from the chain's. No items: no drift. The
 * caller frees *out with chain_drift_free().
 */
int
chain_pg_drift(struct pg_conn *conn, const struct repo *repo,
    struct chain_drift **out, char **cause)
{
	struct schema		*from = NULL, *to = NULL;
	struct chain_drift	*d;
	int			 ret = -1;

	*out = NULL;
	d = xcalloc(1, sizeof *d);
	if (chain_pg_schema(conn, repo, &from, cause) == -1 ||
	    introspect_pg(conn, &to, cause) == -1 ||
	    chain_pg_compare(from, to, d, cause) == -1)
		goto out;
	*out = d;
	d = NULL;
	ret = 0;
out:
	chain_drift_free(d);
	schema_free(from);
	schema_free(to);
	return ret;
}

/* What the proof ran last: the statement a failure is about. */
struct chain_pg_last {
	unsigned	 line;
	char		*sql;		/* its first line */
};

static void
chain_pg_statement(const struct revision *rev, unsigned line,
    const char *sql, void *arg)
{
	struct chain_pg_last	*last = arg;

	(void)rev;
	free(last->sql);
	last->line = line;
	last->sql = xstrndup(sql, strcspn(sql, "\n"));
}

/*
 * Run a new revision's PostgreSQL upgrade, then its downgrade, on the live
 * schema inside a transaction that is rolled back: the server must take
 * both as they would run, over its rows, and the downgrade must give back
 * the schema as it was. A statement it refuses is named: which section,
 * its line there and its first line of text, and the server's reason.
 */
int
chain_pg_prove(struct pg_conn *conn, const char *upgrade,
    const char *downgrade, char **cause)
{
	struct revision		 r;
	struct revision		*revs[1] = { &r };
	struct plan		 plan;
	struct migrate_hooks	 hooks;
	struct chain_pg_last	 last = { 0, NULL };
	struct schema		*before = NULL, *after = NULL;
	struct chain_drift	*d = NULL;
	const char		*why;
	char			*err = NULL, *list;
	int			 ret = -1, up;

	memset(&r, 0, sizeof r);
	r.id = (char *)"new";
	r.file = r.path = (char *)"the new revision";
	r.pg_upgrade = (char *)upgrade;
	r.pg_downgrade = (char *)downgrade;
	r.pg_upgrade_line = r.pg_downgrade_line = 1;
	memset(&hooks, 0, sizeof hooks);
	hooks.statement = chain_pg_statement;
	hooks.arg = &last;
	memset(&plan, 0, sizeof plan);
	plan.revs = revs;
	plan.nrevs = 1;
	if (pg_exec(conn, "BEGIN", &err) == -1) {
		*cause = xasprintf("cannot begin a transaction to try it in: "
		    "%s", err);
		goto out;
	}
	if (introspect_pg(conn, &before, cause) == -1)
		goto out;
	for (up = 1; up >= 0; up--) {
		plan.up = up;
		free(last.sql);
		last.sql = NULL;
		if (pg_run_plan(conn, &plan, &hooks, &err) == 0)
			continue;
		/* err is "the new revision:LINE: reason": the reason. */
		why = strstr(err + strlen(r.path) + 1, ": ");
		why = why != NULL ? why + 2 : err;
		if (last.sql != NULL)
			*cause = xasprintf("the server refuses its PostgreSQL "
			    "%s at line %u, '%s': %s (rolled back)", up ?
			    "upgrade" : "downgrade", last.line, last.sql, why);
		else
			*cause = xasprintf("its PostgreSQL %s: %s", up ?
			    "upgrade" : "downgrade", why);
		goto out;
	}
	/* The downgrade must give back the schema the upgrade started from. */
	d = xcalloc(1, sizeof *d);
	if (introspect_pg(conn, &after, cause) == -1 ||
	    chain_pg_compare(before, after, d, cause) == -1)
		goto out;
	if (d->nitems > 0) {
		list = xstrdup(d->items[0]);
		/* Worded as drift, the schema before standing for the chain. */
		*cause = xasprintf("its PostgreSQL downgrade does not give back "
		    "the schema the upgrade started from (%s%s)", list,
		    d->nitems > 1 ? "; ..." : "");
		free(list);
		goto out;
	}
	ret = 0;
out:
	pg_rollback(conn);
	chain_drift_free(d);
	schema_free(before);
	schema_free(after);
	free(last.sql);
	free(err);
	return ret;
}

/* Run one section as the runner would, as the revision "new", on conn. */
static int
chain_pg_run(struct pg_conn *conn, const char *sql, int up, char **cause)
{
	struct revision	 r;
	struct revision	*revs[1] = { &r };
	struct plan	 plan;

	memset(&r, 0, sizeof r);
	r.id = (char *)"new";
	r.file = r.path = (char *)"the new revision";
	if (up)
		r.pg_upgrade = (char *)sql;
	else
		r.pg_downgrade = (char *)sql;
	r.pg_upgrade_line = r.pg_downgrade_line = 1;
	memset(&plan, 0, sizeof plan);
	plan.up = up;
	plan.revs = revs;
	plan.nrevs = 1;
	return pg_run_plan(conn, &plan, NULL, cause);
}

/* Whether schema now is want; else *cause says how not, after what. */
static int
chain_pg_same(const struct schema *want, const struct schema *now,
    const char *what, char **cause)
{
	struct chain_drift	*d;
	int			 ret = -1;

	d = xcalloc(1, sizeof *d);
	if (chain_pg_compare(want, now, d, cause) == -1)
		goto out;
	if (d->nitems > 0) {
		*cause = xasprintf("%s, yet it still differs: %s", what,
		    d->items[0]);
		goto out;
	}
	ret = 0;
out:
	chain_drift_free(d);
	return ret;
}

/*
 * Prove the PostgreSQL sections in a scratch schema: the chain replayed,
 * then the upgrade must give the live schema (to) and the downgrade the
 * chain's again (from). Rolled back, whatever happens.
 */
static int
chain_pg_baseline_prove(struct pg_conn *conn, const struct repo *repo,
    const struct autogen *ag, const struct schema *from,
    const struct schema *to, char **cause)
{
	struct plan	 plan;
	struct schema	*now = NULL;
	char		*why = NULL;
	int		 ret = -1;

	memset(&plan, 0, sizeof plan);
	plan.up = 1;
	plan.revs = repo->revs;
	plan.nrevs = repo->nrevs;
	if (chain_pg_scratch(conn, &why) == -1 ||
	    (repo->nrevs > 0 && pg_run_plan(conn, &plan, NULL, &why) == -1)) {
		*cause = xasprintf("cannot replay the migration chain to try "
		    "it on: %s", why);
		goto out;
	}
	if (chain_pg_run(conn, ag->pg_upgrade, 1, &why) == -1) {
		*cause = xasprintf("its PostgreSQL upgrade fails on the chain's "
		    "schema: %s", why);
		goto out;
	}
	if (introspect_pg(conn, &now, cause) == -1 ||
	    chain_pg_same(to, now, "after its PostgreSQL upgrade on the "
	    "chain's schema", cause) == -1)
		goto out;
	schema_free(now);
	now = NULL;
	if (chain_pg_run(conn, ag->pg_downgrade, 0, &why) == -1) {
		*cause = xasprintf("its PostgreSQL downgrade fails: %s", why);
		goto out;
	}
	if (introspect_pg(conn, &now, cause) == -1 ||
	    chain_pg_same(from, now, "after its PostgreSQL downgrade", cause)
	    == -1)
		goto out;
	ret = 0;
out:
	pg_rollback(conn);
	schema_free(now);
	free(why);
	return ret;
}

/* Run sql on the in-memory db in one transaction, as SQLite's runner does. */
static int
chain_pg_sqlite_run(sqlite3 *db, const char *sql, char **cause)
{
	if (db_exec(db, "PRAGMA foreign_keys = OFF; BEGIN", cause) == -1)
		return -1;
	if (db_exec(db, sql, cause) == -1) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return db_exec(db, "COMMIT", cause);
}

/*
 * A server's string default, 'user'::character varying, as SQLite writes
 * it: the literal without its cast. Other defaults stay as they are.
 */
static void
chain_pg_sqlite_defaults(struct schema *s)
{
	struct column	*c;
	const char	*p;
	char		*lit;
	size_t		 i, j;

	for (i = 0; s != NULL && i < s->ntables; i++) {
		for (j = 0; j < s->tables[i].ncolumns; j++) {
			c = &s->tables[i].columns[j];
			if (c->dflt == NULL || *c->dflt != '\'')
				continue;
			for (p = c->dflt + 1; *p != '\0'; p++) {
				if (*p == '\'' && p[1] == '\'')
					p++;
				else if (*p == '\'')
					break;
			}
			if (*p != '\'' || strncmp(p + 1, "::", 2) != 0 ||
			    strpbrk(p + 1, "'()") != NULL)
				continue;
			lit = xstrndup(c->dflt, (size_t)(p + 1 - c->dflt));
			c->dflt = schema_strdup(s, lit);
			free(lit);
		}
	}
}

/*
 * The SQLite sections of a baseline made on PostgreSQL, rendered from the
 * same operations, kept only when they run on the SQLite replay of the
 * chain and the downgrade gives it back: a server's types and defaults
 * are often not SQLite's, and a section that cannot run is worse than
 * none. NULL in ag->upgrade and ag->downgrade, and *why, when not. String
 * defaults lose their casts, in the schemas ag holds.
 */
static void
chain_pg_sqlite_sections(const struct repo *repo, struct autogen *ag,
    char **why)
{
	struct schema	*before = NULL, *after = NULL;
	struct diff	*d = NULL;
	sqlite3		*db = NULL;
	char		*err = NULL, *why2 = NULL, *op;

	chain_pg_sqlite_defaults(ag->live);
	chain_pg_sqlite_defaults(ag->held[0]);
	ag->upgrade = render_ops(ag->up);
	ag->downgrade = render_ops(ag->down);
	if (chain_load(repo, &db, &err) == -1 ||
	    introspect_schema(db, &before, &err) == -1)
		goto out;
	if (chain_pg_sqlite_run(db, ag->upgrade, &why2) == -1 ||
	    chain_pg_sqlite_run(db, ag->downgrade, &why2) == -1) {
		err = xasprintf("they fail on the chain replayed on SQLite: %s",
		    why2);
		free(why2);
		goto out;
	}
	if (introspect_schema(db, &after, &err) == -1 ||
	    diff_schemas(after, before, DIFF_DROP_UNKNOWN, &d, &err) == -1)
		goto out;
	if (d->nops > 0) {
		op = diff_describe(&d->ops[0]);
		err = xasprintf("after its downgrade the SQLite chain still "
		    "needs: %s", op);
		free(op);
	}
out:
	if (err != NULL) {
		*why = err;
		free(ag->upgrade);
		free(ag->downgrade);
		ag->upgrade = ag->downgrade = NULL;
	}
	diff_free(d);
	schema_free(before);
	schema_free(after);
	sqlite3_close(db);
}

/*
 * db baseline on the server: the revision that takes what the chain's
 * PostgreSQL sections build to the live schema, and back, rendered for
 * PostgreSQL (which it must be) and for SQLite where that runs (else
 * *sqlite_why, for the caller's note), the PostgreSQL sections proven in a
 * scratch schema. Triggers and views are not recorded: a difference in them
 * fails. On success (*out)->up->nops is 0 when there is nothing to record;
 * else the transaction pg_lock() begins is left open, in which the live
 * schema was read again and found unchanged, for pg_record(). The caller
 * frees *out and *sqlite_why.
 */
int
chain_pg_baseline(struct pg_conn *conn, const struct repo *repo,
    struct autogen **out, char **sqlite_why, char **cause)
{
	struct autogen		*ag;
	struct schema		*from = NULL, *to = NULL, *now = NULL;
	struct chain_drift	*d = NULL;
	char			*why = NULL;
	int			 ret = -1;

	*out = NULL;
	*sqlite_why = NULL;
	ag = xcalloc(1, sizeof *ag);
	d = xcalloc(1, sizeof *d);
	if (chain_pg_schema(conn, repo, &from, cause) == -1 ||
	    introspect_pg(conn, &to, cause) == -1 ||
	    chain_pg_compare(from, to, d, cause) == -1)
		goto out;
	ag->live = from;
	ag->held[0] = to;
	if (diff_schemas(from, to, DIFF_DROP_UNKNOWN, &ag->up, cause) == -1 ||
	    diff_invert(ag->up, from, &ag->down, cause) == -1)
		goto out;
	/* The items after the operations' are triggers' and views'. */
	if (d->nitems > ag->up->nops) {
		*cause = xasprintf("%s; a baseline on PostgreSQL records "
		    "tables, columns, indexes and constraints, not triggers or "
		    "views: undo that in the database, or write a revision for "
		    "it by hand", d->items[ag->up->nops]);
		goto out;
	}
	if (ag->up->nops == 0) {
		ret = 0;
		goto out;
	}
	if (render_pg_ops(ag->up, &ag->pg_upgrade, &why) == -1 ||
	    render_pg_ops(ag->down, &ag->pg_downgrade, &why) == -1) {
		*cause = xasprintf("it has no PostgreSQL form: %s", why);
		goto out;
	}
	if (chain_pg_baseline_prove(conn, repo, ag, from, to, cause) == -1)
		goto out;
	if (pg_lock(conn, cause) == -1 || introspect_pg(conn, &now, cause) ==
	    -1 || chain_pg_same(to, now, "the database changed while the "
	    "baseline was made; run it again", cause) == -1)
		goto out;
	/* Last: it changes the schemas' defaults to SQLite's. */
	chain_pg_sqlite_sections(repo, ag, sqlite_why);
	ret = 0;
out:
	if (ret == -1)
		pg_rollback(conn);
	chain_drift_free(d);
	schema_free(now);
	free(why);
	if (ag->live == NULL) {
		schema_free(from);
		schema_free(to);
	}
	if (ret == 0)
		*out = ag;
	else {
		autogen_free(ag);
		free(*sqlite_why);
		*sqlite_why = NULL;
	}
	return ret;
}
