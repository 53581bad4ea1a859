/*
 * PostgreSQL DDL for the schema structs and for a diff's operations: the
 * PostgreSQL sections of a revision, rendered from the same operations as
 * render.c's SQLite ones, and the model as PostgreSQL holds it.
 *
 * The model is mapped as SQLAlchemy maps the same models.py on PostgreSQL:
 *  - a table's INTEGER PRIMARY KEY (SQLite's rowid) is an identity column;
 *  - BOOLEAN is boolean, and its CHECK (x IN (0, 1)) is left out: it has no
 *    meaning there, and 0 and 1 as its default become false and true;
 *  - COLLATE NOCASE is the collation "nocase" that exodb creates: ICU's
 *    root locale at strength 2 (case-insensitive, accent-sensitive), not
 *    deterministic, so that equality and the unique indexes ignore case as
 *    on SQLite while the columns keep their VARCHAR(n) types (see POSTGRESQL
 *    in exodb(1) for why not citext);
 *  - NOT NULL ON CONFLICT REPLACE with a DEFAULT (an explicit NULL takes the
 *    default) is a BEFORE INSERT OR UPDATE trigger that puts the default in
 *    place of a NULL, since PostgreSQL has no such clause;
 *  - each CHECK, UNIQUE and FOREIGN KEY constraint is named as PostgreSQL
 *    would name it, so that a later revision can drop it by name.
 * What has no PostgreSQL form here (triggers and views, which are SQLite SQL,
 * other ON CONFLICT clauses, named constraints, a column without a type,
 * RTRIM) fails with the reason, and db migrate then writes SQLite's sections
 * alone. Expressions (CHECK, DEFAULT, an index's WHERE) are copied as written.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exodb.h"

/* The collation COLLATE NOCASE becomes, and how exodb creates it. */
#define PG_NOCASE	"nocase"
#define PG_NOCASE_DDL	"CREATE COLLATION IF NOT EXISTS " PG_NOCASE \
	" (provider = icu, locale = 'und-u-ks-level2', deterministic = false)"
/* The trigger that gives an explicit NULL the default, and its function. */
#define PG_DEFAULTS	"exodb_defaults"

/* The words PostgreSQL reserves, which a name must quote (SQL Key Words). */
static const char *const render_pg_reserved[] = {
	"all", "analyse", "analyze", "and", "any", "array", "as", "asc",
	"asymmetric", "authorization", "between", "bigint", "binary", "bit",
	"boolean", "both", "case", "cast", "char", "character", "check",
	"coalesce", "collate", "collation", "column", "concurrently",
	"constraint", "create", "cross", "current_catalog", "current_date",
	"current_role", "current_schema", "current_time", "current_timestamp",
	"current_user", "dec", "decimal", "default", "deferrable", "desc",
	"distinct", "do", "else", "end", "except", "exists", "extract",
	"false", "fetch", "float", "for", "foreign", "freeze", "from", "full",
	"grant", "greatest", "group", "grouping", "having", "ilike", "in",
	"initially", "inner", "inout", "int", "integer", "intersect",
	"interval", "into", "is", "isnull", "join", "lateral", "leading",
	"least", "left", "like", "limit", "localtime", "localtimestamp",
	"national", "natural", "nchar", "none", "normalize", "not", "notnull",
	"null", "nullif", "numeric", "offset", "on", "only", "or", "order",
	"out", "outer", "overlaps", "overlay", "placing", "position",
	"precision", "primary", "real", "references", "returning", "right",
	"row", "select", "session_user", "setof", "similar", "smallint",
	"some", "substring", "symmetric", "system_user", "table",
	"tablesample", "then", "time", "timestamp", "to", "trailing", "treat",
	"trim", "true", "union", "unique", "user", "using", "values",
	"varchar", "variadic", "verbose", "when", "where", "window", "with"
};

/*
 * Whether a name can be written bare: lower case, as PostgreSQL folds bare
 * names (SQLAlchemy quotes a name with capitals the same way), and no
 * reserved word.
 */
static int
render_pg_bare(const char *name)
{
	const char	*p;
	size_t		 i;

	if (!(islower((unsigned char)*name) || *name == '_'))
		return 0;
	for (p = name; *p != '\0'; p++) {
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) &&
		    *p != '_')
			return 0;
	}
	for (i = 0; i < sizeof render_pg_reserved /
	    sizeof render_pg_reserved[0]; i++) {
		if (strcmp(name, render_pg_reserved[i]) == 0)
			return 0;
	}
	return 1;
}

static void
render_pg_ident_to(sqlite3_str *out, const char *name)
{
	if (render_pg_bare(name))
		sqlite3_str_appendall(out, name);
	else
		sqlite3_str_appendf(out, "\"%w\"", name);
}

/* A name as PostgreSQL reads it, quoted only where it must be. */
char *
render_pg_ident(const char *name)
{
	sqlite3_str	*out;

	out = sqlite3_str_new(NULL);
	render_pg_ident_to(out, name);
	return xstr_finish(out);
}

/* A name made of parts, as PostgreSQL makes constraint names: a_b_check. */
static void
render_pg_name_to(sqlite3_str *out, const char *a, const char *b,
    const char *c)
{
	char	*name;

	name = xasprintf("%s%s%s%s%s", a, b != NULL ? "_" : "",
	    b != NULL ? b : "", c != NULL ? "_" : "", c != NULL ? c : "");
	render_pg_ident_to(out, name);
	free(name);
}

static int
render_pg_is(const char *type, const char *name)
{
	return type != NULL && strcasecmp(type, name) == 0;
}

static int
render_pg_is_bool(const struct column *c)
{
	return render_pg_is(c->type, "BOOLEAN") || render_pg_is(c->type, "BOOL");
}

/* Whether c is t's rowid: INTEGER PRIMARY KEY, its only key column. */
static int
render_pg_identity(const struct table *t, const struct column *c)
{
	size_t	i, npk = 0;

	for (i = 0; i < t->ncolumns; i++)
		npk += t->columns[i].pk != 0;
	return npk == 1 && c->pk == 1 && !t->without_rowid &&
	    render_pg_is(c->type, "INTEGER");
}

/* A boolean's CHECK (c IN (0, 1)), which PostgreSQL's type makes moot. */
static int
render_pg_bool_check(const struct column *c)
{
	char	*want;
	int	 same;

	if (c->check == NULL || !render_pg_is_bool(c))
		return 0;
	want = xasprintf("\"%s\" IN (0, 1)", c->name);
	same = schema_same_text(c->check, want);
	free(want);
	return same;
}

/*
 * The type SQLAlchemy gives the same column on PostgreSQL: SQLite's names
 * that PostgreSQL lacks are mapped, others are written as declared.
 */
static int
render_pg_type_to(sqlite3_str *out, const struct table *t,
    const struct column *c, char **cause)
{
	static const char *const map[][2] = {
		{ "DATETIME", "TIMESTAMP WITHOUT TIME ZONE" },
		{ "BLOB", "BYTEA" },
		{ "DOUBLE", "DOUBLE PRECISION" },
		{ "TINYINT", "SMALLINT" },
		{ "BOOL", "BOOLEAN" },
	};
	size_t	i;

	if (*c->type == '\0') {
		*cause = xasprintf("column %s.%s has no type, which PostgreSQL "
		    "requires", t->name, c->name);
		return -1;
	}
	for (i = 0; i < sizeof map / sizeof map[0]; i++) {
		if (render_pg_is(c->type, map[i][0])) {
			sqlite3_str_appendall(out, map[i][1]);
			return 0;
		}
	}
	sqlite3_str_appendall(out, c->type);
	return 0;
}

/* " COLLATE x" for a SQLite collation, or "" for none. */
static int
render_pg_collation_to(sqlite3_str *out, const char *what,
    const char *collation, char **cause)
{
	if (collation == NULL)
		return 0;
	if (render_pg_is(collation, "NOCASE"))
		sqlite3_str_appendall(out, " COLLATE " PG_NOCASE);
	else if (render_pg_is(collation, "BINARY"))
		sqlite3_str_appendall(out, " COLLATE \"C\"");
	else {
		*cause = xasprintf("%s: collation %s has no PostgreSQL "
		    "counterpart", what, collation);
		return -1;
	}
	return 0;
}

/* The default's text: a boolean's 0 and 1 are false and true there. */
static void
render_pg_default_to(sqlite3_str *out, const struct column *c)
{
	if (render_pg_is_bool(c) && strcmp(c->dflt, "0") == 0)
		sqlite3_str_appendall(out, "false");
	else if (render_pg_is_bool(c) && strcmp(c->dflt, "1") == 0)
		sqlite3_str_appendall(out, "true");
	else if (lex_is_literal(c->dflt))
		sqlite3_str_appendall(out, c->dflt);
	else
		sqlite3_str_appendf(out, "(%s)", c->dflt);
}

/* A column's type with its collation, as ALTER COLUMN ... TYPE takes it. */
static int
render_pg_full_type_to(sqlite3_str *out, const struct table *t,
    const struct column *c, char **cause)
{
	char	*what;
	int	 ret;

	if (render_pg_type_to(out, t, c, cause) == -1)
		return -1;
	what = xasprintf("column %s.%s", t->name, c->name);
	ret = render_pg_collation_to(out, what, c->collation, cause);
	free(what);
	return ret;
}

static int
render_pg_column_to(sqlite3_str *out, const struct table *t,
    const struct column *c, int inline_pk, char **cause)
{
	render_pg_ident_to(out, c->name);
	sqlite3_str_appendall(out, " ");
	if (render_pg_full_type_to(out, t, c, cause) == -1)
		return -1;
	if (c->notnull)
		sqlite3_str_appendall(out, " NOT NULL");
	if (render_pg_identity(t, c))
		sqlite3_str_appendall(out, " GENERATED BY DEFAULT AS IDENTITY");
	if (inline_pk && c->pk)
		sqlite3_str_appendall(out, " PRIMARY KEY");
	if (c->dflt != NULL) {
		sqlite3_str_appendall(out, " DEFAULT ");
		render_pg_default_to(out, c);
	}
	if (c->check != NULL && !render_pg_bool_check(c)) {
		sqlite3_str_appendall(out, " CONSTRAINT ");
		render_pg_name_to(out, t->name, c->name, "check");
		sqlite3_str_appendf(out, " CHECK (%s)", c->check);
	}
	return 0;
}

/*
 * Which of t's columns are NOT NULL ON CONFLICT REPLACE with a default (the
 * trigger's), into replace[] (t->ncolumns of them), from its CREATE text;
 * what else only the text says has no PostgreSQL form here and fails.
 * Returns how many there are, or -1.
 */
static int
render_pg_replace(const struct table *t, int *replace, char **cause)
{
	struct lex		 lx;
	const struct column	*col = NULL;
	const char		*tok;
	size_t			 len, i;
	enum lex_token		 tt;
	int			 depth = 0, first = 1, n = 0, after_null = 0;
	char			*name;

	memset(replace, 0, t->ncolumns * sizeof *replace);
	if (!t->verbatim || t->sql == NULL)
		return 0;
	lex_init(&lx, t->sql, strlen(t->sql), 1);
	while ((tt = lex_next_token(&lx, &tok, &len)) != LEX_EOF &&
	    tt != LEX_LPAREN)
		;
	while ((tt = lex_next_token(&lx, &tok, &len)) != LEX_EOF) {
		if (tt == LEX_LPAREN)
			depth++;
		else if (tt == LEX_RPAREN && depth-- == 0)
			break;
		if (depth > 0)
			continue;
		if (tt == LEX_COMMA) {
			first = 1;
			col = NULL;
			continue;
		}
		if (first) {
			first = 0;
			name = lex_unquote(tok, len);
			for (i = 0; i < t->ncolumns; i++) {
				if (schema_same_name(t->columns[i].name, name))
					col = &t->columns[i];
			}
			free(name);
			if (col != NULL)
				continue;
		}
		if (tt != LEX_WORD)
			continue;
		if (lex_word_is(tok, len, "CONFLICT")) {
			tt = lex_next_token(&lx, &tok, &len);
			/* Without a default, REPLACE on NOT NULL aborts. */
			if (col != NULL && after_null && tt == LEX_WORD &&
			    lex_word_is(tok, len, "REPLACE")) {
				if (col->dflt != NULL && !replace[col -
				    t->columns]) {
					replace[col - t->columns] = 1;
					n++;
				}
			} else if (!(tt == LEX_WORD &&
			    lex_word_is(tok, len, "ABORT"))) {
				*cause = xasprintf("table %s: ON CONFLICT %.*s "
				    "has no PostgreSQL form", t->name,
				    (int)len, tok);
				return -1;
			}
		} else if (lex_word_is(tok, len, "CONSTRAINT") ||
		    lex_word_is(tok, len, "DEFERRABLE") ||
		    lex_word_is(tok, len, "GENERATED") ||
		    lex_word_is(tok, len, "AS")) {
			*cause = xasprintf("table %s: %.*s has no PostgreSQL "
			    "form here", t->name, (int)len, tok);
			return -1;
		}
		/* NOT NULL ON CONFLICT: the ON between them keeps it. */
		if (!lex_word_is(tok, len, "ON"))
			after_null = lex_word_is(tok, len, "NULL");
	}
	return n;
}

/*
 * The trigger that gives t's ON CONFLICT REPLACE columns their defaults in
 * place of an explicit NULL, or (with none) its removal; existed says
 * whether the trigger is there already. The function's body is a string, not a
 * dollar-quoted one, so that any SQL lexer splits the statements right.
 */
static int
render_pg_defaults(sqlite3_str *out, const struct table *t, int existed,
    char **cause)
{
	sqlite3_str	*body;
	int		*replace;
	size_t		 i;
	int		 n;
	char		*text;

	replace = xcalloc(t->ncolumns + 1, sizeof *replace);
	if ((n = render_pg_replace(t, replace, cause)) == -1) {
		free(replace);
		return -1;
	}
	if (n == 0) {
		if (existed) {
			sqlite3_str_appendall(out, "DROP TRIGGER " PG_DEFAULTS
			    " ON ");
			render_pg_ident_to(out, t->name);
			sqlite3_str_appendall(out, ";\nDROP FUNCTION ");
			render_pg_name_to(out, PG_DEFAULTS, t->name, NULL);
			sqlite3_str_appendall(out, "();\n");
		}
		free(replace);
		return 0;
	}
	body = sqlite3_str_new(NULL);
	sqlite3_str_appendall(body, "BEGIN\n");
	for (i = 0; i < t->ncolumns; i++) {
		if (!replace[i])
			continue;
		sqlite3_str_appendall(body, "\tNEW.");
		render_pg_ident_to(body, t->columns[i].name);
		sqlite3_str_appendall(body, " := coalesce(NEW.");
		render_pg_ident_to(body, t->columns[i].name);
		sqlite3_str_appendall(body, ", ");
		render_pg_default_to(body, &t->columns[i]);
		sqlite3_str_appendall(body, ");\n");
	}
	sqlite3_str_appendall(body, "\tRETURN NEW;\nEND");
	text = xstr_finish(body);
	sqlite3_str_appendall(out, "CREATE OR REPLACE FUNCTION ");
	render_pg_name_to(out, PG_DEFAULTS, t->name, NULL);
	sqlite3_str_appendf(out, "() RETURNS trigger LANGUAGE plpgsql AS %Q;\n",
	    text);
	if (!existed) {
		sqlite3_str_appendall(out, "CREATE TRIGGER " PG_DEFAULTS
		    " BEFORE INSERT OR UPDATE ON ");
		render_pg_ident_to(out, t->name);
		sqlite3_str_appendall(out, " FOR EACH ROW EXECUTE FUNCTION ");
		render_pg_name_to(out, PG_DEFAULTS, t->name, NULL);
		sqlite3_str_appendall(out, "();\n");
	}
	free(text);
	free(replace);
	return 0;
}

/* Whether t has the defaults trigger (a column it keeps the default of). */
static int
render_pg_has_defaults(const struct table *t)
{
	int	*replace, n;
	char	*why = NULL;

	replace = xcalloc(t->ncolumns + 1, sizeof *replace);
	n = render_pg_replace(t, replace, &why);
	free(replace);
	free(why);
	return n > 0;
}

/* Whether a column's collation is NOCASE: the collation must exist first. */
static int
render_pg_needs_nocase(const struct table *t)
{
	size_t	i, j;

	for (i = 0; i < t->ncolumns; i++) {
		if (render_pg_is(t->columns[i].collation, "NOCASE"))
			return 1;
	}
	for (i = 0; i < t->nindexes; i++) {
		for (j = 0; j < t->indexes[i].ncolumns; j++) {
			if (render_pg_is(t->indexes[i].columns[j].collation,
			    "NOCASE"))
				return 1;
		}
	}
	return 0;
}

/* An index's key columns, collations where they differ from the column's. */
static int
render_pg_index_columns(sqlite3_str *out, const struct table *t,
    const struct index *ix, char **cause)
{
	const struct column	*c;
	size_t			 i;
	char			*what;
	int			 ret = 0;

	sqlite3_str_appendall(out, "(");
	for (i = 0; i < ix->ncolumns && ret == 0; i++) {
		if (i > 0)
			sqlite3_str_appendall(out, ", ");
		render_pg_ident_to(out, ix->columns[i].name);
		c = schema_column(t, ix->columns[i].name);
		if (!schema_same_name(ix->columns[i].collation, c != NULL ?
		    c->collation : NULL)) {
			what = xasprintf("index %s", ix->name != NULL ?
			    ix->name : t->name);
			ret = render_pg_collation_to(out, what,
			    ix->columns[i].collation != NULL ?
			    ix->columns[i].collation : "BINARY", cause);
			free(what);
		}
		if (ix->columns[i].desc)
			sqlite3_str_appendall(out, " DESC");
	}
	sqlite3_str_appendall(out, ")");
	return ret;
}

/* The name PostgreSQL gives a UNIQUE constraint: table_col1_col2_key. */
static void
render_pg_unique_name(sqlite3_str *out, const struct table *t,
    const struct index *ix)
{
	sqlite3_str	*name;
	size_t		 i;
	char		*s;

	name = sqlite3_str_new(NULL);
	sqlite3_str_appendall(name, t->name);
	for (i = 0; i < ix->ncolumns; i++)
		sqlite3_str_appendf(name, "_%s", ix->columns[i].name);
	sqlite3_str_appendall(name, "_key");
	s = xstr_finish(name);
	render_pg_ident_to(out, s);
	free(s);
}

/* The name PostgreSQL gives a foreign key: table_col_fkey. */
static void
render_pg_fk_name(sqlite3_str *out, const struct table *t,
    const struct foreign_key *fk)
{
	sqlite3_str	*name;
	size_t		 i;
	char		*s;

	name = sqlite3_str_new(NULL);
	sqlite3_str_appendall(name, t->name);
	for (i = 0; i < fk->ncolumns; i++)
		sqlite3_str_appendf(name, "_%s", fk->from[i]);
	sqlite3_str_appendall(name, "_fkey");
	s = xstr_finish(name);
	render_pg_ident_to(out, s);
	free(s);
}

static void
render_pg_fk_to(sqlite3_str *out, const struct table *t,
    const struct foreign_key *fk)
{
	size_t	i;

	sqlite3_str_appendall(out, "CONSTRAINT ");
	render_pg_fk_name(out, t, fk);
	sqlite3_str_appendall(out, " FOREIGN KEY (");
	for (i = 0; i < fk->ncolumns; i++) {
		if (i > 0)
			sqlite3_str_appendall(out, ", ");
		render_pg_ident_to(out, fk->from[i]);
	}
	sqlite3_str_appendall(out, ") REFERENCES ");
	render_pg_ident_to(out, fk->table);
	for (i = 0; i < fk->ncolumns && fk->to[i] != NULL; i++) {
		sqlite3_str_appendall(out, i == 0 ? " (" : ", ");
		render_pg_ident_to(out, fk->to[i]);
	}
	if (i > 0)
		sqlite3_str_appendall(out, ")");
	if (fk->on_update != NULL)
		sqlite3_str_appendf(out, " ON UPDATE %s", fk->on_update);
	if (fk->on_delete != NULL)
		sqlite3_str_appendf(out, " ON DELETE %s", fk->on_delete);
}

/* A table CHECK's name: table_check1, table_check2, in order. */
static void
render_pg_check_to(sqlite3_str *out, const struct table *t, size_t i)
{
	char	*n;

	n = xasprintf("check%zu", i + 1);
	sqlite3_str_appendall(out, "CONSTRAINT ");
	render_pg_name_to(out, t->name, n, NULL);
	sqlite3_str_appendf(out, " CHECK (%s)", t->checks[i]);
	free(n);
}

static void
render_pg_unique_to(sqlite3_str *out, const struct table *t,
    const struct index *ix, char **cause, int *ret)
{
	sqlite3_str_appendall(out, "CONSTRAINT ");
	render_pg_unique_name(out, t, ix);
	sqlite3_str_appendall(out, " UNIQUE ");
	if (render_pg_index_columns(out, t, ix, cause) == -1)
		*ret = -1;
}

static void
render_pg_pk_to(sqlite3_str *out, const struct table *t)
{
	size_t	i, j, npk = 0;

	for (i = 0; i < t->ncolumns; i++)
		npk += t->columns[i].pk != 0;
	sqlite3_str_appendall(out, "PRIMARY KEY (");
	for (i = 1; i <= npk; i++) {
		for (j = 0; j < t->ncolumns; j++) {
			if ((size_t)t->columns[j].pk != i)
				continue;
			if (i > 1)
				sqlite3_str_appendall(out, ", ");
			render_pg_ident_to(out, t->columns[j].name);
		}
	}
	sqlite3_str_appendall(out, ")");
}

/* What has no PostgreSQL form: a table's triggers, which are SQLite SQL. */
static int
render_pg_check_table(const struct table *t, char **cause)
{
	if (t->ntriggers > 0) {
		*cause = xasprintf("table %s has triggers, which are SQLite SQL",
		    t->name);
		return -1;
	}
	return 0;
}

static int
render_pg_table_to(sqlite3_str *out, const struct table *t, char **cause)
{
	size_t	 i, npk = 0;
	int	 more, ret = 0;

	if (render_pg_check_table(t, cause) == -1)
		return -1;
	for (i = 0; i < t->ncolumns; i++)
		npk += t->columns[i].pk != 0;
	sqlite3_str_appendall(out, "CREATE TABLE ");
	render_pg_ident_to(out, t->name);
	sqlite3_str_appendall(out, " (");
	more = npk > 1 || t->nfks > 0 || t->nchecks > 0;
	for (i = 0; i < t->nindexes; i++)
		more |= t->indexes[i].origin == 'u';
	for (i = 0; i < t->ncolumns; i++) {
		if (t->columns[i].hidden)
			continue;
		sqlite3_str_appendall(out, "\n\t");
		if (render_pg_column_to(out, t, &t->columns[i], npk == 1,
		    cause) == -1)
			return -1;
		if (i + 1 < t->ncolumns || more)
			sqlite3_str_appendall(out, ",");
	}
	more = 0;
	if (npk > 1) {
		sqlite3_str_appendall(out, "\n\t");
		render_pg_pk_to(out, t);
		more = 1;
	}
	for (i = 0; i < t->nindexes && ret == 0; i++) {
		if (t->indexes[i].origin != 'u')
			continue;
		sqlite3_str_appendall(out, more ? ",\n\t" : "\n\t");
		render_pg_unique_to(out, t, &t->indexes[i], cause, &ret);
		more = 1;
	}
	for (i = 0; i < t->nfks; i++) {
		sqlite3_str_appendall(out, more ? ",\n\t" : "\n\t");
		render_pg_fk_to(out, t, &t->fks[i]);
		more = 1;
	}
	for (i = 0; i < t->nchecks; i++) {
		sqlite3_str_appendall(out, more ? ",\n\t" : "\n\t");
		render_pg_check_to(out, t, i);
		more = 1;
	}
	sqlite3_str_appendall(out, "\n)");
	return ret;
}

static int
render_pg_index_to(sqlite3_str *out, const struct table *t,
    const struct index *ix, char **cause)
{
	if (ix->sql != NULL) {
		/* An index on expressions, as written: most read the same. */
		sqlite3_str_appendf(out, "%s;\n", ix->sql);
		return 0;
	}
	sqlite3_str_appendf(out, "CREATE %sINDEX ", ix->unique ? "UNIQUE " : "");
	render_pg_ident_to(out, ix->name);
	sqlite3_str_appendall(out, " ON ");
	render_pg_ident_to(out, t->name);
	sqlite3_str_appendall(out, " ");
	if (render_pg_index_columns(out, t, ix, cause) == -1)
		return -1;
	if (ix->where != NULL)
		sqlite3_str_appendf(out, " WHERE %s", ix->where);
	sqlite3_str_appendall(out, ";\n");
	return 0;
}

static void
render_pg_drop_index(sqlite3_str *out, const struct index *ix)
{
	sqlite3_str_appendall(out, "DROP INDEX ");
	render_pg_ident_to(out, ix->name);
	sqlite3_str_appendall(out, ";\n");
}

/* A table, its indexes and its defaults trigger. */
static int
render_pg_create_plain(sqlite3_str *out, const struct table *t, char **cause)
{
	size_t	i;

	if (render_pg_table_to(out, t, cause) == -1)
		return -1;
	sqlite3_str_appendall(out, ";\n");
	for (i = 0; i < t->nindexes; i++) {
		if (t->indexes[i].origin == 'c' &&
		    render_pg_index_to(out, t, &t->indexes[i], cause) == -1)
			return -1;
	}
	return render_pg_defaults(out, t, 0, cause);
}

/* The same, after the collation it needs. */
static int
render_pg_create(sqlite3_str *out, const struct table *t, char **cause)
{
	if (render_pg_needs_nocase(t))
		sqlite3_str_appendall(out, PG_NOCASE_DDL ";\n");
	return render_pg_create_plain(out, t, cause);
}

static void
render_pg_alter(sqlite3_str *out, const struct table *t)
{
	sqlite3_str_appendall(out, "ALTER TABLE ");
	render_pg_ident_to(out, t->name);
	sqlite3_str_appendall(out, " ");
}

/* Whether two indexes are the same, as SQLite would write them. */
static int
render_pg_same_index(const struct table *a, const struct index *ia,
    const struct table *b, const struct index *ib)
{
	char	*ta, *tb;
	int	 same;

	ta = render_index(a, ia);
	tb = render_index(b, ib);
	same = ia->origin == ib->origin && schema_same_text(ta, tb);
	free(ta);
	free(tb);
	return same;
}

static int
render_pg_same_pk(const struct table *a, const struct table *b)
{
	const struct column	*cb;
	size_t			 i, na = 0, nb = 0;

	for (i = 0; i < a->ncolumns; i++) {
		if (a->columns[i].pk == 0)
			continue;
		na++;
		cb = schema_match_column(b, &a->columns[i]);
		if (cb == NULL || cb->pk != a->columns[i].pk)
			return 0;
	}
	for (i = 0; i < b->ncolumns; i++)
		nb += b->columns[i].pk != 0;
	return na == nb;
}

/* Whether b has a foreign key as fk of a, written the same. */
static int
render_pg_has_fk(const struct table *a, const struct foreign_key *fk,
    const struct table *b)
{
	sqlite3_str	*sa, *sb;
	char		*ta, *tb;
	size_t		 i;
	int		 found = 0;

	sa = sqlite3_str_new(NULL);
	render_pg_fk_to(sa, a, fk);
	ta = xstr_finish(sa);
	for (i = 0; i < b->nfks && !found; i++) {
		sb = sqlite3_str_new(NULL);
		render_pg_fk_to(sb, b, &b->fks[i]);
		tb = xstr_finish(sb);
		found = strcmp(ta, tb) == 0;
		free(tb);
	}
	free(ta);
	return found;
}

static int
render_pg_same_checks(const struct table *a, const struct table *b)
{
	size_t	i;

	if (a->nchecks != b->nchecks)
		return 0;
	for (i = 0; i < a->nchecks; i++) {
		if (!schema_same_text(a->checks[i], b->checks[i]))
			return 0;
	}
	return 1;
}

/* Whether b has a UNIQUE constraint on the same columns as ia of a. */
static const struct index *
render_pg_find_unique(const struct table *a, const struct index *ia,
    const struct table *b)
{
	size_t	i;

	for (i = 0; i < b->nindexes; i++) {
		if (b->indexes[i].origin == 'u' &&
		    render_pg_same_index(a, ia, b, &b->indexes[i]))
			return &b->indexes[i];
	}
	return NULL;
}

/* A column's type alone, and with its collation; the caller frees both. */
static int
render_pg_types(const struct table *t, const struct column *c, char **type,
    char **full, char **cause)
{
	sqlite3_str	*a, *b;
	int		 ret;

	a = sqlite3_str_new(NULL);
	b = sqlite3_str_new(NULL);
	ret = render_pg_type_to(a, t, c, cause) == -1 ||
	    render_pg_full_type_to(b, t, c, cause) == -1 ? -1 : 0;
	*type = xstr_finish(a);
	*full = xstr_finish(b);
	return ret;
}

/* "ALTER TABLE t ALTER COLUMN c " */
static void
render_pg_alter_column(sqlite3_str *out, const struct table *t,
    const struct column *c)
{
	render_pg_alter(out, t);
	sqlite3_str_appendall(out, "ALTER COLUMN ");
	render_pg_ident_to(out, c->name);
	sqlite3_str_appendall(out, " ");
}

/* Whether a column has a CHECK that PostgreSQL keeps. */
static int
render_pg_has_check(const struct column *c)
{
	return c->check != NULL && !render_pg_bool_check(c);
}

/*
 * A column that stays, changed in place: its name, type and collation
 * (USING a cast), CHECK, default, NOT NULL (NULLs take the default first,
 * as SQLite's rebuild coalesces them) and identity.
 */
static int
render_pg_change_column(sqlite3_str *out, const struct table *a,
    const struct column *ca, const struct table *b, const struct column *cb,
    char **cause)
{
	char	*ta = NULL, *fa = NULL, *tb = NULL, *fb = NULL;
	int	 ret = -1, type_changed, check_changed, renamed;

	if (render_pg_types(a, ca, &ta, &fa, cause) == -1 ||
	    render_pg_types(b, cb, &tb, &fb, cause) == -1)
		goto out;
	renamed = !schema_same_name(ca->name, cb->name);
	type_changed = strcmp(fa, fb) != 0;
	check_changed = type_changed || renamed ||
	    render_pg_has_check(ca) != render_pg_has_check(cb) ||
	    !schema_same_text(ca->check, cb->check);
	if (render_pg_has_check(ca) && check_changed) {
		render_pg_alter(out, a);
		sqlite3_str_appendall(out, "DROP CONSTRAINT ");
		render_pg_name_to(out, a->name, ca->name, "check");
		sqlite3_str_appendall(out, ";\n");
	}
	if (renamed) {
		render_pg_alter(out, a);
		sqlite3_str_appendall(out, "RENAME COLUMN ");
		render_pg_ident_to(out, ca->name);
		sqlite3_str_appendall(out, " TO ");
		render_pg_ident_to(out, cb->name);
		sqlite3_str_appendall(out, ";\n");
	}
	if (render_pg_identity(a, ca) && !render_pg_identity(b, cb)) {
		render_pg_alter_column(out, b, cb);
		sqlite3_str_appendall(out, "DROP IDENTITY IF EXISTS;\n");
	}
	/* The old default may not cast to the new type. */
	if (ca->dflt != NULL && (type_changed || cb->dflt == NULL)) {
		render_pg_alter_column(out, b, cb);
		sqlite3_str_appendall(out, "DROP DEFAULT;\n");
	}
	if (type_changed) {
		render_pg_alter_column(out, b, cb);
		sqlite3_str_appendf(out, "TYPE %s", fb);
		if (strcmp(ta, tb) != 0) {
			sqlite3_str_appendall(out, " USING ");
			render_pg_ident_to(out, cb->name);
			sqlite3_str_appendf(out, "::%s", tb);
		}
		sqlite3_str_appendall(out, ";\n");
	}
	if (cb->dflt != NULL && (type_changed || ca->dflt == NULL ||
	    !schema_same_text(ca->dflt, cb->dflt))) {
		render_pg_alter_column(out, b, cb);
		sqlite3_str_appendall(out, "SET DEFAULT ");
		render_pg_default_to(out, cb);
		sqlite3_str_appendall(out, ";\n");
	}
	if (cb->notnull && !ca->notnull) {
		if (cb->dflt != NULL) {
			sqlite3_str_appendall(out, "UPDATE ");
			render_pg_ident_to(out, b->name);
			sqlite3_str_appendall(out, " SET ");
			render_pg_ident_to(out, cb->name);
			sqlite3_str_appendall(out, " = ");
			render_pg_default_to(out, cb);
			sqlite3_str_appendall(out, " WHERE ");
			render_pg_ident_to(out, cb->name);
			sqlite3_str_appendall(out, " IS NULL;\n");
		}
		render_pg_alter_column(out, b, cb);
		sqlite3_str_appendall(out, "SET NOT NULL;\n");
	} else if (!cb->notnull && ca->notnull && !render_pg_identity(b, cb)) {
		render_pg_alter_column(out, b, cb);
		sqlite3_str_appendall(out, "DROP NOT NULL;\n");
	}
	if (render_pg_has_check(cb) && check_changed) {
		render_pg_alter(out, b);
		sqlite3_str_appendall(out, "ADD CONSTRAINT ");
		render_pg_name_to(out, b->name, cb->name, "check");
		sqlite3_str_appendf(out, " CHECK (%s);\n", cb->check);
	}
	ret = 0;
out:
	free(ta);
	free(fa);
	free(tb);
	free(fb);
	return ret;
}

/* "ALTER TABLE t DROP CONSTRAINT " */
static void
render_pg_drop_constraint(sqlite3_str *out, const struct table *t)
{
	render_pg_alter(out, t);
	sqlite3_str_appendall(out, "DROP CONSTRAINT ");
}

/* Identity added to a column that has rows: its sequence starts past them. */
static void
render_pg_add_identity(sqlite3_str *out, const struct table *t,
    const struct column *c)
{
	char	*tn, *cn;

	render_pg_alter_column(out, t, c);
	sqlite3_str_appendall(out, "ADD GENERATED BY DEFAULT AS IDENTITY;\n");
	tn = render_pg_ident(t->name);
	cn = render_pg_ident(c->name);
	sqlite3_str_appendf(out, "SELECT setval(pg_get_serial_sequence(%Q, "
	    "%Q), coalesce(max(%s), 0) + 1, false) FROM %s;\n", tn, c->name,
	    cn, tn);
	free(tn);
	free(cn);
}

/*
 * The defaults trigger of a, made b's: its function replaced when what it
 * does changes (a column renamed, added or dropped), made or dropped when b
 * is the first or a the last to need one.
 */
static int
render_pg_redefault(sqlite3_str *out, const struct table *a,
    const struct table *b, char **cause)
{
	sqlite3_str	*sa, *sb;
	char		*ta, *tb, *why = NULL;
	int		 ret;

	sa = sqlite3_str_new(NULL);
	sb = sqlite3_str_new(NULL);
	(void)render_pg_defaults(sa, a, 0, &why);
	free(why);
	ret = render_pg_defaults(sb, b, 0, cause);
	ta = xstr_finish(sa);
	tb = xstr_finish(sb);
	if (ret == 0 && strcmp(ta, tb) != 0)
		ret = render_pg_defaults(out, b, render_pg_has_defaults(a),
		    cause);
	free(ta);
	free(tb);
	return ret;
}

/*
 * What SQLite rebuilds, PostgreSQL alters in place: table a becomes b by
 * ALTER TABLE, its rows and its other objects kept. Constraints that go or
 * change are dropped first and added after the columns change, indexes
 * likewise.
 */
static int
render_pg_rebuild(sqlite3_str *out, const struct table *a,
    const struct table *b, char **cause)
{
	const struct column	*ca, *cb;
	const struct index	*ia, *ib;
	size_t			 i;
	int			 same_pk, same_checks, ret = 0;
	char			*n;

	if (render_pg_check_table(b, cause) == -1)
		return -1;
	if (render_pg_needs_nocase(b) && !render_pg_needs_nocase(a))
		sqlite3_str_appendall(out, PG_NOCASE_DDL ";\n");
	same_pk = render_pg_same_pk(a, b);
	same_checks = render_pg_same_checks(a, b);
	for (i = 0; i < a->nindexes; i++) {
		ia = &a->indexes[i];
		ib = ia->name != NULL ? schema_index(b, ia->name) : NULL;
		if (ia->origin == 'c' && (ib == NULL ||
		    !render_pg_same_index(a, ia, b, ib)))
			render_pg_drop_index(out, ia);
		if (ia->origin == 'u' && render_pg_find_unique(a, ia, b) ==
		    NULL) {
			render_pg_drop_constraint(out, a);
			render_pg_unique_name(out, a, ia);
			sqlite3_str_appendall(out, ";\n");
		}
	}
	for (i = 0; i < a->nfks; i++) {
		if (render_pg_has_fk(a, &a->fks[i], b))
			continue;
		render_pg_drop_constraint(out, a);
		render_pg_fk_name(out, a, &a->fks[i]);
		sqlite3_str_appendall(out, ";\n");
	}
	for (i = 0; !same_checks && i < a->nchecks; i++) {
		n = xasprintf("check%zu", i + 1);
		render_pg_drop_constraint(out, a);
		render_pg_name_to(out, a->name, n, NULL);
		sqlite3_str_appendall(out, ";\n");
		free(n);
	}
	if (!same_pk) {
		render_pg_drop_constraint(out, a);
		render_pg_name_to(out, a->name, "pkey", NULL);
		sqlite3_str_appendall(out, ";\n");
	}
	for (i = 0; i < a->ncolumns; i++) {
		ca = &a->columns[i];
		if (ca->hidden || schema_match_column(b, ca) != NULL)
			continue;
		render_pg_alter(out, a);
		sqlite3_str_appendall(out, "DROP COLUMN ");
		render_pg_ident_to(out, ca->name);
		sqlite3_str_appendall(out, ";\n");
	}
	for (i = 0; i < b->ncolumns; i++) {
		cb = &b->columns[i];
		if (cb->hidden || (ca = schema_match_column(a, cb)) == NULL)
			continue;
		if (render_pg_change_column(out, a, ca, b, cb, cause) == -1)
			return -1;
	}
	for (i = 0; i < b->ncolumns; i++) {
		cb = &b->columns[i];
		if (cb->hidden || schema_match_column(a, cb) != NULL)
			continue;
		render_pg_alter(out, b);
		sqlite3_str_appendall(out, "ADD COLUMN ");
		if (render_pg_column_to(out, b, cb, 0, cause) == -1)
			return -1;
		sqlite3_str_appendall(out, ";\n");
	}
	if (!same_pk) {
		for (i = 0; i < b->ncolumns && b->columns[i].pk == 0; i++)
			;
		if (i < b->ncolumns) {
			render_pg_alter(out, b);
			sqlite3_str_appendall(out, "ADD ");
			render_pg_pk_to(out, b);
			sqlite3_str_appendall(out, ";\n");
		}
	}
	for (i = 0; i < b->ncolumns; i++) {
		cb = &b->columns[i];
		ca = schema_match_column(a, cb);
		if (ca != NULL && render_pg_identity(b, cb) &&
		    !render_pg_identity(a, ca))
			render_pg_add_identity(out, b, cb);
	}
	for (i = 0; i < b->nindexes && ret == 0; i++) {
		ib = &b->indexes[i];
		if (ib->origin != 'u' || render_pg_find_unique(b, ib, a) != NULL)
			continue;
		render_pg_alter(out, b);
		sqlite3_str_appendall(out, "ADD ");
		render_pg_unique_to(out, b, ib, cause, &ret);
		sqlite3_str_appendall(out, ";\n");
	}
	for (i = 0; i < b->nfks; i++) {
		if (render_pg_has_fk(b, &b->fks[i], a))
			continue;
		render_pg_alter(out, b);
		sqlite3_str_appendall(out, "ADD ");
		render_pg_fk_to(out, b, &b->fks[i]);
		sqlite3_str_appendall(out, ";\n");
	}
	for (i = 0; !same_checks && i < b->nchecks; i++) {
		render_pg_alter(out, b);
		sqlite3_str_appendall(out, "ADD ");
		render_pg_check_to(out, b, i);
		sqlite3_str_appendall(out, ";\n");
	}
	for (i = 0; i < b->nindexes && ret == 0; i++) {
		ib = &b->indexes[i];
		ia = ib->name != NULL ? schema_index(a, ib->name) : NULL;
		if (ib->origin == 'c' && (ia == NULL ||
		    !render_pg_same_index(a, ia, b, ib)))
			ret = render_pg_index_to(out, b, ib, cause);
	}
	if (ret == 0 && (render_pg_has_defaults(a) || render_pg_has_defaults(b)))
		ret = render_pg_redefault(out, a, b, cause);
	return ret;
}

static int
render_pg_op(sqlite3_str *out, const struct op *op, char **cause)
{
	char	*what;

	what = diff_describe(op);
	/* "rebuild table t: why", which PostgreSQL does not need. */
	if (op->type == OP_REBUILD_TABLE) {
		sqlite3_str_appendall(out, "-- alter table ");
		render_pg_ident_to(out, op->to->name);
		sqlite3_str_appendf(out, " (SQLite rebuilds it: %s)%s\n",
		    op->why != NULL ? op->why : "", diff_destructive(op) ?
		    " (destructive)" : "");
	} else
		sqlite3_str_appendf(out, "-- %s%s\n", what,
		    diff_destructive(op) ? " (destructive)" : "");
	free(what);
	switch (op->type) {
	case OP_CREATE_TABLE:
		return render_pg_create(out, op->to, cause);
	case OP_DROP_TABLE:
		sqlite3_str_appendall(out, "DROP TABLE ");
		render_pg_ident_to(out, op->from->name);
		sqlite3_str_appendall(out, ";\n");
		if (render_pg_has_defaults(op->from)) {
			sqlite3_str_appendall(out, "DROP FUNCTION ");
			render_pg_name_to(out, PG_DEFAULTS, op->from->name,
			    NULL);
			sqlite3_str_appendall(out, "();\n");
		}
		return 0;
	case OP_ADD_COLUMN:
		if (render_pg_is(op->column->collation, "NOCASE"))
			sqlite3_str_appendall(out, PG_NOCASE_DDL ";\n");
		render_pg_alter(out, op->to);
		sqlite3_str_appendall(out, "ADD COLUMN ");
		if (render_pg_column_to(out, op->to, op->column, 1, cause) == -1)
			return -1;
		sqlite3_str_appendall(out, ";\n");
		return 0;
	case OP_DROP_COLUMN:
		render_pg_alter(out, op->from);
		sqlite3_str_appendall(out, "DROP COLUMN ");
		render_pg_ident_to(out, op->column->name);
		sqlite3_str_appendall(out, ";\n");
		return 0;
	case OP_RENAME_COLUMN:
		return render_pg_change_column(out, op->from, op->old, op->to,
		    op->column, cause);
	case OP_CREATE_INDEX:
		if (render_pg_needs_nocase(op->to) &&
		    !render_pg_needs_nocase(op->from))
			sqlite3_str_appendall(out, PG_NOCASE_DDL ";\n");
		return render_pg_index_to(out, op->to, op->index, cause);
	case OP_DROP_INDEX:
		render_pg_drop_index(out, op->index);
		return 0;
	case OP_REBUILD_TABLE:
		return render_pg_rebuild(out, op->from, op->to, cause);
	case OP_CREATE_VIEW:
	case OP_DROP_VIEW:
		*cause = xasprintf("view %s is SQLite SQL", op->name);
		return -1;
	case OP_CREATE_TRIGGER:
	case OP_DROP_TRIGGER:
		*cause = xasprintf("table %s has triggers, which are SQLite SQL",
		    op->on);
		return -1;
	}
	return 0;
}

/*
 * The PostgreSQL SQL for a diff's operations, in order, one comment line
 * before each, into *sql (the caller frees it). Fails, with *cause saying
 * what, on anything that has no PostgreSQL form here.
 */
int
render_pg_ops(const struct diff *d, char **sql, char **cause)
{
	sqlite3_str	*out;
	size_t		 i;

	*sql = NULL;
	out = sqlite3_str_new(NULL);
	for (i = 0; i < d->nops; i++) {
		if (i > 0)
			sqlite3_str_appendall(out, "\n");
		if (render_pg_op(out, &d->ops[i], cause) == -1) {
			free(xstr_finish(out));
			return -1;
		}
	}
	*sql = xstr_finish(out);
	return 0;
}

/*
 * The model as PostgreSQL holds it: each table, its indexes and its defaults
 * trigger, after the collation the tables use; views fail. The caller frees
 * *sql.
 */
int
render_pg_model(const struct schema *s, char **sql, char **cause)
{
	sqlite3_str	*out;
	size_t		 i;
	int		 nocase = 0;

	*sql = NULL;
	if (s->nviews > 0) {
		*cause = xasprintf("view %s is SQLite SQL", s->view_names[0]);
		return -1;
	}
	out = sqlite3_str_new(NULL);
	for (i = 0; i < s->ntables; i++) {
		/* One CREATE COLLATION, first. */
		if (render_pg_needs_nocase(&s->tables[i]) && !nocase++)
			sqlite3_str_appendall(out, PG_NOCASE_DDL ";\n");
	}
	for (i = 0; i < s->ntables; i++) {
		if (render_pg_create_plain(out, &s->tables[i], cause) == -1) {
			free(xstr_finish(out));
			return -1;
		}
	}
	*sql = xstr_finish(out);
	return 0;
}
