/*
 * exodb: schema migrations and user administration for the exoplanet_analyzer
 * database. One header for the whole program, grouped by file.
 *
 * Conventions: functions below the command layer return 0 on success and -1 on
 * failure, with *cause set to a message the caller reports and frees. A returned
 * char * belongs to the caller (free it with free()); a const char * is borrowed.
 */
#ifndef EXODB_H
#define EXODB_H

#include <stddef.h>
#include <stdarg.h>
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

/* lex.c: a tokenizer for SQLite's SQL, enough to split and compare statements. */
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
struct lex_statement {
	char		*sql;	/* the statement's text, without its semicolon */
	unsigned	 line;	/* line of its first token */
	char		*verb;	/* its first word, upper case */
};
void	 lex_init(struct lex *, const char *, size_t, unsigned);
enum lex_token lex_next(struct lex *, const char **, size_t *);
enum lex_token lex_next_token(struct lex *, const char **, size_t *);
int	 lex_word_is(const char *, size_t, const char *);
char	*lex_normalize(const char *);
char	*lex_unquote(const char *, size_t);
int	 lex_split(const char *, unsigned, struct lex_statement **, size_t *,
	    char **);
void	 lex_statements_free(struct lex_statement *, size_t);
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
	size_t		 ntriggers;
};
struct schema {
	struct table	*tables;
	size_t		 ntables;
	const char	**views;	/* CREATE VIEW texts */
	const char	**view_names;
	size_t		 nviews;
	char		**pool;		/* strings owned by this schema */
	size_t		 npool;
};
struct schema	*schema_new(void);
void		 schema_free(struct schema *);
const char	*schema_strdup(struct schema *, const char *);
const char	*schema_strndup(struct schema *, const char *, size_t);
struct table	*schema_add_table(struct schema *, const char *);
struct column	*schema_add_column(struct schema *, struct table *, const char *);
struct index	*schema_add_index(struct schema *, struct table *, const char *);
void		 schema_add_index_column(struct schema *, struct index *,
		    const char *, const char *, int);
const struct table *schema_table(const struct schema *, const char *);
const struct column *schema_column(const struct table *, const char *);
const struct column *schema_match_column(const struct table *,
		    const struct column *);
const struct index *schema_index(const struct table *, const char *);
int		 schema_same_text(const char *, const char *);
int		 schema_same_name(const char *, const char *);

/* model.c: the application's tables, as its models.py declares them. */
const struct schema *model_schema(void);

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
	OP_REBUILD_TABLE
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
};
#define DIFF_DROP_UNKNOWN	0x1
struct diff {
	struct op	*ops;
	size_t		 nops;
	const char	**unknown;	/* tables only in the "from" schema, kept */
	size_t		 nunknown;
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

/* autogen.c: the revision that brings a database to the model, proven. */
struct autogen {
	struct schema	*live;
	struct diff	*up;
	struct diff	*down;
	char		*upgrade;	/* SQL */
	char		*downgrade;	/* SQL */
};
int	 autogen_plan(sqlite3 *, const struct schema *, int, struct autogen **,
	    char **);
int	 autogen_prove(sqlite3 *, const struct autogen *, const struct schema *,
	    int, char **);
void	 autogen_free(struct autogen *);

/* revision.c: one revision file. */
struct revision {
	char		 *id;		/* YYYYMMDDHHMMSS */
	char		 *file;		/* its name inside versions/ */
	char		 *path;		/* the path shown to the user */
	char		 *message;
	char		 *created;
	char		**parents;
	size_t		  nparents;
	char		 *upgrade;	/* SQL of the "-- +upgrade" section */
	unsigned	  upgrade_line;
	char		 *downgrade;	/* SQL of the "-- +downgrade" section */
	unsigned	  downgrade_line;
	char		  checksum[65];	/* SHA-256 of the file, hex */
	int		  destructive;
	/* Filled by repo.c. */
	size_t		  order;	/* position in topological order */
	struct revision	**parent_revs;
	int		  is_head;
};
struct revision_header {
	const char	 *id;
	const char	**parents;
	size_t		  nparents;
	const char	 *message;
	const char	 *created;
	const char	**destructive;	/* lines naming destructive operations */
	size_t		  ndestructive;
};
int	 revision_parse(const char *, const char *, const char *, size_t,
	    struct revision **, char **);
void	 revision_free(struct revision *);
char	*revision_slug(const char *);
char	*revision_text(const struct revision_header *, const char *,
	    const char *);
int	 revision_valid_id(const char *);
int	 revision_statements(const struct revision *, int,
	    struct lex_statement **, size_t *, char **);

/* repo.c: the migration repository and its revision graph. */
struct repo {
	char		 *dir;
	char		 *versions;
	struct revision	**revs;		/* in topological order, oldest first */
	size_t		  nrevs;
	struct revision	**heads;
	size_t		  nheads;
};
int	 repo_init(const char *, char **);
int	 repo_load(const char *, struct repo **, char **);
void	 repo_free(struct repo *);
struct revision *repo_find(const struct repo *, const char *, char **);
struct revision *repo_get(const struct repo *, const char *);
int	 repo_single_head(const struct repo *, struct revision **, char **);
int	 repo_is_ancestor(const struct revision *, const struct revision *);
char	*repo_new_id(const struct repo *, long long);
int	 repo_write(struct repo *, const char *, const char *, char **, char **);

/* db.c: opening databases and running statements. */
enum db_mode {
	DB_READ,	/* never creates; a missing file reads as an empty database */
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
int	 db_exec(sqlite3 *, const char *, char **);
int	 db_prepare(sqlite3 *, sqlite3_stmt **, char **, const char *, ...);
int	 db_exists(sqlite3 *, const char *, int *, char **, const char *, ...);
int	 db_table_exists(sqlite3 *, const char *, int *, char **);
int	 db_count(sqlite3 *, const char *, long long *, char **);
char	*db_error(sqlite3 *);
void	 db_rollback(sqlite3 *);
int	 db_copy_schema(sqlite3 *, sqlite3 *, char **);

/* migrate.c: applying and reverting revisions, the history table. */
struct history_row {
	char	*id;
	char	*checksum;
	char	*applied_at;
};
struct history {
	struct history_row	*rows;
	size_t			 nrows;
};
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
int	 migrate_history(sqlite3 *, struct history **, char **);
void	 migrate_history_free(struct history *);
const struct history_row *migrate_applied(const struct history *,
	    const char *);
int	 migrate_verify(const struct repo *, const struct history *, char **);
int	 migrate_at_head(const struct repo *, const struct history *);
int	 migrate_is_current(const struct repo *, const struct history *,
	    const struct revision *);
struct migrate_plan {
	struct revision	**revs;		/* in the order they run */
	size_t		  nrevs;
};
int	 migrate_plan(const struct repo *, const struct history *,
	    const char *, int, struct migrate_plan **, char **);
void	 migrate_plan_free(struct migrate_plan *);
int	 migrate_apply(sqlite3 *, const struct migrate_plan *, int,
	    const struct migrate_hooks *, char **);
int	 migrate_script(const struct migrate_plan *, int, char **, char **);
int	 migrate_stamp(sqlite3 *, const struct repo *, const char *, int *,
	    int *, char **);
int	 migrate_repair(sqlite3 *, const struct repo *, const struct history *,
	    int, void (*)(const char *, const char *, const char *, void *),
	    void *, char **);
int	 migrate_backup(sqlite3 *, const char *, char **, char **);


/* main.c: the command layer's shared state. */
#define OPT_MAX 128
struct cmd;
struct cmd_entry {
	const char	*group;
	const char	*name;
	const char	*args;		/* usage after the command name */
	const char	*summary;
	const char	*optstring;	/* short options, without ':' for --help */
	const struct option *longopts;
	const char	*help;		/* the option lines of --help */
	int		 minargs;
	int		 maxargs;	/* -1: no limit */
	int		 flags;
#define CMD_REPO	0x01	/* load the migration repository first */
#define CMD_DB_READ	0x02	/* open the database read-only */
#define CMD_DB_WRITE	0x04	/* open the existing database read-write */
#define CMD_DB_CREATE	0x08	/* open the database, creating it if missing */
#define CMD_SQL_OFFLINE	0x10	/* with --sql, open read-only */
#define CMD_NUMERIC_ARG	0x20	/* an argument may look like -N */
	int		(*exec)(struct cmd *);
};
struct cmd {
	const struct cmd_entry	*entry;
	int			 argc;
	char			**argv;
	const char		*opt[OPT_MAX];	/* option values; "" for flags */
	const char		*database;
	const char		*directory;
	sqlite3			*db;
	struct repo		*repo;
};
extern int	verbosity;	/* 0 with -q, 1 normally, 2 with -v */
void	cmd_error(const char *, ...) PRINTFLIKE(1, 2);
void	cmd_note(const char *, ...) PRINTFLIKE(1, 2);
void	cmd_verbose(const char *, ...) PRINTFLIKE(1, 2);
int	cmd_require_head(struct cmd *, char **);

/* cmd-db.c */
extern const struct cmd_entry cmd_db_entries[];
extern const size_t cmd_db_nentries;

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
/* Every input of Argon2id, for the known-answer tests. */
struct password_input {
	const void		*pwd;
	size_t			 pwdlen;
	const void		*salt;
	size_t			 saltlen;
	const void		*secret;
	size_t			 secretlen;
	const void		*ad;
	size_t			 adlen;
	struct password_cost	 cost;
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
int	 password_derive(const struct password_input *, void *, size_t,
	    char **);

/* prompt.c: passwords and confirmations from the terminal, or stdin. */
#define PROMPT_TWICE	0x1	/* ask again and compare */
#define PROMPT_STDIN	0x2	/* one line of standard input, no prompt */
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
void	 user_list_free(struct user *, size_t);
int	 user_valid_name(const char *, char **);
int	 user_valid_email(const char *, char **);
int	 user_valid_role(const char *, char **);
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
int	 user_list(sqlite3 *, const struct user_filter *, struct user **,
	    size_t *, char **);
int	 user_list_json(sqlite3 *, const struct user_filter *, char **,
	    char **);

/* cmd-user.c */
extern const struct cmd_entry cmd_user_entries[];
extern const size_t cmd_user_nentries;

#endif
