/*
 * SQL text for the schema structs and for a diff's operations. Identifiers are
 * written bare when SQLite would read them back unchanged, otherwise quoted with
 * %w; nothing here ever carries a value from a user.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exodb.h"

static int
render_bare(const char *name)
{
	const char	*p;

	if (*name == '\0' || !(isalpha((unsigned char)*name) || *name == '_'))
		return 0;
	for (p = name; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '_')
			return 0;
	}
	return !sqlite3_keyword_check(name, (int)strlen(name));
}

static void
render_ident_to(sqlite3_str *out, const char *name)
{
	if (render_bare(name))
		sqlite3_str_appendall(out, name);
	else
		sqlite3_str_appendf(out, "\"%w\"", name);
}

/* An identifier as SQL text, quoted only where it must be. */
char *
render_ident(const char *name)
{
	sqlite3_str	*out;

	out = sqlite3_str_new(NULL);
	render_ident_to(out, name);
	return xstr_finish(out);
}

static void
render_column(sqlite3_str *out, const struct table *t, const struct column *c,
    int inline_pk)
{
	render_ident_to(out, c->name);
	if (*c->type != '\0')
		sqlite3_str_appendf(out, " %s", c->type);
	if (c->notnull)
		sqlite3_str_appendall(out, " NOT NULL");
	if (inline_pk && c->pk) {
		sqlite3_str_appendall(out, " PRIMARY KEY");
		if (t->autoincrement)
			sqlite3_str_appendall(out, " AUTOINCREMENT");
	}
	if (c->dflt != NULL) {
		if (lex_is_literal(c->dflt))
			sqlite3_str_appendf(out, " DEFAULT %s", c->dflt);
		else
			sqlite3_str_appendf(out, " DEFAULT (%s)", c->dflt);
	}
	if (c->collation != NULL)
		sqlite3_str_appendf(out, " COLLATE %s", c->collation);
	if (c->check != NULL)
		sqlite3_str_appendf(out, " CHECK (%s)", c->check);
}

/*
 * An index's columns. A key takes its column's collation unless it names
 * another, and SQLite reports it either way: it is written only when it is
 * not the column's, as model.sql writes it.
 */
static void
render_index_columns(sqlite3_str *out, const struct table *t,
    const struct index *ix)
{
	const struct column	*c;
	size_t			 i;

	sqlite3_str_appendall(out, "(");
	for (i = 0; i < ix->ncolumns; i++) {
		if (i > 0)
			sqlite3_str_appendall(out, ", ");
		render_ident_to(out, ix->columns[i].name);
		c = schema_column(t, ix->columns[i].name);
		if (!schema_same_name(ix->columns[i].collation, c != NULL ?
		    c->collation : NULL))
			sqlite3_str_appendf(out, " COLLATE %s",
			    ix->columns[i].collation != NULL ?
			    ix->columns[i].collation : "BINARY");
		if (ix->columns[i].desc)
			sqlite3_str_appendall(out, " DESC");
	}
	sqlite3_str_appendall(out, ")");
}

static void
render_foreign_key(sqlite3_str *out, const struct foreign_key *fk)
{
	size_t	i;

	sqlite3_str_appendall(out, "FOREIGN KEY (");
	for (i = 0; i < fk->ncolumns; i++) {
		if (i > 0)
			sqlite3_str_appendall(out, ", ");
		render_ident_to(out, fk->from[i]);
	}
	sqlite3_str_appendall(out, ") REFERENCES ");
	render_ident_to(out, fk->table);
	/* A NULL column: the reference is to the other table's key. */
	for (i = 0; i < fk->ncolumns && fk->to[i] != NULL; i++) {
		sqlite3_str_appendall(out, i == 0 ? " (" : ", ");
		render_ident_to(out, fk->to[i]);
	}
	if (i > 0)
		sqlite3_str_appendall(out, ")");
	if (fk->on_update != NULL)
		sqlite3_str_appendf(out, " ON UPDATE %s", fk->on_update);
	if (fk->on_delete != NULL)
		sqlite3_str_appendf(out, " ON DELETE %s", fk->on_delete);
}

/*
 * A table as the database has it, under another name when name is not NULL:
 * its CREATE TABLE text with the name replaced, as ALTER TABLE RENAME would.
 */
static void
render_table_sql(sqlite3_str *out, const struct table *t, const char *name)
{
	struct lex	 lx;
	const char	*tok;
	size_t		 len;
	enum lex_token	 tt;

	lex_init(&lx, t->sql, strlen(t->sql), 1);
	while ((tt = lex_next_token(&lx, &tok, &len)) != LEX_EOF) {
		if (tt == LEX_WORD && lex_word_is(tok, len, "TABLE"))
			break;
	}
	/* IF NOT EXISTS, then the name, perhaps "main." first. */
	while ((tt = lex_next_token(&lx, &tok, &len)) == LEX_WORD &&
	    (lex_word_is(tok, len, "IF") || lex_word_is(tok, len, "NOT") ||
	    lex_word_is(tok, len, "EXISTS")))
		;
	if (lx.p < lx.end && *lx.p == '.') {
		lex_next_token(&lx, &tok, &len);	/* the dot */
		lex_next_token(&lx, &tok, &len);
	}
	sqlite3_str_append(out, t->sql, (int)(tok - t->sql));
	render_ident_to(out, name != NULL ? name : t->name);
	sqlite3_str_appendall(out, lx.p);
}

/*
 * End a column's line: its comma, then (with notes) the model's rename
 * annotation, which goes after the comma as model.sql writes it.
 */
static void
render_end_column(sqlite3_str *out, const struct column *c, int comma,
    int notes)
{
	char	*was;

	if (comma)
		sqlite3_str_appendall(out, ",");
	if (notes && c->was != NULL) {
		was = render_ident(c->was);
		sqlite3_str_appendf(out, " -- exodb: renamed from %s", was);
		free(was);
	}
}

/*
 * The CREATE TABLE text of t, under name when not NULL; with notes, the
 * model's rename annotations too (for 'db model', never for a revision).
 */
static void
render_table_to(sqlite3_str *out, const struct table *t, const char *name,
    int notes)
{
	size_t	 i, npk = 0;
	int	 more;

	if (t->verbatim && t->sql != NULL) {
		render_table_sql(out, t, name);
		return;
	}
	for (i = 0; i < t->ncolumns; i++)
		npk += t->columns[i].pk != 0;
	sqlite3_str_appendall(out, "CREATE TABLE ");
	render_ident_to(out, name != NULL ? name : t->name);
	sqlite3_str_appendall(out, " (");
	more = npk > 1 || t->nfks > 0 || t->nchecks > 0;
	for (i = 0; i < t->nindexes; i++)
		more |= t->indexes[i].origin == 'u';
	for (i = 0; i < t->ncolumns; i++) {
		sqlite3_str_appendall(out, "\n\t");
		render_column(out, t, &t->columns[i], npk == 1);
		render_end_column(out, &t->columns[i],
		    i + 1 < t->ncolumns || more, notes);
	}
	/* The last column wrote the comma before the first constraint. */
	more = 0;
	if (npk > 1) {
		sqlite3_str_appendall(out, "\n\tPRIMARY KEY (");
		for (i = 1; i <= npk; i++) {
			size_t	j;

			for (j = 0; j < t->ncolumns; j++) {
				if ((size_t)t->columns[j].pk != i)
					continue;
				if (i > 1)
					sqlite3_str_appendall(out, ", ");
				render_ident_to(out, t->columns[j].name);
			}
		}
		sqlite3_str_appendall(out, ")");
		more = 1;
	}
	for (i = 0; i < t->nindexes; i++) {
		if (t->indexes[i].origin != 'u')
			continue;
		sqlite3_str_appendall(out, more ? ",\n\tUNIQUE " :
		    "\n\tUNIQUE ");
		render_index_columns(out, t, &t->indexes[i]);
		more = 1;
	}
	for (i = 0; i < t->nfks; i++) {
		sqlite3_str_appendall(out, more ? ",\n\t" : "\n\t");
		render_foreign_key(out, &t->fks[i]);
		more = 1;
	}
	for (i = 0; i < t->nchecks; i++) {
		sqlite3_str_appendf(out, "%s\n\tCHECK (%s)", more ? "," : "",
		    t->checks[i]);
		more = 1;
	}
	sqlite3_str_appendall(out, "\n)");
	if (t->without_rowid)
		sqlite3_str_appendall(out, " WITHOUT ROWID");
	if (t->strict)
		sqlite3_str_appendall(out, t->without_rowid ? ", STRICT" :
		    " STRICT");
}

/* CREATE TABLE for t, under another name when name is not NULL. */
char *
render_table(const struct table *t, const char *name)
{
	sqlite3_str	*out;

	out = sqlite3_str_new(NULL);
	render_table_to(out, t, name, 0);
	return xstr_finish(out);
}

static void
render_index_to(sqlite3_str *out, const struct table *t,
    const struct index *ix)
{
	if (ix->sql != NULL) {
		/* An index on expressions is kept as it was written. */
		sqlite3_str_appendall(out, ix->sql);
		return;
	}
	sqlite3_str_appendf(out, "CREATE %sINDEX ", ix->unique ? "UNIQUE " : "");
	render_ident_to(out, ix->name);
	sqlite3_str_appendall(out, " ON ");
	render_ident_to(out, t->name);
	sqlite3_str_appendall(out, " ");
	render_index_columns(out, t, ix);
	if (ix->where != NULL)
		sqlite3_str_appendf(out, " WHERE %s", ix->where);
}

char *
render_index(const struct table *t, const struct index *ix)
{
	sqlite3_str	*out;

	out = sqlite3_str_new(NULL);
	render_index_to(out, t, ix);
	return xstr_finish(out);
}

/* The indexes a CREATE TABLE does not make itself. */
static void
render_table_indexes(sqlite3_str *out, const struct table *t)
{
	size_t	i;

	for (i = 0; i < t->nindexes; i++) {
		if (t->indexes[i].origin != 'c')
			continue;
		render_index_to(out, t, &t->indexes[i]);
		sqlite3_str_appendall(out, ";\n");
	}
}

/*
 * The rebuild from SQLite's ALTER TABLE page: make the new table under a
 * temporary name, copy the rows, drop the old table, rename the new one into
 * place, then recreate its indexes and the triggers the drop took with it.
 * The runner has foreign keys off, so nothing cascades; legacy_alter_table
 * keeps the rename from rewriting (and first validating) views and triggers
 * that name the table, which still name it correctly afterwards.
 */
static void
render_rebuild(sqlite3_str *out, const struct op *op)
{
	const struct table	*from = op->from, *to = op->to;
	const struct column	*old, *c;
	size_t			 i, n = 0;
	char			*tmp;

	tmp = xasprintf(REBUILD_PREFIX "%s", to->name);
	render_table_to(out, to, tmp, 0);
	sqlite3_str_appendall(out, ";\nINSERT INTO ");
	render_ident_to(out, tmp);
	sqlite3_str_appendall(out, " (");
	for (i = 0; i < to->ncolumns; i++) {
		/* Generated columns compute themselves. */
		if (to->columns[i].hidden ||
		    schema_match_column(from, &to->columns[i]) == NULL)
			continue;
		if (n++ > 0)
			sqlite3_str_appendall(out, ", ");
		render_ident_to(out, to->columns[i].name);
	}
	sqlite3_str_appendall(out, ")\n\tSELECT ");
	n = 0;
	for (i = 0; i < to->ncolumns; i++) {
		c = &to->columns[i];
		if (c->hidden || (old = schema_match_column(from, c)) == NULL)
			continue;
		if (n++ > 0)
			sqlite3_str_appendall(out, ", ");
		/* Tightening NOT NULL: NULLs take the default, if any. */
		if (c->notnull && !old->notnull && c->dflt != NULL) {
			sqlite3_str_appendall(out, "coalesce(");
			render_ident_to(out, old->name);
			if (lex_is_literal(c->dflt))
				sqlite3_str_appendf(out, ", %s)", c->dflt);
			else
				sqlite3_str_appendf(out, ", (%s))", c->dflt);
		} else
			render_ident_to(out, old->name);
	}
	sqlite3_str_appendall(out, " FROM ");
	render_ident_to(out, from->name);
	sqlite3_str_appendall(out, ";\nDROP TABLE ");
	render_ident_to(out, from->name);
	sqlite3_str_appendall(out, ";\nPRAGMA legacy_alter_table = ON;\n"
	    "ALTER TABLE ");
	render_ident_to(out, tmp);
	sqlite3_str_appendall(out, " RENAME TO ");
	render_ident_to(out, to->name);
	sqlite3_str_appendall(out, ";\nPRAGMA legacy_alter_table = OFF;\n");
	render_table_indexes(out, to);
	/* Those the differ chose: the live table's, unless they change. */
	for (i = 0; i < op->ntriggers; i++)
		sqlite3_str_appendf(out, "%s;\n", op->triggers[i]);
	free(tmp);
}

static void
render_op(sqlite3_str *out, const struct op *op)
{
	char	*what;
	size_t	 i;

	what = diff_describe(op);
	sqlite3_str_appendf(out, "-- %s%s\n", what,
	    diff_destructive(op) ? " (destructive)" : "");
	free(what);
	switch (op->type) {
	case OP_CREATE_TABLE:
		render_table_to(out, op->to, NULL, 0);
		sqlite3_str_appendall(out, ";\n");
		render_table_indexes(out, op->to);
		for (i = 0; i < op->to->ntriggers; i++)
			sqlite3_str_appendf(out, "%s;\n", op->to->triggers[i]);
		break;
	case OP_DROP_TABLE:
		sqlite3_str_appendall(out, "DROP TABLE ");
		render_ident_to(out, op->from->name);
		sqlite3_str_appendall(out, ";\n");
		break;
	case OP_ADD_COLUMN:
		sqlite3_str_appendall(out, "ALTER TABLE ");
		render_ident_to(out, op->to->name);
		sqlite3_str_appendall(out, " ADD COLUMN ");
		render_column(out, op->to, op->column, 1);
		sqlite3_str_appendall(out, ";\n");
		break;
	case OP_DROP_COLUMN:
		sqlite3_str_appendall(out, "ALTER TABLE ");
		render_ident_to(out, op->from->name);
		sqlite3_str_appendall(out, " DROP COLUMN ");
		render_ident_to(out, op->column->name);
		sqlite3_str_appendall(out, ";\n");
		break;
	case OP_RENAME_COLUMN:
		sqlite3_str_appendall(out, "ALTER TABLE ");
		render_ident_to(out, op->from->name);
		sqlite3_str_appendall(out, " RENAME COLUMN ");
		render_ident_to(out, op->old->name);
		sqlite3_str_appendall(out, " TO ");
		render_ident_to(out, op->column->name);
		sqlite3_str_appendall(out, ";\n");
		break;
	case OP_CREATE_INDEX:
		render_index_to(out, op->to, op->index);
		sqlite3_str_appendall(out, ";\n");
		break;
	case OP_DROP_INDEX:
		sqlite3_str_appendall(out, "DROP INDEX ");
		render_ident_to(out, op->index->name);
		sqlite3_str_appendall(out, ";\n");
		break;
	case OP_REBUILD_TABLE:
		render_rebuild(out, op);
		break;
	case OP_CREATE_VIEW:
		sqlite3_str_appendf(out, "%s;\n", op->sql);
		break;
	case OP_DROP_VIEW:
		sqlite3_str_appendall(out, "DROP VIEW ");
		render_ident_to(out, op->name);
		sqlite3_str_appendall(out, ";\n");
		break;
	case OP_CREATE_TRIGGER:
		sqlite3_str_appendf(out, "%s;\n", op->sql);
		break;
	case OP_DROP_TRIGGER:
		sqlite3_str_appendall(out, "DROP TRIGGER ");
		render_ident_to(out, op->name);
		sqlite3_str_appendall(out, ";\n");
		break;
	}
}

/* The SQL for a diff's operations, in order, one comment line before each. */
char *
render_ops(const struct diff *d)
{
	sqlite3_str	*out;
	size_t		 i;

	out = sqlite3_str_new(NULL);
	for (i = 0; i < d->nops; i++) {
		if (i > 0)
			sqlite3_str_appendall(out, "\n");
		render_op(out, &d->ops[i]);
	}
	return xstr_finish(out);
}

/* Every table of a schema with its indexes, as a revision would create them. */
char *
render_schema(const struct schema *s)
{
	sqlite3_str	*out;
	size_t		 i;

	out = sqlite3_str_new(NULL);
	for (i = 0; i < s->ntables; i++) {
		render_table_to(out, &s->tables[i], NULL, 0);
		sqlite3_str_appendall(out, ";\n");
		render_table_indexes(out, &s->tables[i]);
	}
	return xstr_finish(out);
}

/*
 * A model as the differ sees it: each table with its indexes and triggers,
 * its columns' rename annotations, then the views. 'db model' prints it and
 * its SHA-256 is the model's fingerprint, so whatever changes what the differ
 * does changes this text.
 */
char *
render_model(const struct schema *s)
{
	sqlite3_str	*out;
	size_t		 i, j;

	out = sqlite3_str_new(NULL);
	for (i = 0; i < s->ntables; i++) {
		render_table_to(out, &s->tables[i], NULL, 1);
		sqlite3_str_appendall(out, ";\n");
		render_table_indexes(out, &s->tables[i]);
		for (j = 0; j < s->tables[i].ntriggers; j++)
			sqlite3_str_appendf(out, "%s;\n",
			    s->tables[i].triggers[j]);
	}
	for (i = 0; i < s->nviews; i++)
		sqlite3_str_appendf(out, "%s;\n", s->views[i]);
	return xstr_finish(out);
}
