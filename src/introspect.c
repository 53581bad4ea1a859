/*
 * Read a live database's schema into the structs the model uses. Tables,
 * columns and indexes come from SQLite's pragmas; what no pragma reports
 * (CHECK constraints, AUTOINCREMENT, a partial index's WHERE) is read from the
 * CREATE text SQLite keeps in sqlite_schema.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exodb.h"

/* Text between the parenthesis at *lx's position and its match. */
static const char *
introspect_group(struct schema *s, struct lex *lx)
{
	const char	*tok, *start = NULL;
	size_t		 len;
	enum lex_token	 t;
	int		 depth = 1;

	while ((t = lex_next(lx, &tok, &len)) != LEX_EOF) {
		if (start == NULL)
			start = tok;
		if (t == LEX_LPAREN)
			depth++;
		else if (t == LEX_RPAREN && --depth == 0)
			return schema_strndup(s, start, (size_t)(tok - start));
	}
	return NULL;
}

static void
introspect_add_check(struct table *t, const char *expr)
{
	t->checks = xreallocarray(t->checks, t->nchecks + 1,
	    sizeof *t->checks);
	t->checks[t->nchecks++] = expr;
}

/*
 * One item of a CREATE TABLE's list: a column definition or a table
 * constraint. Reads up to the comma or closing parenthesis that ends it and
 * returns that token.
 */
static enum lex_token
introspect_item(struct schema *s, struct table *t, struct lex *lx)
{
	const char	*tok, *expr;
	size_t		 len;
	enum lex_token	 tt;
	struct column	*col = NULL;
	int		 first = 1, after_check = 0;
	char		*name;
	size_t		 i;

	while ((tt = lex_next_token(lx, &tok, &len)) != LEX_EOF) {
		if (tt == LEX_COMMA || tt == LEX_RPAREN)
			return tt;
		if (first) {
			first = 0;
			/* A table constraint belongs to no column. */
			if (!(tt == LEX_WORD &&
			    (lex_word_is(tok, len, "CONSTRAINT") ||
			    lex_word_is(tok, len, "PRIMARY") ||
			    lex_word_is(tok, len, "UNIQUE") ||
			    lex_word_is(tok, len, "CHECK") ||
			    lex_word_is(tok, len, "FOREIGN")))) {
				name = lex_unquote(tok, len);
				for (i = 0; i < t->ncolumns; i++) {
					if (schema_same_name(t->columns[i].name,
					    name))
						col = &t->columns[i];
				}
				free(name);
			}
		}
		if (tt == LEX_LPAREN) {
			expr = introspect_group(s, lx);
			if (after_check && expr != NULL) {
				if (col != NULL && col->check == NULL)
					col->check = expr;
				else
					introspect_add_check(t, expr);
			}
			after_check = 0;
			continue;
		}
		after_check = tt == LEX_WORD && lex_word_is(tok, len, "CHECK");
		if (tt == LEX_WORD && lex_word_is(tok, len, "AUTOINCREMENT"))
			t->autoincrement = 1;
		if (tt == LEX_WORD && (lex_word_is(tok, len, "CONSTRAINT") ||
		    lex_word_is(tok, len, "CONFLICT") ||
		    lex_word_is(tok, len, "DEFERRABLE") ||
		    lex_word_is(tok, len, "GENERATED") ||
		    lex_word_is(tok, len, "AS") ||
		    lex_word_is(tok, len, "ASC") ||
		    lex_word_is(tok, len, "DESC")))
			t->verbatim = 1;
	}
	return tt;
}

/* What the CREATE TABLE text says that the pragmas do not. */
static void
introspect_table_sql(struct schema *s, struct table *t)
{
	struct lex	 lx;
	const char	*tok;
	size_t		 len;
	enum lex_token	 tt;

	lex_init(&lx, t->sql, strlen(t->sql), 1);
	while ((tt = lex_next_token(&lx, &tok, &len)) != LEX_EOF &&
	    tt != LEX_LPAREN)
		;
	if (tt == LEX_EOF)
		return;
	while ((tt = introspect_item(s, t, &lx)) == LEX_COMMA)
		;
}

/* The WHERE of a partial index, from its CREATE INDEX text. */
static const char *
introspect_index_where(struct schema *s, const char *sql)
{
	struct lex	 lx;
	const char	*tok;
	size_t		 len;
	enum lex_token	 t;
	int		 depth = 0;

	lex_init(&lx, sql, strlen(sql), 1);
	while ((t = lex_next_token(&lx, &tok, &len)) != LEX_EOF) {
		if (t == LEX_LPAREN)
			depth++;
		else if (t == LEX_RPAREN)
			depth--;
		else if (depth == 0 && t == LEX_WORD &&
		    lex_word_is(tok, len, "WHERE")) {
			while (lx.p < lx.end && (*lx.p == ' ' || *lx.p == '\t' ||
			    *lx.p == '\n' || *lx.p == '\r'))
				lx.p++;
			return schema_strndup(s, lx.p, (size_t)(lx.end - lx.p));
		}
	}
	return NULL;
}

/*
 * The per-table queries, each prepared once for the whole schema and reset
 * for each table or index: preparing them anew for each of thousands of
 * tables would cost most of the time introspection takes.
 */
struct introspect_stmts {
	sqlite3_stmt	*columns;
	sqlite3_stmt	*indexes;
	sqlite3_stmt	*index_columns;
	sqlite3_stmt	*fks;
	struct introspect_ixsql	*ixsql;	/* every index's row, by name */
	size_t			 nixsql;
};

/*
 * An index's row of sqlite_schema, read for all of them in one scan: looked
 * up by name for each table's indexes, a scan of sqlite_schema per table
 * would make introspection quadratic in the number of tables.
 */
struct introspect_ixsql {
	char		*name;
	char		*sql;		/* NULL for a constraint's index */
	sqlite3_int64	 rowid;
};

/* A row of pragma_index_list, with its row of sqlite_schema if it has one. */
struct introspect_ixrow {
	char		*name;
	int		 unique;
	int		 origin;
	int		 partial;
	const struct introspect_ixsql *row;
};

/* *stmt, prepared from sql the first time, reset the next. */
static int
introspect_stmt(sqlite3 *db, sqlite3_stmt **stmt, const char *sql,
    char **cause)
{
	if (*stmt == NULL)
		return db_prepare(db, stmt, cause, "%s", sql);
	sqlite3_reset(*stmt);
	sqlite3_clear_bindings(*stmt);
	return 0;
}

static void
introspect_stmts_finalize(struct introspect_stmts *st)
{
	size_t	i;

	sqlite3_finalize(st->columns);
	sqlite3_finalize(st->indexes);
	sqlite3_finalize(st->index_columns);
	sqlite3_finalize(st->fks);
	for (i = 0; i < st->nixsql; i++) {
		free(st->ixsql[i].name);
		free(st->ixsql[i].sql);
	}
	free(st->ixsql);
}

static int
introspect_ixsql_cmp(const void *a, const void *b)
{
	return strcmp(((const struct introspect_ixsql *)a)->name,
	    ((const struct introspect_ixsql *)b)->name);
}

/* The index's row of sqlite_schema, or NULL (a WITHOUT ROWID primary key). */
static const struct introspect_ixsql *
introspect_ixsql_find(const struct introspect_stmts *st, const char *name)
{
	struct introspect_ixsql	key;

	if (st->nixsql == 0)
		return NULL;
	key.name = (char *)name;
	return bsearch(&key, st->ixsql, st->nixsql, sizeof *st->ixsql,
	    introspect_ixsql_cmp);
}

/* In sqlite_schema's order (none first), then by name. */
static int
introspect_ixrow_cmp(const void *a, const void *b)
{
	const struct introspect_ixrow	*ra = a, *rb = b;

	if ((ra->row == NULL) != (rb->row == NULL))
		return ra->row == NULL ? -1 : 1;
	if (ra->row != NULL && ra->row->rowid != rb->row->rowid)
		return ra->row->rowid < rb->row->rowid ? -1 : 1;
	return strcmp(ra->name, rb->name);
}

static int
introspect_columns(sqlite3 *db, struct introspect_stmts *st, struct schema *s,
    struct table *t, char **cause)
{
	sqlite3_stmt	*stmt;
	struct column	*c;
	const char	*type, *coll;
	int		 rc, ret = -1;

	if (introspect_stmt(db, &st->columns, "SELECT name, type, \"notnull\", "
	    "dflt_value, pk, hidden FROM pragma_table_xinfo(?1)", cause) == -1)
		return -1;
	stmt = st->columns;
	sqlite3_bind_text(stmt, 1, t->name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		c = schema_add_column(s, t,
		    (const char *)sqlite3_column_text(stmt, 0));
		type = (const char *)sqlite3_column_text(stmt, 1);
		c->type = schema_strdup(s, type != NULL ? type : "");
		c->notnull = sqlite3_column_int(stmt, 2);
		c->dflt = schema_strdup(s,
		    (const char *)sqlite3_column_text(stmt, 3));
		c->pk = sqlite3_column_int(stmt, 4);
		c->hidden = sqlite3_column_int(stmt, 5);
		if (sqlite3_table_column_metadata(db, "main", t->name, c->name,
		    NULL, &coll, NULL, NULL, NULL) == SQLITE_OK &&
		    coll != NULL && strcasecmp(coll, "BINARY") != 0)
			c->collation = schema_strdup(s, coll);
	}
	if (rc != SQLITE_DONE) {
		*cause = xasprintf("%s: %s", t->name, sqlite3_errmsg(db));
		goto out;
	}
	ret = 0;
out:
	return ret;
}

static int
introspect_index_columns(sqlite3 *db, struct introspect_stmts *st,
    struct schema *s, struct index *ix, char **cause)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if (introspect_stmt(db, &st->index_columns, "SELECT name, coll, "
	    "\"desc\" FROM pragma_index_xinfo(?1) WHERE key ORDER BY seqno",
	    cause) == -1)
		return -1;
	stmt = st->index_columns;
	sqlite3_bind_text(stmt, 1, ix->name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		schema_add_index_column(s, ix,
		    (const char *)sqlite3_column_text(stmt, 0),
		    (const char *)sqlite3_column_text(stmt, 1),
		    sqlite3_column_int(stmt, 2));
	}
	if (rc != SQLITE_DONE)
		*cause = xasprintf("%s: %s", ix->name, sqlite3_errmsg(db));
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
introspect_indexes(sqlite3 *db, struct introspect_stmts *st, struct schema *s,
    struct table *t, char **cause)
{
	sqlite3_stmt		*stmt;
	struct introspect_ixrow	*rows = NULL, *r;
	struct index		*ix;
	const char		*origin, *sql;
	size_t			 i, j, n = 0;
	int			 rc, ret = -1;

	if (introspect_stmt(db, &st->indexes, "SELECT name, \"unique\", "
	    "origin, partial FROM pragma_index_list(?1)", cause) == -1)
		return -1;
	stmt = st->indexes;
	sqlite3_bind_text(stmt, 1, t->name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		rows = xreallocarray(rows, n + 1, sizeof *rows);
		r = &rows[n++];
		r->name = xstrdup((const char *)sqlite3_column_text(stmt, 0));
		r->unique = sqlite3_column_int(stmt, 1);
		origin = (const char *)sqlite3_column_text(stmt, 2);
		r->origin = origin[0] == 'p' ? 'p' : origin[0] == 'u' ? 'u' : 'c';
		r->partial = sqlite3_column_int(stmt, 3);
		r->row = introspect_ixsql_find(st, r->name);
	}
	if (rc != SQLITE_DONE) {
		*cause = xasprintf("%s: %s", t->name, sqlite3_errmsg(db));
		goto out;
	}
	if (n > 0)
		qsort(rows, n, sizeof *rows, introspect_ixrow_cmp);
	for (i = 0; i < n; i++) {
		r = &rows[i];
		ix = schema_add_index(s, t, r->name);
		ix->unique = r->unique;
		ix->origin = r->origin;
		sql = r->row != NULL ? r->row->sql : NULL;
		if (r->partial && sql != NULL)
			ix->where = introspect_index_where(s, sql);
		if (introspect_index_columns(db, st, s, ix, cause) == -1)
			goto out;
		for (j = 0; j < ix->ncolumns; j++) {
			if (ix->columns[j].name == NULL)
				ix->sql = schema_strdup(s, sql);
		}
	}
	ret = 0;
out:
	for (i = 0; i < n; i++)
		free(rows[i].name);
	free(rows);
	return ret;
}

static const char *
introspect_action(struct schema *s, const char *action)
{
	if (action == NULL || strcasecmp(action, "NO ACTION") == 0)
		return NULL;
	return schema_strdup(s, action);
}

/*
 * The table's foreign keys, one per id, columns in order. SQLite numbers them
 * last declared first: reversed, they render as they were written.
 */
static int
introspect_foreign_keys(sqlite3 *db, struct introspect_stmts *st,
    struct schema *s, struct table *t, char **cause)
{
	sqlite3_stmt		*stmt;
	struct foreign_key	*fk = NULL;
	const char		*to;
	int			 rc, id, last = -1;

	if (introspect_stmt(db, &st->fks, "SELECT id, \"table\", \"from\", "
	    "\"to\", on_update, on_delete FROM pragma_foreign_key_list(?1) "
	    "ORDER BY id DESC, seq", cause) == -1)
		return -1;
	stmt = st->fks;
	sqlite3_bind_text(stmt, 1, t->name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		id = sqlite3_column_int(stmt, 0);
		if (id != last) {
			t->fks = xreallocarray(t->fks, t->nfks + 1,
			    sizeof *t->fks);
			fk = &t->fks[t->nfks++];
			memset(fk, 0, sizeof *fk);
			fk->table = schema_strdup(s,
			    (const char *)sqlite3_column_text(stmt, 1));
			fk->on_update = introspect_action(s,
			    (const char *)sqlite3_column_text(stmt, 4));
			fk->on_delete = introspect_action(s,
			    (const char *)sqlite3_column_text(stmt, 5));
			last = id;
		}
		fk->from = xreallocarray(fk->from, fk->ncolumns + 1,
		    sizeof *fk->from);
		fk->to = xreallocarray(fk->to, fk->ncolumns + 1,
		    sizeof *fk->to);
		fk->from[fk->ncolumns] = schema_strdup(s,
		    (const char *)sqlite3_column_text(stmt, 2));
		to = (const char *)sqlite3_column_text(stmt, 3);
		fk->to[fk->ncolumns++] = schema_strdup(s, to);
	}
	if (rc != SQLITE_DONE) {
		*cause = xasprintf("%s: %s", t->name, sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

/*
 * Each table-valued pragma prepares a statement of its own for every table it
 * is asked about: ask only what may have an answer. A table has an index
 * only if sqlite_schema lists one on it (UNIQUE and PRIMARY KEY constraints'
 * too), or if it is WITHOUT ROWID (its primary key); and a foreign key only if
 * its CREATE text, which ALTER TABLE keeps up to date, says REFERENCES.
 */
static int
introspect_table(sqlite3 *db, struct introspect_stmts *st, struct schema *s,
    struct table *t, int indexed, char **cause)
{
	if (introspect_columns(db, st, s, t, cause) == -1 ||
	    ((indexed || t->without_rowid) &&
	    introspect_indexes(db, st, s, t, cause) == -1))
		return -1;
	introspect_table_sql(s, t);
	if (t->sql != NULL && strcasestr(t->sql, "references") == NULL)
		return 0;
	return introspect_foreign_keys(db, st, s, t, cause);
}

/*
 * Every index's row of sqlite_schema into st, and which of s's tables have
 * one in indexed[] (a flag a table), from one scan: sqlite_schema has no
 * index on tbl_name.
 */
static int
introspect_index_rows(sqlite3 *db, struct introspect_stmts *st,
    const struct schema *s, unsigned char *indexed, char **cause)
{
	const struct table	**sorted, *t;
	struct introspect_ixsql	 *x;
	sqlite3_stmt		 *stmt = NULL;
	const char		 *sql;
	size_t			  nalloc = 0;
	int			  rc;

	if (db_prepare(db, &stmt, cause, "SELECT name, tbl_name, sql, rowid "
	    "FROM sqlite_schema WHERE type = 'index'") == -1)
		return -1;
	sorted = schema_sorted(s);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		t = schema_find(sorted, s->ntables,
		    (const char *)sqlite3_column_text(stmt, 1));
		if (t != NULL)
			indexed[t - s->tables] = 1;
		if (st->nixsql == nalloc) {
			nalloc = nalloc == 0 ? 16 : nalloc * 2;
			st->ixsql = xreallocarray(st->ixsql, nalloc,
			    sizeof *st->ixsql);
		}
		x = &st->ixsql[st->nixsql++];
		x->name = xstrdup((const char *)sqlite3_column_text(stmt, 0));
		sql = (const char *)sqlite3_column_text(stmt, 2);
		x->sql = sql != NULL ? xstrdup(sql) : NULL;
		x->rowid = sqlite3_column_int64(stmt, 3);
	}
	free(sorted);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		*cause = db_error(db);
		return -1;
	}
	if (st->nixsql > 0)
		qsort(st->ixsql, st->nixsql, sizeof *st->ixsql,
		    introspect_ixsql_cmp);
	return 0;
}

/* Note that view on has a trigger (INSTEAD OF), if it is a view. */
static void
introspect_view_trigger(struct schema *s, const char *on)
{
	size_t	i;

	for (i = 0; i < s->nview_triggers; i++) {
		if (strcmp(s->view_triggers[i], on) == 0)
			return;
	}
	for (i = 0; i < s->nviews; i++) {
		if (strcmp(s->view_names[i], on) != 0)
			continue;
		s->view_triggers = xreallocarray(s->view_triggers,
		    s->nview_triggers + 1, sizeof *s->view_triggers);
		s->view_triggers[s->nview_triggers++] = s->view_names[i];
		return;
	}
}

/*
 * Every table's triggers, in the order they were made: one scan of
 * sqlite_schema for all of them, which has no index on tbl_name (a scan per
 * table would make introspection quadratic in the number of tables).
 */
static int
introspect_triggers(sqlite3 *db, struct schema *s, char **cause)
{
	sqlite3_stmt		 *stmt = NULL;
	const struct table	**sorted = NULL, *found;
	struct table		 *t;
	const char		 *on;
	int			  rc;

	if (db_prepare(db, &stmt, cause, "SELECT tbl_name, sql, name FROM "
	    "sqlite_schema WHERE type = 'trigger' AND sql IS NOT NULL "
	    "ORDER BY rowid") == -1)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		on = (const char *)sqlite3_column_text(stmt, 0);
		if (sorted == NULL)
			sorted = schema_sorted(s);
		found = on != NULL ? schema_find(sorted, s->ntables, on) : NULL;
		if (found == NULL && on != NULL)
			introspect_view_trigger(s, on);
		/* The name as SQLite keeps it: exactly the table's. */
		if (found == NULL || strcmp(found->name, on) != 0)
			continue;
		t = &s->tables[found - s->tables];
		t->triggers = xreallocarray(t->triggers, t->ntriggers + 1,
		    sizeof *t->triggers);
		t->trigger_names = xreallocarray(t->trigger_names,
		    t->ntriggers + 1, sizeof *t->trigger_names);
		t->trigger_names[t->ntriggers] = schema_strdup(s,
		    (const char *)sqlite3_column_text(stmt, 2));
		t->triggers[t->ntriggers++] = schema_strdup(s,
		    (const char *)sqlite3_column_text(stmt, 1));
	}
	free(sorted);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		*cause = db_error(db);
		return -1;
	}
	return 0;
}

/*
 * Fill *out with the schema of db's main database: its tables but SQLite's own
 * and the history table, their indexes and triggers, and the views. Virtual
 * tables and their shadow tables are left out: exodb does not manage them.
 */
static int
introspect_read(sqlite3 *db, struct schema **out, char **cause)
{
	struct introspect_stmts	 st;
	sqlite3_stmt	*stmt = NULL;
	struct schema	*s;
	struct table	*t;
	const char	*type, *name, *sql;
	unsigned char	*indexed = NULL;
	size_t		 i;
	int		 rc;

	*out = NULL;
	s = schema_new();
	/*
	 * The table list materialized, so that sqlite_schema is read in
	 * rowid order and each of its rows finds its table through an index
	 * on the list, not the other way round (which sorts the whole schema).
	 */
	if (db_prepare(db, &stmt, cause, "WITH l AS MATERIALIZED (SELECT "
	    "name, type, wr, strict FROM pragma_table_list WHERE schema = "
	    "'main') SELECT m.type, m.name, m.sql, l.wr, l.strict FROM "
	    "sqlite_schema AS m JOIN l ON l.name = m.name WHERE l.type IN "
	    "('table', 'view') AND m.name NOT LIKE 'sqlite\\_%%' ESCAPE '\\' "
	    "AND m.name <> %Q ORDER BY m.rowid", HISTORY_TABLE) == -1)
		goto fail;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		type = (const char *)sqlite3_column_text(stmt, 0);
		name = (const char *)sqlite3_column_text(stmt, 1);
		sql = (const char *)sqlite3_column_text(stmt, 2);
		if (strcmp(type, "view") == 0) {
			s->views = xreallocarray(s->views, s->nviews + 1,
			    sizeof *s->views);
			s->view_names = xreallocarray(s->view_names,
			    s->nviews + 1, sizeof *s->view_names);
			s->views[s->nviews] = schema_strdup(s, sql);
			s->view_names[s->nviews++] = schema_strdup(s, name);
			continue;
		}
		t = schema_add_table(s, name);
		t->sql = schema_strdup(s, sql);
		t->without_rowid = sqlite3_column_int(stmt, 3);
		t->strict = sqlite3_column_int(stmt, 4);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		*cause = db_error(db);
		goto fail;
	}
	indexed = xcalloc(s->ntables + 1, 1);
	memset(&st, 0, sizeof st);
	if (introspect_index_rows(db, &st, s, indexed, cause) == -1) {
		introspect_stmts_finalize(&st);
		goto fail;
	}
	for (i = 0; i < s->ntables; i++) {
		if (introspect_table(db, &st, s, &s->tables[i], indexed[i],
		    cause) == -1) {
			introspect_stmts_finalize(&st);
			goto fail;
		}
	}
	introspect_stmts_finalize(&st);
	if (introspect_triggers(db, s, cause) == -1)
		goto fail;
	free(indexed);
	*out = s;
	return 0;
fail:
	free(indexed);
	schema_free(s);
	return -1;
}

/*
 * introspect_read() inside one read transaction unless the caller has one:
 * otherwise each of its thousands of statements takes and drops the file
 * lock and re-reads the header (eight system calls a table), and the schema
 * could change between two of them.
 */
int
introspect_schema(sqlite3 *db, struct schema **out, char **cause)
{
	char	*why = NULL;
	int	 ret;

	if (!sqlite3_get_autocommit(db))
		return introspect_read(db, out, cause);
	if (db_exec(db, "BEGIN", cause) == -1)
		return -1;
	ret = introspect_read(db, out, cause);
	if (db_exec(db, ret == 0 ? "COMMIT" : "ROLLBACK", &why) == -1) {
		if (ret == 0) {
			schema_free(*out);
			*out = NULL;
			*cause = why;
			return -1;
		}
		free(why);
	}
	return ret;
}
