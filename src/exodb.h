/*
 * exodb: schema migrations and user administration for the exoplanet_analyzer
 * database. One header for the whole program, grouped by file.
 *
 * The command layer (main.c, cmd.c, cmd-*.c) has its own header, cmd.h: what
 * is declared here neither prints nor exits.
 *
 * Conventions: functions below the command layer return 0 on success and -1 on
 * failure, with *cause set to a message the caller reports and frees. A returned
 * char * belongs to the caller (free it with free()); a const char * is borrowed.
 */
#ifndef EXODB_H
#define EXODB_H

#include <stddef.h>
#include <stdarg.h>
#include <time.h>
#include <sqlite3.h>

#define EXODB_VERSION "0.1.0"

/* The history table: one row per applied revision. */
#define HISTORY_TABLE "exodb_revisions"

/* The prefix of the table a rebuild makes before renaming it into place. */
#define REBUILD_PREFIX "exodb_new_"

#define PRINTFLIKE(a, b) __attribute__((format(printf, a, b)))

/* xmalloc.c: allocation failure is fatal here, so callers never check for NULL. */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...) PRINTFLIKE(1, 2);
char	*xvasprintf(const char *, va_list) PRINTFLIKE(1, 0);
char	*xstr_finish(sqlite3_str *);

/* lex.c: a tokenizer for SQLite's SQL, to read and compare CREATE texts. */
enum lex_token {
	LEX_EOF,
	LEX_SPACE,
	LEX_COMMENT,
	LEX_WORD,		/* keyword or bare identifier */
	LEX_IDENT,		/* "quoted", `quoted` or [quoted] identifier */
	LEX_STRING,		/* 'string' */
	LEX_NUMBER,
	LEX_BLOB,		/* x'00' */
	LEX_VARIABLE,		/* ?1, :name, @name, $name */
	LEX_LPAREN,
	LEX_RPAREN,
	LEX_COMMA,
	LEX_SEMI,
	LEX_OPERATOR,
	LEX_UNTERMINATED	/* a string, identifier or comment without its end */
};
struct lex {
	const char	*p;
	const char	*end;
	unsigned	 line;	/* line of the next token, from 1 */
};
void	 lex_init(struct lex *, const char *, size_t, unsigned);
enum lex_token lex_next(struct lex *, const char **, size_t *);
enum lex_token lex_next_token(struct lex *, const char **, size_t *);
int	 lex_word_is(const char *, size_t, const char *);
char	*lex_normalize(const char *);
char	*lex_unquote(const char *, size_t);
int	 lex_mentions(const char *, const char *);
int	 lex_is_literal(const char *);

/* schema.c: one description of tables, filled by model.c or by introspect.c. */
struct column {
	const char	*name;
	const char	*type;		/* declared type as written, "" when none */
	int		 notnull;
	const char	*dflt;		/* DEFAULT expression as SQL text, or NULL */
	int		 pk;		/* position in the primary key from 1, or 0 */
	const char	*check;		/* expression of its CHECK, or NULL */
	const char	*collation;	/* COLLATE name, or NULL for BINARY */
	int		 hidden;	/* 2 or 3: a generated column (not managed) */
	const char	*was;		/* model only: the name it had before a
					   rename, so the differ renames it */
	int		 identity;	/* PostgreSQL's identity column: 'a'
					   GENERATED ALWAYS, 'd' BY DEFAULT,
					   or 0 */
};
struct index_column {
	const char	*name;
	const char	*collation;	/* NULL for BINARY */
	int		 desc;
};
struct index {
	const char		*name;
	int			 unique;
	char			 origin;	/* 'c' CREATE INDEX, 'u' UNIQUE, 'p' PK */
	struct index_column	*columns;
	size_t			 ncolumns;
	const char		*where;		/* partial index predicate, or NULL */
	const char		*sql;		/* CREATE INDEX text, when a key is
						   an expression (a NULL name) */
};
struct foreign_key {
	const char	 *table;	/* the table it references */
	const char	**from;		/* columns of this table */
	const char	**to;		/* columns referenced; NULL: its key */
	size_t		  ncolumns;
	const char	 *on_update;	/* NULL for NO ACTION */
	const char	 *on_delete;
};
struct table {
	const char	*name;
	struct column	*columns;
	size_t		 ncolumns;
	struct index	*indexes;
	size_t		 nindexes;
	const char	**checks;	/* table CHECK constraints, expressions */
	size_t		 nchecks;
	const char	*sql;		/* CREATE TABLE text from the database, or NULL */
	int		 verbatim;	/* sql holds what these structs cannot (named
					   constraints, ON CONFLICT, DEFERRABLE,
					   generated columns): re-create it from sql */
	int		 without_rowid;
	int		 strict;
	int		 autoincrement;
	struct foreign_key *fks;
	size_t		 nfks;
	const char	**triggers;	/* CREATE TRIGGER texts on this table */
	const char	**trigger_names;	/* their names (SQLite only) */
	size_t		 ntriggers;
};
struct schema {
	struct table	*tables;
	size_t		 ntables;
	const char	**views;	/* CREATE VIEW texts */
	const char	**view_names;
	size_t		 nviews;
	const char	**view_triggers;	/* the views with INSTEAD OF */
	size_t		 nview_triggers;	/* triggers, once each */
	char		**pool;		/* strings owned by this schema */
	size_t		 npool;
};
struct schema	*schema_new(void);
void		 schema_free(struct schema *);
const char	*schema_strdup(struct schema *, const char *);
const char	*schema_strndup(struct schema *, const char *, size_t);
struct table	*schema_add_table(struct schema *, const char *);
void		 schema_remove_table(struct schema *, size_t);
struct column	*schema_add_column(struct schema *, struct table *, const char *);
struct index	*schema_add_index(struct schema *, struct table *, const char *);
void		 schema_add_index_column(struct schema *, struct index *,
		    const char *, const char *, int);
const struct table *schema_table(const struct schema *, const char *);
const struct table **schema_sorted(const struct schema *);
const struct table *schema_find(const struct table **, size_t, const char *);
const struct column *schema_column(const struct table *, const char *);
const struct column *schema_match_column(const struct table *,
		    const struct column *);
const struct index *schema_index(const struct table *, const char *);
int		 schema_same_text(const char *, const char *);
int		 schema_same_name(const char *, const char *);
void		 schema_pack(const struct schema *, sqlite3_str *);
int		 schema_unpack(const void *, size_t, struct schema **);

/*
 * model.c: the application's tables, as its models.py declares them, written
 * as SQL in src/model.sql; the build compiles that file in as model_builtin
 * (build/model-sql.c).
 */
extern const char model_builtin[];
extern const char model_builtin_name[];
int	 model_parse(const char *, const char *, struct schema **, char **);
int	 model_load(const char *, struct schema **, char **);
const struct schema *model_schema(void);
char	*model_render(const struct schema *);
char	*model_fingerprint(const struct schema *);
int	 model_check_renames(const struct schema *, const struct schema *,
	    char **);

/* introspect.c */
int	 introspect_schema(sqlite3 *, struct schema **, char **);

/* diff.c: the difference between two schemas, as a list of operations. */
enum op_type {
	OP_CREATE_TABLE,
	OP_DROP_TABLE,
	OP_ADD_COLUMN,
	OP_DROP_COLUMN,
	OP_RENAME_COLUMN,
	OP_CREATE_INDEX,
	OP_DROP_INDEX,
	OP_REBUILD_TABLE,
	OP_CREATE_VIEW,
	OP_DROP_VIEW,
	OP_CREATE_TRIGGER,
	OP_DROP_TRIGGER
};
struct op {
	enum op_type		 type;
	const struct table	*from;	/* the table before: NULL when created */
	const struct table	*to;	/* the table after: NULL when dropped */
	const struct column	*column;	/* the column added, dropped, or
						   renamed (its new name) */
	const struct column	*old;		/* OP_RENAME_COLUMN: its old name */
	const struct index	*index;		/* OP_CREATE_INDEX, OP_DROP_INDEX */
	char			*why;	/* OP_REBUILD_TABLE: what changed */
	const char		*name;	/* a view's or trigger's ops: its name, */
	const char		*sql;	/* its CREATE text, */
	const char		*on;	/* a trigger's table, */
	int			 changes; /* and whether it is dropped to be
					     made anew */
	const char		**triggers;	/* OP_REBUILD_TABLE: the */
	size_t			 ntriggers;	/* triggers it makes again */
};
#define DIFF_DROP_UNKNOWN	0x1	/* drop what only "from" has */
#define DIFF_VIEWS		0x2	/* views and triggers too (SQLite) */
struct diff {
	struct op	*ops;
	size_t		 nops;
	const char	**unknown;	/* tables only in the "from" schema, kept */
	size_t		 nunknown;
	const char	**unknown_views;	/* views only in "from", kept */
	size_t		 nunknown_views;
	const char	**unknown_triggers;	/* and triggers, kept */
	size_t		 nunknown_triggers;
	int		 flags;		/* what diff_schemas() was given */
};
int	 diff_schemas(const struct schema *, const struct schema *, int,
	    struct diff **, char **);
int	 diff_invert(const struct diff *, const struct schema *,
	    struct diff **, char **);
void	 diff_free(struct diff *);
int	 diff_destructive(const struct op *);
const char *diff_op_name(enum op_type);
char	*diff_describe(const struct op *);

/* render.c: SQL text for tables, indexes and operations. */
char	*render_ident(const char *);
char	*render_table(const struct table *, const char *);
char	*render_index(const struct table *, const struct index *);
char	*render_ops(const struct diff *);
char	*render_schema(const struct schema *);
char	*render_model(const struct schema *);

/* render-pg.c: PostgreSQL DDL for the same structs and operations. */
char	*render_pg_ident(const char *);
int	 render_pg_ops(const struct diff *, char **, char **);
int	 render_pg_model(const struct schema *, char **, char **);

/*
 * autogen.c: the revision that brings the chain's schema to the model, or
 * (a baseline) to the live database's, proven.
 */
struct autogen {
	struct schema	*live;		/* the "from" schema: the chain's */
	struct diff	*up;
	struct diff	*down;
	char		*upgrade;	/* SQL */
	char		*downgrade;	/* SQL */
	char		*pg_upgrade;	/* PostgreSQL's, or NULL: see pg_why */
	char		*pg_downgrade;
	char		*pg_why;	/* why there are none, or NULL */
	struct schema	*held[3];	/* other schemas up and down point
					   into (a baseline's), or NULL */
};
int	 autogen_plan(sqlite3 *, const struct schema *, int, struct autogen **,
	    char **);
int	 autogen_plan_from(struct schema *, const struct schema *, int,
	    struct autogen **, char **);
int	 autogen_copy(sqlite3 *, sqlite3 **, char **);
int	 autogen_prove(sqlite3 *, const struct autogen *, const struct schema *,
	    int, char **);
int	 autogen_baseline(sqlite3 *, sqlite3 *, struct autogen **, char **);
void	 autogen_free(struct autogen *);

/*
 * datacheck.c: what operations would do to the rows of a live database,
 * before they run.
 */
struct datacheck {
	char		**notes;	/* values filled: "100 NULL values of
					   users.role become 'user'" */
	size_t		  nnotes;
	char		**refusals;	/* rows a constraint would reject, named,
					   with the fix */
	size_t		  nrefusals;
};
int	 datacheck_run(sqlite3 *, const struct diff *, const struct schema *,
	    struct datacheck **, char **);
void	 datacheck_free(struct datacheck *);
char	*datacheck_dropped(sqlite3 *, const struct diff *, int *);
struct revision;
struct plan;
int	 datacheck_revision(sqlite3 *, struct revision *, int,
	    struct datacheck **, char **);
int	 datacheck_plan_drops(sqlite3 *, const struct plan *, char **,
	    char **);

/*
 * revision.c: one revision file. It has a pair of sections (upgrade and
 * downgrade) per SQL dialect it is written for.
 */
#define REVISION_MESSAGE_MAX 200	/* bytes of a new revision's message */
enum dialect {
	DIALECT_SQLITE,		/* "-- +upgrade", "-- +downgrade" */
	DIALECT_POSTGRESQL	/* "-- +upgrade postgresql", ... */
};
#define DIALECT_COUNT 2
struct revision {
	char		 *id;		/* YYYYMMDDHHMMSS */
	char		 *file;		/* its name inside versions/ */
	char		 *path;		/* the path shown to the user */
	char		 *message;
	char		 *created;
	char		 *model;	/* fingerprint of the model it was made
					   from, or NULL */
	char		**parents;
	size_t		  nparents;
	char		**destructive;	/* the "-- destructive:" lines */
	size_t		  ndestructive;
	char		**data;		/* the "-- data:" lines: what db migrate
					   found the upgrade does to rows */
	size_t		  ndata;
	/*
	 * The SQL of each section, NULL when the file has none; read them
	 * with revision_sql(). upgrade and downgrade are SQLite's.
	 */
	char		 *upgrade;	/* "-- +upgrade" */
	unsigned	  upgrade_line;	/* its first line, from 1 */
	char		 *downgrade;	/* "-- +downgrade" */
	unsigned	  downgrade_line;
	char		 *pg_upgrade;	/* "-- +upgrade postgresql" */
	unsigned	  pg_upgrade_line;
	char		 *pg_downgrade;	/* "-- +downgrade postgresql" */
	unsigned	  pg_downgrade_line;
	char		  checksum[65];	/* SHA-256 of the file, hex */
	int		  packed;	/* parsed: one allocation, all fixed */
	/* Filled by repo.c. */
	size_t		  order;	/* position in topological order */
	struct revision	**parent_revs;
	struct revision	**children;	/* in topological order; the repo's */
	size_t		  nchildren;
	int		  is_head;
};
int	 revision_parse(const char *, const char *, const char *, size_t,
	    struct revision **, char **);
void	 revision_free(struct revision *);
char	*revision_slug(const char *);
void	 revision_checksum(const char *, size_t, char[65]);
int	 revision_file_checksum(const char *, char[65]);
char	*revision_format(const struct revision *);
int	 revision_check_message(const char *, char **);
size_t	 revision_add_destructive(struct revision *, const struct diff *, int);
int	 revision_valid_id(const char *);
const char *revision_sql(const struct revision *, enum dialect, int,
	    unsigned *);
const char *revision_dialect_name(enum dialect);

/* repo.c: the migration repository and its revision graph. */
struct repo {
	char		 *dir;
	char		 *versions;
	struct revision	**revs;		/* in topological order, oldest first */
	struct revision	**byid;		/* the same, sorted by id */
	size_t		  nrevs;
	struct revision	**heads;
	size_t		  nheads;
	struct revision	**links;	/* every revision's children */
};
/* The spellings of a revision target repo_resolve() may accept. */
#define REPO_ID		0x001	/* an id or a unique prefix of one */
#define REPO_HEAD	0x002	/* "head" */
#define REPO_HEADS	0x004	/* "heads" */
#define REPO_BASE	0x008	/* "base" */
#define REPO_CURRENT	0x010	/* "current" */
#define REPO_UP		0x020	/* "+N" */
#define REPO_DOWN	0x040	/* "-N" */
#define REPO_EMPTY	0x080	/* "" */
#define REPO_ONE	0x100	/* "head" must name a revision */
struct repo_target {
	int		  kind;		/* the REPO_* spelling that matched */
	struct revision	**revs;		/* what it names; the caller frees */
	size_t		  nrevs;
	long		  steps;	/* N of +N or -N */
};
struct history;
int	 repo_is_alembic(const char *);
int	 repo_init(const char *, char **);
int	 repo_load(const char *, struct repo **, char **);
void	 repo_free(struct repo *);
struct revision *repo_get(const struct repo *, const char *);
int	 repo_resolve(const struct repo *, const int *, const char *, int,
	    struct repo_target *, char **);
int	 repo_single_head(const struct repo *, struct revision **, char **);
int	*repo_applied(const struct repo *, const struct history *);
int	 repo_is_current(const struct revision *, const int *);
void	 repo_ancestors(const struct revision *, int *);
void	 repo_descendants(const struct repo *, const struct revision *, int *);
int	 repo_is_ancestor(const struct revision *, const struct revision *);
void	 repo_branchpoints(const struct repo *, struct revision ***, size_t *);
int	 repo_check_merge(const struct repo *, struct revision *const *, size_t,
	    char **);
int	 repo_add(struct repo *, const struct revision *, time_t, char **,
	    char **);
int	 repo_write(struct repo *, const char *, const char *, char **, char **);


/* db.c: opening databases and running statements. */
enum db_mode {
	DB_READ,	/* query-only; the file must exist */
	DB_READ_EMPTY,	/* query-only; a missing file reads as an empty database */
	DB_WRITE,	/* the file must exist */
	DB_CREATE	/* creates the file (0600) and its folder (0700) if missing */
};
struct db_created {
	int	 file;
	int	 dir;
};
int	 db_open(const char *, enum db_mode, sqlite3 **, struct db_created *,
	    char **);
void	 db_discard(const char *, const struct db_created *);
void	 db_set_busy(long, void (*)(const char *));
int	 db_busy_gave_up(void);
int	 db_exec(sqlite3 *, const char *, char **);
int	 db_prepare(sqlite3 *, sqlite3_stmt **, char **, const char *, ...);
int	 db_exists(sqlite3 *, const char *, int *, char **, const char *, ...);
int	 db_table_exists(sqlite3 *, const char *, int *, char **);
int	 db_count(sqlite3 *, const char *, long long *, char **);
char	*db_error(sqlite3 *);
void	 db_rollback(sqlite3 *);
int	 db_copy_schema(sqlite3 *, sqlite3 *, char **);
int	 db_backup(sqlite3 *, const char *, char **, char **);

/* history.c: the history table, exodb_revisions. */
#define HISTORY_DDL "CREATE TABLE IF NOT EXISTS " HISTORY_TABLE " (\n" \
	"\tid TEXT PRIMARY KEY,\n" \
	"\tchecksum TEXT NOT NULL,\n" \
	"\tapplied_at TEXT NOT NULL\n" \
	")"
#define HISTORY_NOW "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
struct history_row {
	char	*id;
	char	*checksum;
	char	*applied_at;
};
struct history {
	struct history_row	*rows;		/* oldest first */
	size_t			 nrows;
	size_t			 nalloc;
	size_t			*by_id;		/* indexes of rows, by id */
};
struct history	*history_new(void);
void	 history_free(struct history *);
void	 history_add(struct history *, const char *, const char *,
	    const char *);
int	 history_read(sqlite3 *, struct history **, char **);
const struct history_row *history_row(const struct history *, const char *);
int	 history_verify(const struct repo *, const struct history *, char **);
char	*history_missing(const struct repo *, const char *, const char *);
const struct revision **history_match(const struct repo *,
	    const struct history *);
int	 history_at_head(const struct repo *, const struct history *);
int	 history_has(sqlite3 *, const char *, int *, char **);
int	 history_alembic(sqlite3 *, char **, char **);
int	 history_set(sqlite3 *, const char *, const char *, char **);
int	 history_set_many(sqlite3 *, struct revision *const *, const int *,
	    size_t, int, char **);
int	 history_stamp(sqlite3 *, const struct repo *, const char *, int *,
	    int *, char **);
int	 history_repair(sqlite3 *, const struct repo *, const struct history *,
	    int, void (*)(const char *, const char *, const char *, void *),
	    void *, char **);

/* plan.c: which revisions a target runs, in order; no database. */
struct plan {
	int		  up;		/* 1 upgrade, 0 downgrade */
	struct revision	**revs;		/* in the order they run */
	size_t		  nrevs;
};
int	 plan_new(const struct repo *, const struct history *, const char *,
	    int, struct plan **, char **);
void	 plan_free(struct plan *);
int	 plan_wanted(const struct repo *, const char *, int *,
	    struct revision **, char **);
int	 plan_check_dialect(const struct plan *, enum dialect, char **);

/* migrate.c: running a plan, or writing it as a script. */
struct migrate_hooks {
	/* A revision was applied (int 1) or reverted (0). */
	void	(*done)(const struct revision *, int, void *);
	/*
	 * A table rebuild has copied so many rows of so many, called once it
	 * has run a second, and a last time (int 1) when it ends.
	 */
	void	(*progress)(const char *, long long, long long, int, void *);
	long	  progress_after_ms;	/* how long before the first call */
	/* A statement is about to run: its revision, line and text. */
	void	(*statement)(const struct revision *, unsigned, const char *,
		    void *);
	void	 *arg;
};
#define MIGRATE_SINGLE	0x1	/* the whole plan in one transaction */
#define MIGRATE_DRY	0x2	/* in one transaction, rolled back */
#define MIGRATE_REFUSALS 0x4	/* migrate_check: fail only on a refusal */
int	 migrate_check(sqlite3 *, const struct plan *, int, char **);
int	 migrate_replay(sqlite3 *, const struct plan *, char **);
int	 migrate_apply(sqlite3 *, const struct plan *, int,
	    const struct migrate_hooks *, char **);
int	 migrate_script(const struct plan *, int, char **, char **);

/*
 * chain.c: the migration chain replayed on an in-memory database, the schema
 * every database it builds has; and how a live database drifts from it.
 */
struct chain_objects {
	char	**type;		/* "trigger" or "view" */
	char	**name;
	char	**table;	/* what a trigger is on; a view's own name */
	char	**sql;		/* the CREATE text */
	size_t	  n;
};
struct chain_drift {
	char	**items;	/* one line per object that differs */
	size_t	  nitems;
};
/*
 * A chain as a command uses it (chain_new()): its schema and the digest of
 * its sqlite_schema always, the replayed database only once chain_db() is
 * called (from the cache, a command may need none).
 */
#define CHAIN_DIGEST_SIZE	32
struct chain_cache;
struct chain {
	const struct repo	*repo;
	sqlite3			*db;	/* the replay, or NULL */
	struct chain_cache	*cache;	/* its cached image, not yet read */
	struct schema		*schema;	/* introspect_schema() of it */
	unsigned char		 text[CHAIN_DIGEST_SIZE];	/* chain_text() */
};
int	 chain_open(sqlite3 **, char **);
int	 chain_new(const struct repo *, struct chain **, char **);
sqlite3	*chain_db(struct chain *, char **);
void	 chain_free(struct chain *);
int	 chain_text(sqlite3 *, unsigned char [CHAIN_DIGEST_SIZE], char **);
int	 chain_drift_of(struct chain *, const struct schema *, sqlite3 *,
	    struct chain_drift **, char **);
int	 chain_replay(const struct repo *, sqlite3 **, char **);
int	 chain_load(const struct repo *, sqlite3 **, char **);
int	 chain_schema(sqlite3 *, struct schema **, char **);
int	 chain_objects(sqlite3 *, struct chain_objects **, char **);
void	 chain_objects_free(struct chain_objects *);
long	 chain_objects_find(const struct chain_objects *, const char *,
	    const char *);
int	 chain_objects_same(const struct chain_objects *, size_t,
	    const struct chain_objects *, size_t);
int	 chain_drift(sqlite3 *, sqlite3 *, struct chain_drift **, char **);
int	 chain_drift_from(const struct schema *, sqlite3 *, sqlite3 *,
	    struct chain_drift **, char **);
void	 chain_drift_free(struct chain_drift *);
void	 chain_drift_item(struct chain_drift *, char *);
char	*chain_drift_describe(const struct op *);

/*
 * pg.c: PostgreSQL through libpq. struct pg_conn and struct pg_result are
 * libpq's PGconn and PGresult; only pg*.c and user-pg.c include libpq-fe.h.
 */
struct pg_conn;
struct pg_result;
struct pg_statement {
	char		*sql;		/* without its ';' */
	unsigned	 line;		/* where its first word is */
};
struct pg_statements {
	struct pg_statement	*v;
	size_t			 n;
};
int	 pg_is_uri(const char *);
char	*pg_display(const char *);
int	 pg_load(char **);
int	 pg_check_uri(const char *, int *, char **);
int	 pg_open(const char *, long, struct pg_conn **, char **);
void	 pg_close(struct pg_conn *);
int	 pg_lock_gave_up(void);
char	*pg_result_error(struct pg_conn *, const struct pg_result *,
	    unsigned long *);
int	 pg_result_ok(const struct pg_result *);
int	 pg_exec(struct pg_conn *, const char *, char **);
int	 pg_params(struct pg_conn *, const char *, int, const char *const *,
	    struct pg_result **, char **);
void	 pg_rollback(struct pg_conn *);
struct pg_statements *pg_split(const char *, unsigned);
void	 pg_statements_free(struct pg_statements *);
size_t	 pg_char_offset(const char *, unsigned long);
const char *pg_transaction_word(const char *);
int	 pg_drops_data(const char *);
struct pg_query {
	const char		*sql;
	int			 n;		/* parameters */
	const char *const	*values;
};
int	 pg_pipeline(struct pg_conn *, const struct pg_query *, size_t,
	    struct pg_result **, char **);
int	 pg_backup(struct pg_conn *, const char *, const char *, char **,
	    char **);

/* pg-migrate.c: the history table and the runner on PostgreSQL. */
int	 pg_history_read(struct pg_conn *, struct history **, char **);
int	 pg_stamp(struct pg_conn *, const struct repo *, const char *, int *,
	    int *, char **);
int	 pg_repair(struct pg_conn *, const struct repo *, int,
	    void (*)(const char *, const char *, const char *, void *), void *,
	    char **);
int	 pg_lock(struct pg_conn *, char **);
int	 pg_record(struct pg_conn *, const char *, const char *, char **);
int	 pg_apply(struct pg_conn *, const struct plan *, int,
	    const struct migrate_hooks *, char **);
int	 pg_script(const struct plan *, int, char **, char **);
int	 pg_table_exists(struct pg_conn *, const char *, int *, char **);
char	*pg_plan_drops(const struct plan *);
int	 pg_run_plan(struct pg_conn *, const struct plan *,
	    const struct migrate_hooks *, char **);

/*
 * introspect-pg.c: the managed schema of a PostgreSQL database (the first
 * schema on its search path) read from pg_catalog into struct schema.
 */
int	 introspect_pg(struct pg_conn *, struct schema **, char **);

/* chain-cache.c: the replayed chain kept between commands. */
int	 chain_cache_load(const struct repo *, struct chain *);
int	 chain_cache_image(struct chain *);
void	 chain_cache_free(struct chain_cache *);
void	 chain_cache_save(const struct repo *, const struct chain *);

/*
 * chain-pg.c: the migration chain on a PostgreSQL server: the schema its
 * PostgreSQL sections build, the drift of the live schema from it, and a
 * new revision's sections proven there, each inside a transaction that is
 * rolled back.
 */
int	 chain_pg_schema(struct pg_conn *, const struct repo *,
	    struct schema **, char **);
int	 chain_pg_drift(struct pg_conn *, const struct repo *,
	    struct chain_drift **, char **);
int	 chain_pg_prove(struct pg_conn *, const char *, const char *, char **);
int	 chain_pg_baseline(struct pg_conn *, const struct repo *,
	    struct autogen **, char **, char **);

/* password.c: Argon2id hashes as PHC strings; the only user of libargon2. */
#define PASSWORD_MIN		8	/* bytes */
#define PASSWORD_MAX		256	/* bytes; longer is refused, not cut */
#define PASSWORD_SALT_LEN	16
#define PASSWORD_TAG_LEN	32
#define PASSWORD_COST_ENV	"EXODB_ARGON2_COST"
struct password_cost {
	unsigned	 m;	/* memory in KiB */
	unsigned	 t;	/* passes */
	unsigned	 p;	/* lanes, and threads */
};
struct password_params {
	int			 argon2id;	/* 0 for argon2i or argon2d */
	unsigned		 version;
	struct password_cost	 cost;
	size_t			 saltlen;
	size_t			 taglen;
};
extern const struct password_cost password_default;
extern const struct password_cost password_floor;
int	 password_cost(struct password_cost *, char **);
int	 password_parse_cost(const char *, struct password_cost *, char **);
int	 password_hash(const char *, size_t, const struct password_cost *,
	    char **, char **);
int	 password_verify(const char *, const char *, size_t, int *, char **);
int	 password_params(const char *, struct password_params *, char **);
int	 password_needs_rehash(const char *, const struct password_cost *);
const char *password_scheme(const char *);

/* prompt.c: passwords and confirmations from the terminal, or stdin. */
#define PROMPT_TWICE	0x1	/* ask again and compare, up to three times */
#define PROMPT_STDIN	0x2	/* one line of standard input, no prompt
				   (unless it is the terminal) */
#define PROMPT_CHECK	0x4	/* a password to check, not to set: 1 to
				   PASSWORD_CHECK_MAX bytes */
#define PROMPT_TRIES	3	/* PROMPT_TWICE asks this often, as passwd */
/* The longest password user verify reads: what the app may have set. */
#define PASSWORD_CHECK_MAX	4096
/* A buffer for a password: one byte more than it may have, and the NUL. */
#define PROMPT_BUFSIZE	(PASSWORD_MAX + 2)
#define PROMPT_CHECK_BUFSIZE (PASSWORD_CHECK_MAX + 2)
int	 prompt_password(const char *, int, char *, size_t, size_t *, char **);
int	 prompt_confirm(const char *, int *, char **);

/* user.c: the users table. Names and emails match without regard to case. */
struct user {
	long long	 id;
	char		*username;
	char		*email;
	char		*role;
	int		 approved;
	char		*password_hash;	/* never shown */
};
struct user_filter {
	int		 pending;	/* only those not approved */
	const char	*role;		/* only this role, or NULL */
};
void	 user_free(struct user *);
int	 user_valid_text(const char *, const char *, char **);
int	 user_valid_name(const char *, char **);
int	 user_valid_email(const char *, char **);
int	 user_valid_role(const char *, char **);
int	 user_check_table(sqlite3 *, int, char **);
int	 user_find(sqlite3 *, const char *, struct user **, char **);
int	 user_check_free(sqlite3 *, const char *, const char *, char **);
int	 user_create(sqlite3 *, const struct user *, long long *, char **);
int	 user_set_approved(sqlite3 *, const char *, int, char **, int *,
	    char **);
int	 user_set_role(sqlite3 *, const char *, const char *, char **, int *,
	    char **);
int	 user_set_hash(sqlite3 *, long long, const char *, const char *,
	    int *, char **);
int	 user_delete(sqlite3 *, long long, int *, char **);
size_t	 user_width(const char *);
/* A list streamed from the database; see user_list_open(). */
#define USER_LIST_NWIDTHS 4
struct user_list {
	sqlite3		*db;
	sqlite3_stmt	*widths;
	sqlite3_stmt	*stmt;
	struct pg_conn	*pg;		/* or PostgreSQL's (user-pg.c): */
	struct pg_result *res;		/* the current row */
	int		 streaming;	/* rows are still to come */
	int		 json;
	int		 function;	/* exodb_widths() is registered */
	/* The widest id, username, email and role, in columns; not with json. */
	size_t		 width[USER_LIST_NWIDTHS];
	/* The current row, borrowed until the next user_list_next(). */
	long long	 id;
	const char	*username;
	const char	*email;
	const char	*role;
	int		 approved;
	const char	*object;	/* with json: the row as an object */
	size_t		 objectlen;
	char		*objectbuf;	/* where object is written */
	size_t		 objectsize;
};
int	 user_list_open(sqlite3 *, const struct user_filter *, int,
	    struct user_list *, char **);
int	 user_list_next(struct user_list *, char **);
void	 user_list_close(struct user_list *);
int	 user_names(sqlite3 *, const char *, int, void (*)(const char *, void *),
	    void *, char **);

/* user-pg.c: the users table on PostgreSQL, as user.c's on SQLite. */
int	 user_pg_check_table(struct pg_conn *, int, char **);
int	 user_pg_find(struct pg_conn *, const char *, struct user **, char **);
int	 user_pg_check_free(struct pg_conn *, const char *, const char *,
	    char **);
int	 user_pg_create(struct pg_conn *, const struct user *, long long *,
	    char **);
int	 user_pg_set_approved(struct pg_conn *, const char *, int, char **,
	    int *, char **);
int	 user_pg_set_role(struct pg_conn *, const char *, const char *, char **,
	    int *, char **);
int	 user_pg_set_hash(struct pg_conn *, long long, const char *,
	    const char *, int *, char **);
int	 user_pg_delete(struct pg_conn *, long long, int *, char **);
char	*user_pg_json(struct pg_conn *, const struct user *, char **);
int	 user_pg_list_open(struct pg_conn *, const struct user_filter *, int,
	    struct user_list *, char **);
int	 user_pg_list_next(struct user_list *, char **);
void	 user_pg_list_close(struct user_list *);
int	 user_pg_names(struct pg_conn *, const char *, int,
	    void (*)(const char *, void *), void *, char **);

#endif
