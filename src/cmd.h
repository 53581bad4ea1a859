/*
 * The command layer: main.c, cmd.c and cmd-*.c, and nothing else, include
 * this. It is what may print; a library file that tries to does not compile.
 *
 * A command is a constant struct cmd_entry beside a static exec function.
 * Its options are a table of struct cmd_option, each written once: the
 * getopt table, the usage line and --help are made from it (cmd.c).
 */
#ifndef CMD_H
#define CMD_H

#include <stdio.h>

#include "exodb.h"

/* Where each option's value lands in struct cmd's opt[]. */
enum cmd_option_id {
	OPT_NONE,
	OPT_MESSAGE,
	OPT_DROP_UNKNOWN,
	OPT_SQL,
	OPT_NO_BACKUP,
	OPT_REV_RANGE,
	OPT_VERBOSE,
	OPT_FORGET_MISSING,
	OPT_EMAIL,
	OPT_ROLE,
	OPT_APPROVED,
	OPT_PASSWORD_STDIN,
	OPT_PENDING,
	OPT_JSON,
	OPT_NO_HEADER,
	OPT_YES,
	OPT_SINGLE_TRANSACTION,
	OPT_ALLOW_DESTRUCTIVE,
	OPT_DIALECT,
	/* The global options, main.c's. */
	OPT_DATABASE,
	OPT_DIRECTORY,
	OPT_MODEL,
	OPT_VERBOSITY,		/* -q and -v: the last one given counts */
	OPT_TIMEOUT,
	OPT_HELP,
	OPT_VERSION,
	OPT_MAX
};

/*
 * One option. Without arg it is a flag, and its value when given is its
 * name. A table ends with a row whose name is NULL.
 */
struct cmd_option {
	enum cmd_option_id	 id;
	int			 letter;	/* -x as well as --name, or 0 */
	const char		*name;		/* the long name, exact */
	const char		*arg;		/* its value in usage and help, or
						   NULL: it takes none */
	const char		*help;		/* what it does; a '\n' continues
						   on the next line */
	unsigned		 flags;
#define CMD_OPT_REQUIRED	0x1	/* parsing fails without it (exit 2) */
#define CMD_OPT_NOT_BLANK	0x2	/* nor with a value of only spaces */
};

struct cmd;
struct cmd_entry {
	const char		*group;
	const char		*name;
	const char		*summary;
	const struct cmd_option	*options;	/* NULL for none */
	const char		*args;		/* the operands in the usage line */
	int			 minargs;
	int			 maxargs;	/* -1: no limit */
	int			 flags;
#define CMD_REPO	0x01	/* load the migration repository first */
#define CMD_DB_READ	0x02	/* open the database read-only */
#define CMD_DB_WRITE	0x04	/* open the existing database read-write */
#define CMD_DB_CREATE	0x08	/* open the database, creating it if missing */
#define CMD_SQL_OFFLINE	0x10	/* with OPT_SQL given, open it read-only */
#define CMD_NUMERIC_ARG	0x20	/* an operand may look like -N */
#define CMD_ONE_HEAD	0x40	/* the graph must have one head (or none):
				   cmd->head */
#define CMD_AT_HEAD	0x80	/* every revision must be applied */
#define CMD_ARGS_FIRST	0x100	/* the usage line shows operands first */
#define CMD_USERS	0x200	/* users has the columns the user commands
				   use (user_check_table) */
#define CMD_USERS_INSERT 0x400	/* ... and can take a row from them */
#define CMD_QUESTION	0x800	/* it answers with its status, 0 yes and 1
				   no: failing to answer exits 3 */
#define CMD_DB_EMPTY_OK	0x1000	/* with CMD_DB_READ, a missing database reads
				   as an empty one (the first db migrate comes
				   before the first db upgrade) */
	/*
	 * Returns 0, or -1 with *cause set (exit status 1, or 3 with
	 * CMD_QUESTION); or another exit status, with *cause set or not.
	 * run_command reports *cause.
	 */
	int			(*exec)(struct cmd *, char **);
};

/*
 * What the db commands do to the database they opened, whichever it is:
 * run_command opens it and points cmd->ops at SQLite's or PostgreSQL's
 * set, so that no command asks which it is. A NULL member is what that
 * database cannot do yet; the comment says what the command does then.
 */
struct cmd_dbops {
	const char	*name;		/* "SQLite", "PostgreSQL" */
	enum dialect	 dialect;	/* the sections of revisions it runs */
	int	(*history)(struct cmd *, struct history **, char **);
	int	(*apply)(struct cmd *, const struct plan *, int,
		    const struct migrate_hooks *, char **);
	/* --sql: the script; check (or NULL) refuses the plan first. */
	int	(*check)(struct cmd *, const struct plan *, char **);
	int	(*script)(struct cmd *, const struct plan *, int, char **,
		    char **);
	int	(*stamp)(struct cmd *, const char *, int *, int *, char **);
	int	(*has_table)(struct cmd *, const char *, int *, char **);
	/* NULL: no hint about Flask-Migrate's alembic_version. */
	int	(*alembic)(struct cmd *, char **, char **);
	/* What a downgrade drops that holds data, into *lost, or NULL. */
	int	(*drops)(struct cmd *, const struct plan *, char **, char **);
	/* A downgrade's backup, and the command that puts it back. */
	int	(*backup)(struct cmd *, char **, char **);
	char	*(*restore)(struct cmd *, const char *);
	/*
	 * The drift of the database from the chain; on SQLite from the chain
	 * of chain.c, the caller's or (NULL) its own, and that chain's schema
	 * when the caller has taken it (else NULL: the chain's). NULL: drift
	 * is not looked for (db status says so).
	 */
	int	(*drift)(struct cmd *, struct chain *, const struct schema *,
		    struct chain_drift **, char **);
	/*
	 * db migrate's proof on the database itself, of the new revision's
	 * sections for it, rolled back; NULL: the proof in memory is all.
	 */
	int	(*prove)(struct cmd *, const struct autogen *, char **);
	/*
	 * db repair: record the checksums of applied files that changed and,
	 * with the flag, forget those whose file is gone, in one transaction;
	 * then report(id, path or NULL, old checksum, arg) for each.
	 */
	int	(*repair)(struct cmd *, int, void (*)(const char *,
		    const char *, const char *, void *), void *, char **);
	/*
	 * db baseline: the revision that takes the chain to the database,
	 * made inside a write transaction, left open for record() to write
	 * its history row in and commit (cmd_abandon() ends it otherwise).
	 * *note, or NULL, says why a dialect's sections are missing.
	 */
	int	(*baseline)(struct cmd *, struct autogen **, char **, char **);
	int	(*record)(struct cmd *, const char *, const char *, char **);
	int	 datacheck;	/* the rows that broke a revision are named */
	const struct cmd_userops *users;	/* the user commands' */
};
extern const struct cmd_dbops cmd_sqlite_ops;
extern const struct cmd_dbops cmd_pg_ops;

/*
 * What the user commands do to the users table of the database opened
 * (cmd->ops->users): user.c's statements on SQLite, user-pg.c's on
 * PostgreSQL, with the same checks and messages (cmd-userops.c).
 */
struct cmd_userops {
	int	(*check_table)(struct cmd *, int, char **);
	/* One transaction around several changes; rollback ends a failed one. */
	int	(*begin)(struct cmd *, char **);
	int	(*commit)(struct cmd *, char **);
	void	(*rollback)(struct cmd *);
	int	(*find)(struct cmd *, const char *, struct user **, char **);
	int	(*check_free)(struct cmd *, const char *, const char *, char **);
	int	(*create)(struct cmd *, const struct user *, long long *,
		    char **);
	int	(*set_approved)(struct cmd *, const char *, int, char **, int *,
		    char **);
	int	(*set_role)(struct cmd *, const char *, const char *, char **,
		    int *, char **);
	int	(*set_hash)(struct cmd *, long long, const char *, const char *,
		    int *, char **);
	int	(*delete)(struct cmd *, long long, int *, char **);
	/* The user as a JSON object, by the database's JSON functions. */
	char	*(*json)(struct cmd *, const struct user *, char **);
	int	(*list_open)(struct cmd *, const struct user_filter *, int,
		    struct user_list *, char **);
	int	(*list_next)(struct user_list *, char **);
	void	(*list_close)(struct user_list *);
};
extern const struct cmd_userops cmd_sqlite_userops;
extern const struct cmd_userops cmd_pg_userops;

struct cmd {
	const struct cmd_entry	*entry;
	int			 argc;
	char			**argv;
	const char		*opt[OPT_MAX];	/* by id: its value (a flag's
						   name), NULL if not given */
	const char		*database;
	const char		*directory;
	const char		*model;		/* --model FILE; NULL: compiled in */
	const char		*conninfo;	/* -D as given, with any
						   password; database is what
						   is shown */
	long			 timeout_ms;	/* --timeout */
	sqlite3			*db;		/* the database opened, */
	struct pg_conn		*pg;		/* ...or this one */
	const struct cmd_dbops	*ops;		/* for either */
	struct repo		*repo;
	struct revision		*head;		/* with CMD_ONE_HEAD */
};

/* cmd.c */
extern int	verbosity;	/* 0 with -q, 1 normally, 2 with -v */
void	 cmd_error(const char *, ...) PRINTFLIKE(1, 2);
void	 cmd_note(const char *, ...) PRINTFLIKE(1, 2);
void	 cmd_warn(const char *, ...) PRINTFLIKE(1, 2);
void	 cmd_verbose(const char *, ...) PRINTFLIKE(1, 2);
void	 cmd_fail(const struct cmd *, char *);
int	 cmd_getopt(const struct cmd_option *, const char *, const char *, int,
	    int, char **, const char **, int *);
int	 cmd_parse(struct cmd *, const struct cmd_option *, int, char **);
char	*cmd_usage(const struct cmd_entry *);
#define CMD_WIDTH	80	/* what --help fits in */
void	 cmd_wrap(FILE *, const char *, int, int);
void	 cmd_option_help(const struct cmd_option *, int);
void	 cmd_help(const struct cmd_entry *);
int	 cmd_require_head(struct cmd *, char **);

/* cmd-dbops.c */
int	 cmd_open(struct cmd *, enum db_mode, struct db_created *, char **);
void	 cmd_abandon(struct cmd *);
int	 cmd_close(struct cmd *);
int	 cmd_json_open(sqlite3 **, char **);
char	*cmd_json(sqlite3 *, char **, const char *, const char *, ...);
void	 cmd_json_add(sqlite3_str *, char *);
char	*cmd_json_end(sqlite3_str *);
char	*cmd_json_strings(sqlite3 *, char *const *, size_t, char **);

/* --json, for the commands whose output a script may read as JSON. */
#define CMD_OPTION_JSON(text) \
	{ .id = OPT_JSON, .name = "json", .help = (text) }

/* cmd-db.c, cmd-user.c, complete.c */
char	*cmd_db_shell_word(const char *);
extern const struct cmd_entry cmd_db_entries[];
extern const size_t cmd_db_nentries;
extern const struct cmd_entry cmd_user_entries[];
extern const size_t cmd_user_nentries;
extern const struct cmd_entry cmd_complete_entries[];
extern const size_t cmd_complete_nentries;

/* main.c: the command groups and the global options, which complete.c reads. */
struct group {
	const char		*name;
	const char		*title;
	const struct cmd_entry	*entries;
	const size_t		*nentries;
};
extern const struct group groups[];
extern const size_t ngroups;
extern const struct cmd_option global_options[];
/* main.c: the project that holds the relative repository dir, found upward. */
int	find_project(const char *, char **, char **, char **, char **);

#endif
