/*
 * The migration chain as a schema: every revision of migrations/ replayed, in
 * graph order, on an in-memory database. That is the schema every database
 * the chain builds has, whatever one local database holds, so it is what
 * db migrate diffs the model against and what db check, db baseline and the
 * drift report compare the live database with.
 *
 * Drift is what the live database holds that the chain does not build, or
 * the reverse: both sides are read by the same code (introspect.c, and one
 * query for triggers and views), without the history table, Flask-Migrate's
 * alembic_version and SQLite's own tables.
 */
#include <stdlib.h>
#include <string.h>

#include <nettle/sha2.h>

#include "exodb.h"

/* Flask-Migrate's table: neither the chain's business nor drift. */
#define CHAIN_ALEMBIC	"alembic_version"

/*
 * A new in-memory database, configured as db_open() configures every
 * connection (no double-quoted strings); the caller closes *out.
 */
int
chain_open(sqlite3 **out, char **cause)
{
	sqlite3	*db = NULL;

	*out = NULL;
	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		sqlite3_close(db);
		*cause = xstrdup("cannot open an in-memory database");
		return -1;
	}
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, NULL);
	*out = db;
	return 0;
}

/*
 * Replay every revision of repo, oldest first, on a new in-memory database,
 * through the runner's guard (so a revision it would refuse fails here too),
 * all in one transaction. On success the caller closes *out; its history
 * table is empty. A revision that fails names its file and line.
 */
int
chain_replay(const struct repo *repo, sqlite3 **out, char **cause)
{
	struct plan	 plan;
	sqlite3		*db = NULL;
	char		*why = NULL;

	*out = NULL;
	if (chain_open(&db, cause) == -1)
		return -1;
	/*
	 * Small pages: thousands of tables of no rows are a root page each,
	 * and the image chain-cache.c keeps is read and hashed whole. 1024
	 * bytes: a quarter of the image 4096 makes, for the same replay time
	 * (512 costs 4% more instructions at 2,000 revisions: more pages of
	 * sqlite_schema to scan after each CREATE).
	 */
	if (db_exec(db, "PRAGMA page_size = 1024", cause) == -1) {
		sqlite3_close(db);
		return -1;
	}
	memset(&plan, 0, sizeof plan);
	plan.up = 1;
	plan.revs = repo->revs;
	plan.nrevs = repo->nrevs;
	if (plan.nrevs > 0 && migrate_replay(db, &plan, &why) == -1) {
		*cause = xasprintf("the migration chain does not replay on an "
		    "empty database: %s", why);
		free(why);
		sqlite3_close(db);
		return -1;
	}
	*out = db;
	return 0;
}

/*
 * Repo's chain as a command uses it, into *out (the caller frees it with
 * chain_free()): from the cache of chain-cache.c when it has it, where the
 * database itself is opened only if chain_db() asks for it; else replayed,
 * introspected and kept in the cache. The same chain either way; a cache that
 * cannot be read or written changes nothing but the time taken.
 */
int
chain_new(const struct repo *repo, struct chain **out, char **cause)
{
	struct chain	*c;

	*out = NULL;
	c = xcalloc(1, sizeof *c);
	c->repo = repo;
	if (chain_cache_load(repo, c) == -1) {
		if (chain_replay(repo, &c->db, cause) == -1 ||
		    introspect_schema(c->db, &c->schema, cause) == -1 ||
		    chain_text(c->db, c->text, cause) == -1) {
			chain_free(c);
			return -1;
		}
		chain_cache_save(repo, c);
	}
	*out = c;
	return 0;
}

/*
 * The replay itself (c keeps it): the cached image, or, when that is not
 * whole, the replay again (and the cache mended). NULL, with *cause, when the
 * chain no longer replays.
 */
sqlite3 *
chain_db(struct chain *c, char **cause)
{
	if (c->db != NULL || chain_cache_image(c) == 0)
		return c->db;
	if (chain_replay(c->repo, &c->db, cause) == -1)
		return NULL;
	/* The schema read again if the caller has taken it, to mend with. */
	if (c->schema != NULL || introspect_schema(c->db, &c->schema,
	    cause) == 0)
		chain_cache_save(c->repo, c);
	else {
		free(*cause);
		*cause = NULL;
	}
	return c->db;
}

void
chain_free(struct chain *c)
{
	if (c == NULL)
		return;
	chain_cache_free(c->cache);
	sqlite3_close(c->db);
	schema_free(c->schema);
	free(c);
}

/* chain_new()'s replay alone, for what needs only the database. */
int
chain_load(const struct repo *repo, sqlite3 **out, char **cause)
{
	struct chain	*c;

	*out = NULL;
	if (chain_new(repo, &c, cause) == -1)
		return -1;
	if (chain_db(c, cause) != NULL) {
		*out = c->db;
		c->db = NULL;
	}
	chain_free(c);
	return *out != NULL ? 0 : -1;
}

/*
 * The SHA-256 of db's sqlite_schema, every row (type, name, table, SQL text)
 * in one order, into text: two databases with the same one have the same
 * schema to every pragma and to introspect_schema(), which reads nothing
 * else.
 */
int
chain_text(sqlite3 *db, unsigned char text[CHAIN_DIGEST_SIZE], char **cause)
{
	struct sha256_ctx	 ctx;
	sqlite3_stmt		*stmt = NULL;
	const unsigned char	*v;
	int			 rc, i;

	if (db_prepare(db, &stmt, cause, "SELECT type, name, tbl_name, sql "
	    "FROM main.sqlite_schema ORDER BY type, name") == -1)
		return -1;
	sha256_init(&ctx);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		/* Each value tagged, and ended by its NUL: no two lists alike. */
		for (i = 0; i < 4; i++) {
			if ((v = sqlite3_column_text(stmt, i)) == NULL) {
				sha256_update(&ctx, 1, (const uint8_t *)"n");
				continue;
			}
			sha256_update(&ctx, 1, (const uint8_t *)"t");
			sha256_update(&ctx, (size_t)sqlite3_column_bytes(stmt,
			    i) + 1, v);
		}
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		*cause = db_error(db);
		return -1;
	}
	sha256_digest(&ctx, CHAIN_DIGEST_SIZE, text);
	return 0;
}

/*
 * The schema of db as the chain and drift see it: introspect_schema()'s,
 * without alembic_version. The caller frees *out.
 */
int
chain_schema(sqlite3 *db, struct schema **out, char **cause)
{
	struct schema	*s;
	size_t		 i;

	if (introspect_schema(db, &s, cause) == -1)
		return -1;
	for (i = 0; i < s->ntables; i++) {
		if (schema_same_name(s->tables[i].name, CHAIN_ALEMBIC)) {
			schema_remove_table(s, i);
			break;
		}
	}
	*out = s;
	return 0;
}

void
chain_objects_free(struct chain_objects *o)
{
	size_t	i;

	if (o == NULL)
		return;
	for (i = 0; i < o->n; i++) {
		free(o->type[i]);
		free(o->name[i]);
		free(o->table[i]);
		free(o->sql[i]);
	}
	free(o->type);
	free(o->name);
	free(o->table);
	free(o->sql);
	free(o);
}

/*
 * The triggers and views of db's main database, in the order they were
 * made, with their CREATE texts: what introspect_schema() keeps only in part
 * (a trigger on a view belongs to no table). The caller frees *out.
 */
int
chain_objects(sqlite3 *db, struct chain_objects **out, char **cause)
{
	struct chain_objects	*o;
	sqlite3_stmt		*stmt = NULL;
	int			 rc;

	*out = NULL;
	if (db_prepare(db, &stmt, cause, "SELECT type, name, tbl_name, sql "
	    "FROM sqlite_schema WHERE type IN ('trigger', 'view') AND "
	    "sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%%' ESCAPE '\\' AND "
	    "tbl_name NOT IN (%Q, %Q) ORDER BY rowid", HISTORY_TABLE,
	    CHAIN_ALEMBIC) == -1)
		return -1;
	o = xcalloc(1, sizeof *o);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		o->type = xreallocarray(o->type, o->n + 1, sizeof *o->type);
		o->name = xreallocarray(o->name, o->n + 1, sizeof *o->name);
		o->table = xreallocarray(o->table, o->n + 1, sizeof *o->table);
		o->sql = xreallocarray(o->sql, o->n + 1, sizeof *o->sql);
		o->type[o->n] = xstrdup((const char *)
		    sqlite3_column_text(stmt, 0));
		o->name[o->n] = xstrdup((const char *)
		    sqlite3_column_text(stmt, 1));
		o->table[o->n] = xstrdup((const char *)
		    sqlite3_column_text(stmt, 2));
		o->sql[o->n] = xstrdup((const char *)
		    sqlite3_column_text(stmt, 3));
		o->n++;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		*cause = db_error(db);
		chain_objects_free(o);
		return -1;
	}
	*out = o;
	return 0;
}

/* Where o has an object of that type and name, or -1. */
long
chain_objects_find(const struct chain_objects *o, const char *type,
    const char *name)
{
	size_t	i;

	for (i = 0; i < o->n; i++) {
		if (strcmp(o->type[i], type) == 0 &&
		    schema_same_name(o->name[i], name))
			return (long)i;
	}
	return -1;
}

/* Whether object i of a and object j of b are alike. */
int
chain_objects_same(const struct chain_objects *a, size_t i,
    const struct chain_objects *b, size_t j)
{
	return strcmp(a->type[i], b->type[j]) == 0 &&
	    schema_same_name(a->name[i], b->name[j]) &&
	    schema_same_text(a->sql[i], b->sql[j]);
}

void
chain_drift_free(struct chain_drift *d)
{
	size_t	i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nitems; i++)
		free(d->items[i]);
	free(d->items);
	free(d);
}

/* Add an item (taking it) to d, made one line. */
void
chain_drift_item(struct chain_drift *d, char *item)
{
	char	*p;

	/* Names come from the database: keep each item one line. */
	for (p = item; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	d->items = xreallocarray(d->items, d->nitems + 1, sizeof *d->items);
	d->items[d->nitems++] = item;
}

/*
 * What an operation from the chain's schema to the live one says of drift,
 * as one item; the caller frees it.
 */
char *
chain_drift_describe(const struct op *op)
{
	static const char *db = "in the database, not in the chain";
	static const char *chain = "in the chain, not in the database";

	switch (op->type) {
	case OP_CREATE_TABLE:
		return xasprintf("table %s: %s", op->to->name, db);
	case OP_DROP_TABLE:
		return xasprintf("table %s: %s", op->from->name, chain);
	case OP_ADD_COLUMN:
		return xasprintf("column %s.%s: %s", op->to->name,
		    op->column->name, db);
	case OP_DROP_COLUMN:
		return xasprintf("column %s.%s: %s", op->from->name,
		    op->column->name, chain);
	case OP_CREATE_INDEX:
		return xasprintf("index %s on %s: %s", op->index->name,
		    op->to->name, db);
	case OP_DROP_INDEX:
		return xasprintf("index %s on %s: %s", op->index->name,
		    op->from->name, chain);
	case OP_CREATE_VIEW:
		return xasprintf("view %s: %s", op->name, db);
	case OP_DROP_VIEW:
		return xasprintf("view %s: %s", op->name, chain);
	case OP_CREATE_TRIGGER:
		return xasprintf("trigger %s: %s", op->name, db);
	case OP_DROP_TRIGGER:
		return xasprintf("trigger %s: %s", op->name, chain);
	case OP_RENAME_COLUMN:
	case OP_REBUILD_TABLE:
		break;
	}
	/* "users.role default 'user' -> 'member'": chain, then database. */
	return xasprintf("table %s differs from the chain's: %s",
	    op->from->name, op->why != NULL ? op->why : "renamed column");
}

/*
 * The drift of live from the chain: each object one side has and the other
 * has not, or has otherwise, as one line in (*out)->items, tables and their
 * columns and indexes first, then triggers and views. No items: no drift.
 * The caller frees *out with chain_drift_free().
 */
int
chain_drift(sqlite3 *chain, sqlite3 *live, struct chain_drift **out,
    char **cause)
{
	struct schema	*cs;
	int		 ret;

	*out = NULL;
	if (introspect_schema(chain, &cs, cause) == -1)
		return -1;
	ret = chain_drift_from(cs, chain, live, out, cause);
	schema_free(cs);
	return ret;
}

/*
 * chain_drift() with the chain's schema already read (introspect_schema() of
 * chain, which it leaves as it is): a command that needs it anyway reads
 * thousands of tables once, not twice.
 */
int
chain_drift_from(const struct schema *cs, sqlite3 *chain, sqlite3 *live,
    struct chain_drift **out, char **cause)
{
	struct schema		 from, *to = NULL;
	struct chain_objects	*oa = NULL, *ob = NULL;
	struct chain_drift	*d;
	struct diff		*ops = NULL;
	size_t			 i;
	long			 j;
	int			 ret = -1;

	*out = NULL;
	d = xcalloc(1, sizeof *d);
	/* cs as chain_schema() would have it: a shallow copy, its tables but one. */
	from = *cs;
	from.tables = xcalloc(cs->ntables + 1, sizeof *from.tables);
	from.ntables = 0;
	for (i = 0; i < cs->ntables; i++) {
		if (!schema_same_name(cs->tables[i].name, CHAIN_ALEMBIC))
			from.tables[from.ntables++] = cs->tables[i];
	}
	if (chain_schema(live, &to, cause) == -1 ||
	    diff_schemas(&from, to, DIFF_DROP_UNKNOWN, &ops, cause) == -1 ||
	    chain_objects(chain, &oa, cause) == -1 ||
	    chain_objects(live, &ob, cause) == -1)
		goto out;
	for (i = 0; i < ops->nops; i++)
		chain_drift_item(d, chain_drift_describe(&ops->ops[i]));
	for (i = 0; i < ob->n; i++) {
		j = chain_objects_find(oa, ob->type[i], ob->name[i]);
		if (j == -1)
			chain_drift_item(d, xasprintf("%s %s: in the database, "
			    "not in the chain", ob->type[i], ob->name[i]));
		else if (!chain_objects_same(oa, (size_t)j, ob, i))
			chain_drift_item(d, xasprintf("%s %s differs from the "
			    "chain's", ob->type[i], ob->name[i]));
	}
	for (i = 0; i < oa->n; i++) {
		if (chain_objects_find(ob, oa->type[i], oa->name[i]) == -1)
			chain_drift_item(d, xasprintf("%s %s: in the chain, not "
			    "in the database", oa->type[i], oa->name[i]));
	}
	*out = d;
	d = NULL;
	ret = 0;
out:
	chain_drift_free(d);
	diff_free(ops);
	free(from.tables);
	schema_free(to);
	chain_objects_free(oa);
	chain_objects_free(ob);
	return ret;
}

/*
 * Whether live's file has the schema format of every database SQLite has made
 * since 3.7.10, as the chain's replay has: 4 in its header, or no header yet
 * (an empty file).
 * An older format reads some of the same CREATE texts otherwise (DESC in an
 * index is ignored below 4).
 */
static int
chain_format_current(sqlite3 *live)
{
	sqlite3_file	*f = NULL;
	const char	*path = sqlite3_db_filename(live, "main");
	unsigned char	 head[48];
	int		 rc;

	/* In memory: made by this SQLite, in its format. */
	if (path == NULL || path[0] == '\0')
		return 1;
	/*
	 * Through SQLite's own descriptor: closing another one on the file
	 * would drop the process's locks on it.
	 */
	if (sqlite3_file_control(live, "main", SQLITE_FCNTL_FILE_POINTER,
	    &f) != SQLITE_OK || f == NULL || f->pMethods == NULL)
		return 0;
	rc = f->pMethods->xRead(f, head, (int)sizeof head, 0);
	if (rc == SQLITE_IOERR_SHORT_READ) {
		/* An empty file has no schema to read otherwise. */
		return head[0] == 0;
	}
	return rc == SQLITE_OK && head[44] == 0 && head[45] == 0 &&
	    head[46] == 0 && head[47] == 4;
}

/*
 * The drift of live from chain c, whose schema is cs (NULL: c's own): none,
 * without reading either schema, when live's sqlite_schema is the chain's to
 * the byte (chain_text()) and its file of the chain's format, as it is for a
 * database the chain built.
 */
int
chain_drift_of(struct chain *c, const struct schema *cs, sqlite3 *live,
    struct chain_drift **out, char **cause)
{
	unsigned char	 text[CHAIN_DIGEST_SIZE];
	sqlite3		*db;

	*out = NULL;
	if (chain_text(live, text, cause) == -1)
		return -1;
	if (memcmp(text, c->text, sizeof text) == 0 &&
	    chain_format_current(live)) {
		*out = xcalloc(1, sizeof **out);
		return 0;
	}
	if ((db = chain_db(c, cause)) == NULL)
		return -1;
	return chain_drift_from(cs != NULL ? cs : c->schema, db, live, out,
	    cause);
}
