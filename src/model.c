/*
 * The application's tables, exodb's equivalent of the SQLAlchemy metadata that
 * Flask-Migrate compares with the database. They are written as SQL in
 * src/model.sql, which the build compiles in (build/model-sql.c), or in a file
 * named at run time. Either is run in an in-memory database and read back by
 * introspect.c, the code that reads the live database: the differ compares
 * like with like by construction.
 *
 * What SQL cannot say is a comment on a column's line in a CREATE TABLE:
 *
 *	email VARCHAR(120) NOT NULL,	-- exodb: renamed from mail
 *
 * tells the differ to rename column mail rather than drop it and add email.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "exodb.h"

#define MODEL_NOTE	"-- exodb:"
#define MODEL_RENAMED	"renamed from"

/* A "-- exodb:" comment of the file, and whether a column took it. */
struct model_note {
	const char	*text;		/* after "-- exodb:" */
	size_t		 len;
	unsigned	 line;
	int		 used;
};

/* The rename a note asks for: column of table was called was. */
struct model_rename {
	char		*table;
	char		*column;
	char		*was;
	unsigned	 line;
};

/* What loading one file found, beside the schema itself. */
struct model_load {
	const char		*name;	/* the file, for messages */
	const char		*sql;
	struct model_note	*notes;
	size_t			 nnotes;
	struct model_rename	*renames;
	size_t			 nrenames;
	/* Set by the authorizer while a statement is prepared. */
	int			 kind;	/* SQLITE_CREATE_TABLE, ... or 0 */
	char			*table;	/* the table a CREATE TABLE makes */
	char			*refused;
};

static int
model_is_schema_table(const char *name)
{
	return name != NULL && (strcmp(name, "sqlite_master") == 0 ||
	    strcmp(name, "sqlite_temp_master") == 0);
}

/*
 * SQLite says what each statement does as it is prepared: the first action
 * that is not its own bookkeeping in sqlite_master is the statement's kind.
 * Only permanent tables, indexes, views and triggers may be made; anything
 * else (an INSERT, a PRAGMA, a virtual or temporary table, CREATE TABLE AS
 * SELECT) is refused before it runs.
 */
static int
model_authorize(void *arg, int code, const char *a, const char *b,
    const char *dbname, const char *trigger)
{
	struct model_load	*ml = arg;

	(void)b;
	(void)dbname;
	if (ml->refused != NULL)
		return SQLITE_DENY;
	if (trigger != NULL)
		return SQLITE_OK;
	switch (code) {
	case SQLITE_INSERT:
	case SQLITE_UPDATE:
	case SQLITE_DELETE:
		if (model_is_schema_table(a))
			return SQLITE_OK;
		break;
	case SQLITE_CREATE_TABLE:
	case SQLITE_CREATE_INDEX:
	case SQLITE_CREATE_VIEW:
	case SQLITE_CREATE_TRIGGER:
		/* A UNIQUE or PRIMARY KEY constraint's own index. */
		if (code == SQLITE_CREATE_INDEX &&
		    ml->kind == SQLITE_CREATE_TABLE && a != NULL &&
		    strncmp(a, "sqlite_autoindex_", 17) == 0)
			return SQLITE_OK;
		if (ml->kind != 0)
			break;
		ml->kind = code;
		if (code == SQLITE_CREATE_TABLE)
			ml->table = xstrdup(a);
		return SQLITE_OK;
	case SQLITE_CREATE_VTABLE:
		ml->refused = xasprintf("virtual table %s is not supported: "
		    "exodb does not manage virtual tables", a);
		return SQLITE_DENY;
	case SQLITE_CREATE_TEMP_TABLE:
	case SQLITE_CREATE_TEMP_INDEX:
	case SQLITE_CREATE_TEMP_VIEW:
	case SQLITE_CREATE_TEMP_TRIGGER:
		ml->refused = xasprintf("temporary %s is not part of a database's "
		    "schema", a);
		return SQLITE_DENY;
	case SQLITE_SELECT:
		if (ml->kind == SQLITE_CREATE_TABLE) {
			ml->refused = xasprintf("CREATE TABLE %s AS SELECT is "
			    "not supported: write its columns", ml->table);
			return SQLITE_DENY;
		}
		/* FALLTHROUGH */
	case SQLITE_READ:
	case SQLITE_FUNCTION:
	case SQLITE_RECURSIVE:
	case SQLITE_REINDEX:
		/* What a view, an index or a CHECK reads as it is made. */
		if (ml->kind != 0 || model_is_schema_table(a))
			return SQLITE_OK;
		break;
	default:
		break;
	}
	if (ml->kind == 0)
		ml->refused = xstrdup("only CREATE TABLE, INDEX, VIEW and TRIGGER "
		    "statements may be in a model");
	else
		ml->refused = xasprintf("a CREATE statement that also does "
		    "something else (authorizer action %d)", code);
	return SQLITE_DENY;
}

/* The line of byte offset off in the model's text, from 1. */
static unsigned
model_line(const struct model_load *ml, size_t off)
{
	const char	*p;
	unsigned	 line = 1;

	for (p = ml->sql; p < ml->sql + off && *p != '\0'; p++)
		line += *p == '\n';
	return line;
}

/* Every "-- exodb:" comment of the file, so none is silently ignored. */
static void
model_find_notes(struct model_load *ml)
{
	struct lex	 lx;
	const char	*tok;
	size_t		 len, n = strlen(MODEL_NOTE);
	enum lex_token	 t;
	unsigned	 line;

	lex_init(&lx, ml->sql, strlen(ml->sql), 1);
	for (;;) {
		line = lx.line;
		if ((t = lex_next(&lx, &tok, &len)) == LEX_EOF)
			break;
		if (t != LEX_COMMENT || len < n ||
		    strncasecmp(tok, MODEL_NOTE, n) != 0)
			continue;
		ml->notes = xreallocarray(ml->notes, ml->nnotes + 1,
		    sizeof *ml->notes);
		ml->notes[ml->nnotes].text = tok + n;
		ml->notes[ml->nnotes].len = len - n;
		ml->notes[ml->nnotes].line = line;
		ml->notes[ml->nnotes++].used = 0;
	}
}

/* "renamed from NAME", NAME bare or quoted, into *was. */
static int
model_parse_note(const char *text, size_t len, char **was, char **cause)
{
	struct lex	 lx;
	const char	*tok;
	size_t		 tlen, n = strlen(MODEL_RENAMED);
	enum lex_token	 t;

	while (len > 0 && (*text == ' ' || *text == '\t')) {
		text++;
		len--;
	}
	if (len < n || strncasecmp(text, MODEL_RENAMED, n) != 0 ||
	    (len > n && text[n] != ' ' && text[n] != '\t')) {
		*cause = xasprintf("unknown annotation '%.*s'; the one there is: "
		    "'-- exodb: renamed from OLD'", (int)(len > 40 ? 40 : len),
		    text);
		return -1;
	}
	lex_init(&lx, text + n, len - n, 1);
	t = lex_next_token(&lx, &tok, &tlen);
	if ((t != LEX_WORD && t != LEX_IDENT) ||
	    lex_next_token(&lx, &tok, &tlen) != LEX_EOF) {
		*cause = xstrdup("'renamed from' needs one column name");
		return -1;
	}
	lex_init(&lx, text + n, len - n, 1);
	lex_next_token(&lx, &tok, &tlen);
	*was = lex_unquote(tok, tlen);
	return 0;
}

/*
 * The notes inside a CREATE TABLE statement (text at offset off of the
 * file): each belongs to the column whose definition starts on its line.
 */
static int
model_table_notes(struct model_load *ml, const char *table, size_t off,
    size_t len, char **cause)
{
	struct lex		 lx;
	struct model_rename	*r;
	const char		*tok;
	size_t			 tlen, i;
	enum lex_token		 t;
	unsigned		 line, item_line = 0;
	int			 depth = 0, item_start = 0;
	char			*column = NULL, *was = NULL;
	int			 ret = -1;

	lex_init(&lx, ml->sql + off, len, model_line(ml, off));
	for (;;) {
		line = lx.line;
		if ((t = lex_next(&lx, &tok, &tlen)) == LEX_EOF)
			break;
		if (t == LEX_SPACE)
			continue;
		if (t == LEX_COMMENT) {
			if (tlen < strlen(MODEL_NOTE) || strncasecmp(tok,
			    MODEL_NOTE, strlen(MODEL_NOTE)) != 0)
				continue;
			for (i = 0; i < ml->nnotes; i++) {
				if (ml->notes[i].text == tok + strlen(MODEL_NOTE))
					ml->notes[i].used = 1;
			}
			if (column == NULL || item_line != line) {
				*cause = xasprintf("%s:%u: the annotation is not "
				    "on the line where a column of %s starts",
				    ml->name, line, table);
				goto out;
			}
			if (model_parse_note(tok + strlen(MODEL_NOTE), tlen -
			    strlen(MODEL_NOTE), &was, cause) == -1) {
				was = *cause;
				*cause = xasprintf("%s:%u: %s", ml->name, line,
				    was);
				free(was);
				was = NULL;
				goto out;
			}
			ml->renames = xreallocarray(ml->renames,
			    ml->nrenames + 1, sizeof *ml->renames);
			r = &ml->renames[ml->nrenames++];
			r->table = xstrdup(table);
			r->column = xstrdup(column);
			r->was = was;
			r->line = line;
			was = NULL;
			continue;
		}
		if (t == LEX_LPAREN && ++depth == 1) {
			item_start = 1;
			continue;
		}
		if (t == LEX_RPAREN)
			depth--;
		if (depth == 1 && t == LEX_COMMA) {
			item_start = 1;
			continue;
		}
		if (depth == 1 && item_start) {
			item_start = 0;
			free(column);
			column = NULL;
			item_line = line;
			if (t == LEX_IDENT || (t == LEX_WORD &&
			    !lex_word_is(tok, tlen, "CONSTRAINT") &&
			    !lex_word_is(tok, tlen, "PRIMARY") &&
			    !lex_word_is(tok, tlen, "UNIQUE") &&
			    !lex_word_is(tok, tlen, "CHECK") &&
			    !lex_word_is(tok, tlen, "FOREIGN")))
				column = lex_unquote(tok, tlen);
		}
	}
	ret = 0;
out:
	free(column);
	return ret;
}

/* Run the model's statements one by one, each checked by the authorizer. */
static int
model_run(sqlite3 *db, struct model_load *ml, char **cause)
{
	sqlite3_stmt	*stmt = NULL;
	struct lex	 lx;
	const char	*p = ml->sql, *tail, *tok;
	size_t		 off, len;
	int		 rc, off_err, n = 0;

	sqlite3_set_authorizer(db, model_authorize, ml);
	while (*p != '\0') {
		ml->kind = 0;
		free(ml->table);
		ml->table = NULL;
		rc = sqlite3_prepare_v2(db, p, -1, &stmt, &tail);
		if (rc == SQLITE_OK && stmt == NULL)
			break;	/* only spaces and comments were left */
		/* The statement's first token, for its line. */
		lex_init(&lx, p, strlen(p), 1);
		lex_next_token(&lx, &tok, &len);
		off = (size_t)(tok - ml->sql);
		if (rc != SQLITE_OK) {
			if ((off_err = sqlite3_error_offset(db)) >= 0)
				off = (size_t)(p - ml->sql) + (size_t)off_err;
			*cause = xasprintf("%s:%u: %s", ml->name,
			    model_line(ml, off), ml->refused != NULL ?
			    ml->refused : sqlite3_errmsg(db));
			goto fail;
		}
		if (ml->kind == 0) {
			/* Such as a DROP TABLE IF EXISTS that finds nothing. */
			*cause = xasprintf("%s:%u: only CREATE TABLE, INDEX, VIEW "
			    "and TRIGGER statements may be in a model",
			    ml->name, model_line(ml, off));
			goto fail;
		}
		if ((rc = sqlite3_step(stmt)) != SQLITE_DONE) {
			*cause = xasprintf("%s:%u: %s", ml->name,
			    model_line(ml, off), ml->refused != NULL ?
			    ml->refused : sqlite3_errmsg(db));
			goto fail;
		}
		sqlite3_finalize(stmt);
		stmt = NULL;
		if (ml->kind == SQLITE_CREATE_TABLE && model_table_notes(ml,
		    ml->table, off, (size_t)(tail - ml->sql) - off, cause) == -1)
			goto fail;
		n++;
		p = tail;
	}
	sqlite3_set_authorizer(db, NULL, NULL);
	if (n == 0) {
		*cause = xasprintf("%s: no CREATE statement: a model without "
		    "tables would drop them all", ml->name);
		return -1;
	}
	return 0;
fail:
	sqlite3_finalize(stmt);
	sqlite3_set_authorizer(db, NULL, NULL);
	return -1;
}

/*
 * What introspection reads but exodb cannot manage, and tables named like
 * exodb's own.
 */
static int
model_refuse(const struct model_load *ml, const struct schema *s,
    char **cause)
{
	const struct table	*t;
	size_t			 i, j;

	for (i = 0; i < s->ntables; i++) {
		t = &s->tables[i];
		if (strncasecmp(t->name, REBUILD_PREFIX,
		    strlen(REBUILD_PREFIX)) == 0) {
			*cause = xasprintf("%s: table %s: names starting with "
			    "%s are exodb's own", ml->name, t->name,
			    REBUILD_PREFIX);
			return -1;
		}
		for (j = 0; j < t->ncolumns; j++) {
			if (t->columns[j].hidden == 2 ||
			    t->columns[j].hidden == 3) {
				*cause = xasprintf("%s: table %s: generated "
				    "column %s is not supported", ml->name,
				    t->name, t->columns[j].name);
				return -1;
			}
		}
	}
	return 0;
}

/*
 * SQLite takes a bare word after DEFAULT (DEFAULT NIQUE, a typo for UNIQUE)
 * as the text of that word, where any other place in SQL would read it as a
 * column's name. A default must stand alone as an expression, so each one is
 * prepared as "SELECT default" in the model's database: a bare word is "no
 * such column" there, and is refused now rather than stored as text; a
 * default SQLite could not evaluate (an unknown function) is refused too.
 */
static int
model_check_defaults(sqlite3 *db, const struct model_load *ml,
    const struct schema *s, char **cause)
{
	const struct table	*t;
	const struct column	*c;
	sqlite3_stmt		*stmt;
	char			*sql;
	size_t			 i, j;
	int			 rc;

	for (i = 0; i < s->ntables; i++) {
		t = &s->tables[i];
		for (j = 0; j < t->ncolumns; j++) {
			c = &t->columns[j];
			if (c->dflt == NULL)
				continue;
			sql = xasprintf("SELECT %s", c->dflt);
			rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
			sqlite3_finalize(stmt);
			free(sql);
			if (rc == SQLITE_OK)
				continue;
			if (rc == SQLITE_NOMEM)
				*cause = xstrdup("out of memory");
			else if (strncmp(sqlite3_errmsg(db), "no such column",
			    14) == 0)
				*cause = xasprintf("%s: table %s: column %s: "
				    "DEFAULT %s is a bare word, which SQLite "
				    "would store as text; quote it as a string "
				    "if text is meant", ml->name, t->name,
				    c->name, c->dflt);
			else
				*cause = xasprintf("%s: table %s: column %s: "
				    "DEFAULT %s: %s", ml->name, t->name,
				    c->name, c->dflt, sqlite3_errmsg(db));
			return -1;
		}
	}
	return 0;
}

static int
model_apply_renames(const struct model_load *ml, struct schema *s,
    char **cause)
{
	const struct model_rename	*r;
	const struct table		*ct;
	struct column			*c;
	size_t				 i;

	for (i = 0; i < ml->nrenames; i++) {
		r = &ml->renames[i];
		if ((ct = schema_table(s, r->table)) == NULL ||
		    (c = (struct column *)schema_column(ct, r->column)) ==
		    NULL) {
			*cause = xasprintf("%s:%u: the annotation is not on a "
			    "column of %s", ml->name, r->line, r->table);
			return -1;
		}
		if (schema_column(ct, r->was) != NULL) {
			*cause = xasprintf("%s:%u: %s.%s is renamed from %s, "
			    "but %s has a column %s", ml->name, r->line,
			    r->table, r->column, r->was, r->table, r->was);
			return -1;
		}
		if (c->was != NULL) {
			*cause = xasprintf("%s:%u: %s.%s is renamed twice",
			    ml->name, r->line, r->table, r->column);
			return -1;
		}
		c->was = schema_strdup(s, r->was);
	}
	return 0;
}

static void
model_load_free(struct model_load *ml)
{
	size_t	i;

	for (i = 0; i < ml->nrenames; i++) {
		free(ml->renames[i].table);
		free(ml->renames[i].column);
		free(ml->renames[i].was);
	}
	free(ml->renames);
	free(ml->notes);
	free(ml->table);
	free(ml->refused);
}

/*
 * Load the model whose SQL is text (named name in messages) into *out, which
 * the caller frees with schema_free(). Refuses, with the file and line, SQL
 * that does not run, statements other than CREATE TABLE, INDEX, VIEW and
 * TRIGGER, virtual tables, generated columns, a bare word as a DEFAULT, a
 * file without statements and annotations it cannot place.
 */
int
model_parse(const char *name, const char *text, struct schema **out,
    char **cause)
{
	struct model_load	 ml;
	sqlite3			*db = NULL;
	struct schema		*s = NULL;
	size_t			 i;
	int			 ret = -1;

	*out = NULL;
	memset(&ml, 0, sizeof ml);
	ml.name = name;
	ml.sql = text;
	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		*cause = xasprintf("%s: cannot open an in-memory database: %s",
		    name, sqlite3_errmsg(db));
		goto out;
	}
	model_find_notes(&ml);
	if (model_run(db, &ml, cause) == -1)
		goto out;
	for (i = 0; i < ml.nnotes; i++) {
		if (!ml.notes[i].used) {
			*cause = xasprintf("%s:%u: the annotation is not inside "
			    "a CREATE TABLE, on a column's line", name,
			    ml.notes[i].line);
			goto out;
		}
	}
	if (introspect_schema(db, &s, cause) == -1)
		goto out;
	if (model_refuse(&ml, s, cause) == -1 ||
	    model_check_defaults(db, &ml, s, cause) == -1 ||
	    model_apply_renames(&ml, s, cause) == -1)
		goto out;
	*out = s;
	s = NULL;
	ret = 0;
out:
	schema_free(s);
	sqlite3_close(db);
	model_load_free(&ml);
	return ret;
}

/* The text of a model file; the caller frees it. */
static int
model_read(const char *path, char **text, char **cause)
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 n = 0;
	ssize_t		 r;
	int		 fd;

	*text = NULL;
	if ((fd = open(path, O_RDONLY | O_NOCTTY)) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		*cause = xasprintf("%s: %s", path, S_ISDIR(st.st_mode) ?
		    "is a folder, not a model file" : "not a regular file");
		close(fd);
		return -1;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (n < (size_t)st.st_size &&
	    (r = read(fd, buf + n, (size_t)st.st_size - n)) != 0) {
		if (r == -1) {
			if (errno == EINTR)
				continue;
			*cause = xasprintf("%s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	if (strlen(buf) != n) {
		*cause = xasprintf("%s: contains a NUL byte", path);
		free(buf);
		return -1;
	}
	*text = buf;
	return 0;
}

/*
 * The model in file path, or the compiled-in one when path is NULL, into
 * *out (the caller frees it with schema_free()).
 */
int
model_load(const char *path, struct schema **out, char **cause)
{
	char	*text;
	int	 ret;

	if (path == NULL)
		return model_parse(model_builtin_name, model_builtin, out,
		    cause);
	if (model_read(path, &text, cause) == -1) {
		*out = NULL;
		return -1;
	}
	ret = model_parse(path, text, out, cause);
	free(text);
	return ret;
}

/*
 * The compiled-in model, loaded once, or NULL if it does not load (the build
 * checks that it does). It lives until exit.
 */
const struct schema *
model_schema(void)
{
	static struct schema	*builtin;
	char			*cause = NULL;

	if (builtin == NULL && model_load(NULL, &builtin, &cause) == -1)
		free(cause);
	return builtin;
}

/* The model as the differ sees it, as SQL: what 'db model' prints. */
char *
model_render(const struct schema *s)
{
	return render_model(s);
}

/* The SHA-256 of the model's rendering, in hex; the caller frees it. */
char *
model_fingerprint(const struct schema *s)
{
	char	*text, hex[65];

	text = model_render(s);
	revision_checksum(text, strlen(text), hex);
	free(text);
	return xstrdup(hex);
}

/*
 * Whether every rename the model declares can happen in live: a table it
 * renames a column of must have the old name or the new one already.
 */
int
model_check_renames(const struct schema *model, const struct schema *live,
    char **cause)
{
	const struct table	*t, *lt;
	const struct column	*c;
	size_t			 i, j;

	for (i = 0; i < model->ntables; i++) {
		t = &model->tables[i];
		if ((lt = schema_table(live, t->name)) == NULL)
			continue;
		for (j = 0; j < t->ncolumns; j++) {
			c = &t->columns[j];
			if (c->was == NULL || schema_column(lt, c->name) != NULL ||
			    schema_column(lt, c->was) != NULL)
				continue;
			*cause = xasprintf("the model renames %s.%s from %s, but "
			    "the database's %s has no column %s", t->name,
			    c->name, c->was, t->name, c->was);
			return -1;
		}
	}
	return 0;
}
