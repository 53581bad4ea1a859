/*
 * Read a PostgreSQL database's managed schema, the first schema on its
 * search path (current_schema()), from pg_catalog into the structs the
 * model and SQLite's introspection fill, so that diff.c compares two
 * servers' schemas as it compares two SQLite ones. One query per kind of
 * object for the whole schema, not one per table.
 *
 * What the structs hold is PostgreSQL's own text: types as format_type()
 * writes them ("character varying(64)"), defaults, CHECKs and a partial
 * index's WHERE as pg_get_expr() does, a collation by name (none for the
 * type's default). A column's identity has a field of its own; a stored
 * generated column is its "default", GENERATED ALWAYS AS (...) STORED.
 * Primary keys are the columns' positions in them, not indexes; UNIQUE
 * constraints are indexes of origin 'u', other indexes 'c'. A trigger is
 * its CREATE TRIGGER text followed by its function's body (a changed
 * function is a changed trigger); a view is CREATE VIEW name AS its query.
 * Names are written without their schema, as they read on the search path.
 * Left out: the history table, Flask-Migrate's alembic_version, partitions,
 * and what struct schema does not hold (sequences, functions but through
 * triggers, types, extensions, grants).
 */
#include <stdlib.h>
#include <string.h>

#include "pq.h"

#include "exodb.h"

#define IPG_ALEMBIC	"alembic_version"

/* What one introspection reads from: the schema's oid and its tables. */
struct ipg {
	struct pg_conn	*conn;
	const char	*ns;		/* the schema's oid, as text */
	struct schema	*s;
	unsigned long	*oids;		/* each table's, as s->tables */
};

/* Run a query on the schema ($1, its oid); NULL with *cause set. */
static PGresult *
ipg_query(struct ipg *ip, const char *what, const char *sql, char **cause)
{
	PGresult	*res;
	const char	*values[1] = { ip->ns };
	char		*why;

	res = PQexecParams(ip->conn, sql, 1, NULL, values, NULL, NULL, 0);
	if (!pg_result_ok(res)) {
		why = pg_result_error(ip->conn, res, NULL);
		*cause = xasprintf("reading the schema's %s: %s", what, why);
		free(why);
		PQclear(res);
		return NULL;
	}
	return res;
}

/* Row i's field j, or NULL when it is NULL. */
static const char *
ipg_value(const PGresult *res, int i, int j)
{
	return PQgetisnull(res, i, j) ? NULL : PQgetvalue(res, i, j);
}

/* The table whose oid field j of row i holds, or NULL: not one we read. */
static struct table *
ipg_table(struct ipg *ip, const PGresult *res, int i, int j)
{
	unsigned long	 oid = strtoul(PQgetvalue(res, i, j), NULL, 10);
	size_t		 lo = 0, hi = ip->s->ntables, mid;

	/* The tables are in oid order. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ip->oids[mid] == oid)
			return &ip->s->tables[mid];
		if (ip->oids[mid] < oid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static struct column *
ipg_column(struct table *t, const char *name)
{
	size_t	i;

	for (i = 0; name != NULL && i < t->ncolumns; i++) {
		if (strcmp(t->columns[i].name, name) == 0)
			return &t->columns[i];
	}
	return NULL;
}

static int
ipg_tables(struct ipg *ip, char **cause)
{
	PGresult	*res;
	int		 i, n;

	if ((res = ipg_query(ip, "tables", "SELECT c.oid, c.relname FROM "
	    "pg_class AS c WHERE c.relnamespace = $1::oid AND c.relkind IN "
	    "('r', 'p') AND NOT c.relispartition AND c.relname NOT IN ('"
	    HISTORY_TABLE "', '" IPG_ALEMBIC "') ORDER BY c.oid", cause)) ==
	    NULL)
		return -1;
	n = PQntuples(res);
	ip->oids = xcalloc((size_t)n + 1, sizeof *ip->oids);
	for (i = 0; i < n; i++) {
		ip->oids[i] = strtoul(PQgetvalue(res, i, 0), NULL, 10);
		schema_add_table(ip->s, PQgetvalue(res, i, 1));
	}
	PQclear(res);
	return 0;
}

static int
ipg_columns(struct ipg *ip, char **cause)
{
	PGresult	*res;
	struct table	*t;
	struct column	*c;
	const char	*dflt, *gen;
	char		*text;
	int		 i, n;

	if ((res = ipg_query(ip, "columns", "SELECT a.attrelid, a.attname, "
	    "format_type(a.atttypid, a.atttypmod), a.attnotnull, "
	    "pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, "
	    "CASE WHEN co.collname <> 'default' THEN co.collname END "
	    "FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid "
	    "LEFT JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND "
	    "d.adnum = a.attnum LEFT JOIN pg_collation AS co ON "
	    "co.oid = a.attcollation WHERE c.relnamespace = $1::oid AND "
	    "c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped "
	    "ORDER BY a.attrelid, a.attnum", cause)) == NULL)
		return -1;
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		if ((t = ipg_table(ip, res, i, 0)) == NULL)
			continue;
		c = schema_add_column(ip->s, t, PQgetvalue(res, i, 1));
		c->type = schema_strdup(ip->s, PQgetvalue(res, i, 2));
		c->notnull = strcmp(PQgetvalue(res, i, 3), "t") == 0;
		dflt = ipg_value(res, i, 4);
		gen = PQgetvalue(res, i, 6);
		if (dflt != NULL && *gen == 's') {
			/* A stored generated column: its expression. */
			text = xasprintf("GENERATED ALWAYS AS (%s) STORED",
			    dflt);
			c->dflt = schema_strdup(ip->s, text);
			free(text);
		} else
			c->dflt = schema_strdup(ip->s, dflt);
		c->identity = *PQgetvalue(res, i, 5);
		c->collation = schema_strdup(ip->s, ipg_value(res, i, 7));
	}
	PQclear(res);
	return 0;
}

/* The primary keys: each column's position in its table's. */
static int
ipg_primary_keys(struct ipg *ip, char **cause)
{
	PGresult	*res;
	struct table	*t;
	struct column	*c;
	int		 i, n;

	if ((res = ipg_query(ip, "primary keys", "SELECT con.conrelid, "
	    "a.attname, k.n FROM pg_constraint AS con JOIN pg_class AS c ON "
	    "c.oid = con.conrelid CROSS JOIN LATERAL unnest(con.conkey) WITH "
	    "ORDINALITY AS k(attnum, n) JOIN pg_attribute AS a ON "
	    "a.attrelid = con.conrelid AND a.attnum = k.attnum WHERE "
	    "con.contype = 'p' AND c.relnamespace = $1::oid ORDER BY "
	    "con.conrelid, k.n", cause)) == NULL)
		return -1;
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		if ((t = ipg_table(ip, res, i, 0)) != NULL &&
		    (c = ipg_column(t, PQgetvalue(res, i, 1))) != NULL)
			c->pk = atoi(PQgetvalue(res, i, 2));
	}
	PQclear(res);
	return 0;
}

/*
 * The CHECK constraints: one on a single column is that column's (its
 * first; any other is the table's), others are the table's, by name.
 */
static int
ipg_checks(struct ipg *ip, char **cause)
{
	PGresult	*res;
	struct table	*t;
	struct column	*c;
	const char	*expr;
	int		 i, n;

	if ((res = ipg_query(ip, "CHECK constraints", "SELECT con.conrelid, "
	    "pg_get_expr(con.conbin, con.conrelid), CASE WHEN "
	    "cardinality(con.conkey) = 1 THEN a.attname END FROM "
	    "pg_constraint AS con JOIN pg_class AS c ON c.oid = con.conrelid "
	    "LEFT JOIN pg_attribute AS a ON a.attrelid = con.conrelid AND "
	    "a.attnum = con.conkey[1] WHERE con.contype = 'c' AND "
	    "c.relnamespace = $1::oid ORDER BY con.conrelid, con.conname",
	    cause)) == NULL)
		return -1;
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		if ((t = ipg_table(ip, res, i, 0)) == NULL)
			continue;
		expr = schema_strdup(ip->s, PQgetvalue(res, i, 1));
		c = ipg_column(t, ipg_value(res, i, 2));
		if (c != NULL && c->check == NULL) {
			c->check = expr;
			continue;
		}
		t->checks = xreallocarray(t->checks, t->nchecks + 1,
		    sizeof *t->checks);
		t->checks[t->nchecks++] = expr;
	}
	PQclear(res);
	return 0;
}

/* An index read: with an expression among its keys, its text is done. */
static void
ipg_index_end(struct ipg *ip, struct index *ix, sqlite3_str *sql)
{
	char	*text;

	if (sql == NULL)
		return;
	sqlite3_str_appendall(sql, ")");
	if (ix->where != NULL)
		sqlite3_str_appendf(sql, " WHERE %s", ix->where);
	text = xstr_finish(sql);
	ix->sql = schema_strdup(ip->s, text);
	free(text);
}

/*
 * The indexes but the primary keys', a row per key column: a UNIQUE
 * constraint's is origin 'u'. An index with an expression among its keys
 * is also its text, without the schema: CREATE [UNIQUE] INDEX name ON
 * table (keys) [WHERE ...].
 */
static int
ipg_indexes(struct ipg *ip, char **cause)
{
	PGresult	*res;
	struct table	*t = NULL;
	struct index	*ix = NULL;
	sqlite3_str	*sql = NULL;
	const char	*last = NULL, *key, *coll;
	char		*tn, *in;
	int		 i, n, k, nkeys, expr, desc;

	if ((res = ipg_query(ip, "indexes", "SELECT i.indrelid, ic.relname, "
	    "i.indisunique, EXISTS (SELECT 1 FROM pg_constraint AS con WHERE "
	    "con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND "
	    "con.contype = 'u'), pg_get_expr(i.indpred, i.indrelid), "
	    "i.indnkeyatts, k.n, a.attname, pg_get_indexdef(i.indexrelid, "
	    "k.n::int, false), CASE WHEN co.collname <> 'default' THEN "
	    "co.collname END, (i.indoption[k.n - 1] & 1) = 1, i.indexrelid "
	    "FROM pg_index AS i JOIN pg_class AS ic ON ic.oid = i.indexrelid "
	    "JOIN pg_class AS c ON c.oid = i.indrelid CROSS JOIN LATERAL "
	    "generate_series(1, i.indnkeyatts) AS k(n) LEFT JOIN pg_attribute "
	    "AS a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[k.n - 1] "
	    "AND i.indkey[k.n - 1] <> 0 LEFT JOIN pg_collation AS co ON "
	    "co.oid = i.indcollation[k.n - 1] WHERE c.relnamespace = $1::oid "
	    "AND NOT i.indisprimary ORDER BY i.indrelid, i.indexrelid, k.n",
	    cause)) == NULL)
		return -1;
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		if (last == NULL || strcmp(last, PQgetvalue(res, i, 11)) != 0) {
			/* A new index: the one before is complete. */
			ipg_index_end(ip, ix, sql);
			sql = NULL;
			ix = NULL;
			last = PQgetvalue(res, i, 11);
			if ((t = ipg_table(ip, res, i, 0)) == NULL)
				continue;
			ix = schema_add_index(ip->s, t, PQgetvalue(res, i, 1));
			ix->unique = strcmp(PQgetvalue(res, i, 2), "t") == 0;
			ix->origin = strcmp(PQgetvalue(res, i, 3), "t") == 0 ?
			    'u' : 'c';
			ix->where = schema_strdup(ip->s, ipg_value(res, i, 4));
			nkeys = atoi(PQgetvalue(res, i, 5));
			for (expr = 0, k = i; k < n && k < i + nkeys; k++)
				expr |= PQgetisnull(res, k, 7);
			if (expr) {
				sql = sqlite3_str_new(NULL);
				in = render_pg_ident(ix->name);
				tn = render_pg_ident(t->name);
				sqlite3_str_appendf(sql, "CREATE %sINDEX %s ON "
				    "%s (", ix->unique ? "UNIQUE " : "", in, tn);
				free(in);
				free(tn);
			}
		}
		if (ix == NULL)
			continue;
		key = ipg_value(res, i, 7);
		coll = ipg_value(res, i, 9);
		desc = strcmp(PQgetvalue(res, i, 10), "t") == 0;
		schema_add_index_column(ip->s, ix, key, coll, desc);
		if (sql == NULL)
			continue;
		sqlite3_str_appendf(sql, "%s%s", atoi(PQgetvalue(res, i, 6)) > 1 ?
		    ", " : "", PQgetvalue(res, i, 8));
		if (coll != NULL)
			sqlite3_str_appendf(sql, " COLLATE \"%w\"", coll);
		if (desc)
			sqlite3_str_appendall(sql, " DESC");
	}
	ipg_index_end(ip, ix, sql);
	PQclear(res);
	return 0;
}

static const char *
ipg_action(char c)
{
	switch (c) {
	case 'r':
		return "RESTRICT";
	case 'c':
		return "CASCADE";
	case 'n':
		return "SET NULL";
	case 'd':
		return "SET DEFAULT";
	default:
		return NULL;	/* 'a', NO ACTION */
	}
}

/* The foreign keys, a row per column pair; another schema's table by
   schema.table. */
static int
ipg_foreign_keys(struct ipg *ip, char **cause)
{
	PGresult		*res;
	struct table		*t;
	struct foreign_key	*fk = NULL;
	const char		*last = NULL;
	int			 i, n;

	if ((res = ipg_query(ip, "foreign keys", "SELECT con.conrelid, "
	    "con.oid, CASE WHEN f.relnamespace = $1::oid THEN f.relname ELSE "
	    "fn.nspname || '.' || f.relname END, con.confupdtype, "
	    "con.confdeltype, a.attname, fa.attname FROM pg_constraint AS con "
	    "JOIN pg_class AS c ON c.oid = con.conrelid JOIN pg_class AS f ON "
	    "f.oid = con.confrelid JOIN pg_namespace AS fn ON "
	    "fn.oid = f.relnamespace CROSS JOIN LATERAL unnest(con.conkey, "
	    "con.confkey) WITH ORDINALITY AS k(a1, a2, n) JOIN pg_attribute "
	    "AS a ON a.attrelid = con.conrelid AND a.attnum = k.a1 JOIN "
	    "pg_attribute AS fa ON fa.attrelid = con.confrelid AND "
	    "fa.attnum = k.a2 WHERE con.contype = 'f' AND c.relnamespace = "
	    "$1::oid ORDER BY con.conrelid, con.conname, con.oid, k.n",
	    cause)) == NULL)
		return -1;
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		if ((t = ipg_table(ip, res, i, 0)) == NULL)
			continue;
		if (last == NULL || strcmp(last, PQgetvalue(res, i, 1)) != 0) {
			last = PQgetvalue(res, i, 1);
			t->fks = xreallocarray(t->fks, t->nfks + 1,
			    sizeof *t->fks);
			fk = &t->fks[t->nfks++];
			memset(fk, 0, sizeof *fk);
			fk->table = schema_strdup(ip->s, PQgetvalue(res, i, 2));
			fk->on_update = ipg_action(*PQgetvalue(res, i, 3));
			fk->on_delete = ipg_action(*PQgetvalue(res, i, 4));
		}
		fk->from = xreallocarray(fk->from, fk->ncolumns + 1,
		    sizeof *fk->from);
		fk->to = xreallocarray(fk->to, fk->ncolumns + 1,
		    sizeof *fk->to);
		fk->from[fk->ncolumns] = schema_strdup(ip->s,
		    PQgetvalue(res, i, 5));
		fk->to[fk->ncolumns++] = schema_strdup(ip->s,
		    PQgetvalue(res, i, 6));
	}
	PQclear(res);
	return 0;
}

/* The triggers but the server's own (those of foreign keys), by name. */
static int
ipg_triggers(struct ipg *ip, char **cause)
{
	PGresult	*res;
	struct table	*t;
	int		 i, n;

	/* pg_get_triggerdef() names the table with its schema: not here. */
	if ((res = ipg_query(ip, "triggers", "SELECT tg.tgrelid, "
	    "replace(pg_get_triggerdef(tg.oid), ' ON ' || quote_ident("
	    "n.nspname) || '.', ' ON ') || E';\\n' || quote_literal(p.prosrc) "
	    "FROM pg_trigger AS tg JOIN pg_class AS c ON c.oid = tg.tgrelid "
	    "JOIN pg_namespace AS n ON n.oid = c.relnamespace JOIN pg_proc AS "
	    "p ON p.oid = tg.tgfoid WHERE NOT tg.tgisinternal AND "
	    "c.relnamespace = $1::oid ORDER BY tg.tgrelid, tg.tgname",
	    cause)) == NULL)
		return -1;
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		if ((t = ipg_table(ip, res, i, 0)) == NULL)
			continue;
		t->triggers = xreallocarray(t->triggers, t->ntriggers + 1,
		    sizeof *t->triggers);
		t->triggers[t->ntriggers++] = schema_strdup(ip->s,
		    PQgetvalue(res, i, 1));
	}
	PQclear(res);
	return 0;
}

static int
ipg_views(struct ipg *ip, char **cause)
{
	PGresult	*res;
	struct schema	*s = ip->s;
	char		*text, *name;
	int		 i, n;

	if ((res = ipg_query(ip, "views", "SELECT c.relname, c.relkind = 'm', "
	    "pg_get_viewdef(c.oid) FROM pg_class AS c WHERE c.relnamespace = "
	    "$1::oid AND c.relkind IN ('v', 'm') ORDER BY c.oid", cause)) ==
	    NULL)
		return -1;
	n = PQntuples(res);
	s->views = xreallocarray(s->views, (size_t)n + 1, sizeof *s->views);
	s->view_names = xreallocarray(s->view_names, (size_t)n + 1,
	    sizeof *s->view_names);
	for (i = 0; i < n; i++) {
		name = render_pg_ident(PQgetvalue(res, i, 0));
		text = xasprintf("CREATE %sVIEW %s AS %s", strcmp(PQgetvalue(res,
		    i, 1), "t") == 0 ? "MATERIALIZED " : "", name,
		    PQgetvalue(res, i, 2));
		s->view_names[s->nviews] = schema_strdup(s, PQgetvalue(res, i,
		    0));
		s->views[s->nviews++] = schema_strdup(s, text);
		free(text);
		free(name);
	}
	PQclear(res);
	return 0;
}

/*
 * Fill *out with the managed schema of the database conn is connected to:
 * its tables, their columns, keys, constraints, indexes and triggers, and
 * its views. The caller frees *out with schema_free(); -1 with *cause set.
 */
int
introspect_pg(struct pg_conn *conn, struct schema **out, char **cause)
{
	struct ipg	 ip;
	PGresult	*res;
	char		*why, *ns = NULL;
	int		 ret = -1;

	*out = NULL;
	memset(&ip, 0, sizeof ip);
	ip.conn = conn;
	res = PQexec(conn, "SELECT n.oid FROM pg_namespace AS n WHERE "
	    "n.nspname = current_schema()");
	if (!pg_result_ok(res)) {
		why = pg_result_error(conn, res, NULL);
		*cause = xasprintf("reading the schema: %s", why);
		free(why);
		PQclear(res);
		return -1;
	}
	if (PQntuples(res) != 1) {
		*cause = xstrdup("no schema on the search path exists; set "
		    "search_path, or make the schema");
		PQclear(res);
		return -1;
	}
	ns = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	ip.ns = ns;
	ip.s = schema_new();
	if (ipg_tables(&ip, cause) == -1 ||
	    ipg_columns(&ip, cause) == -1 ||
	    ipg_primary_keys(&ip, cause) == -1 ||
	    ipg_checks(&ip, cause) == -1 ||
	    ipg_indexes(&ip, cause) == -1 ||
	    ipg_foreign_keys(&ip, cause) == -1 ||
	    ipg_triggers(&ip, cause) == -1 ||
	    ipg_views(&ip, cause) == -1)
		goto out;
	*out = ip.s;
	ip.s = NULL;
	ret = 0;
out:
	schema_free(ip.s);
	free(ip.oids);
	free(ns);
	return ret;
}
