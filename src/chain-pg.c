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
