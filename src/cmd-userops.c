/*
 * The user commands' operations on the database run_command opened, one set
 * for each (cmd->ops->users): thin calls into user.c on SQLite and user-pg.c
 * on PostgreSQL, so that cmd-user.c never asks which database it has.
 */
#include <stdlib.h>

#include "cmd.h"

static int
sqlite_users_check_table(struct cmd *cmd, int inserts, char **cause)
{
	return user_check_table(cmd->db, inserts, cause);
}

/* IMMEDIATE: the write lock at once, so that the changes never wait. */
static int
sqlite_users_begin(struct cmd *cmd, char **cause)
{
	return db_exec(cmd->db, "BEGIN IMMEDIATE", cause);
}

static int
sqlite_users_commit(struct cmd *cmd, char **cause)
{
	return db_exec(cmd->db, "COMMIT", cause);
}

static void
sqlite_users_rollback(struct cmd *cmd)
{
	db_rollback(cmd->db);
}

static int
sqlite_users_find(struct cmd *cmd, const char *name, struct user **u,
    char **cause)
{
	return user_find(cmd->db, name, u, cause);
}

static int
sqlite_users_check_free(struct cmd *cmd, const char *name, const char *email,
    char **cause)
{
	return user_check_free(cmd->db, name, email, cause);
}

static int
sqlite_users_create(struct cmd *cmd, const struct user *u, long long *id,
    char **cause)
{
	return user_create(cmd->db, u, id, cause);
}

static int
sqlite_users_set_approved(struct cmd *cmd, const char *name, int approved,
    char **stored, int *changed, char **cause)
{
	return user_set_approved(cmd->db, name, approved, stored, changed,
	    cause);
}

static int
sqlite_users_set_role(struct cmd *cmd, const char *name, const char *role,
    char **stored, int *changed, char **cause)
{
	return user_set_role(cmd->db, name, role, stored, changed, cause);
}

static int
sqlite_users_set_hash(struct cmd *cmd, long long id, const char *old,
    const char *hash, int *changed, char **cause)
{
	return user_set_hash(cmd->db, id, old, hash, changed, cause);
}

static int
sqlite_users_delete(struct cmd *cmd, long long id, int *deleted, char **cause)
{
	return user_delete(cmd->db, id, deleted, cause);
}

/* The user as user list --json writes each one; never the hash. */
static char *
sqlite_users_json(struct cmd *cmd, const struct user *u, char **cause)
{
	sqlite3	*j = NULL;
	char	*o = NULL;

	(void)cmd;
	if (cmd_json_open(&j, cause) == 0)
		o = cmd_json(j, cause, "itttb", "SELECT json_object('id', ?1, "
		    "'username', ?2, 'email', ?3, 'role', ?4, 'approved', "
		    "json(?5))", u->id, u->username, u->email, u->role,
		    u->approved);
	sqlite3_close(j);
	return o;
}

static int
sqlite_users_list_open(struct cmd *cmd, const struct user_filter *f, int json,
    struct user_list *l, char **cause)
{
	return user_list_open(cmd->db, f, json, l, cause);
}

const struct cmd_userops cmd_sqlite_userops = {
	.check_table = sqlite_users_check_table,
	.begin = sqlite_users_begin,
	.commit = sqlite_users_commit,
	.rollback = sqlite_users_rollback,
	.find = sqlite_users_find,
	.check_free = sqlite_users_check_free,
	.create = sqlite_users_create,
	.set_approved = sqlite_users_set_approved,
	.set_role = sqlite_users_set_role,
	.set_hash = sqlite_users_set_hash,
	.delete = sqlite_users_delete,
	.json = sqlite_users_json,
	.list_open = sqlite_users_list_open,
	.list_next = user_list_next,
	.list_close = user_list_close
};

static int
pg_users_check_table(struct cmd *cmd, int inserts, char **cause)
{
	return user_pg_check_table(cmd->pg, inserts, cause);
}

static int
pg_users_begin(struct cmd *cmd, char **cause)
{
	return pg_exec(cmd->pg, "BEGIN", cause);
}

static int
pg_users_commit(struct cmd *cmd, char **cause)
{
	return pg_exec(cmd->pg, "COMMIT", cause);
}

static void
pg_users_rollback(struct cmd *cmd)
{
	pg_rollback(cmd->pg);
}

static int
pg_users_find(struct cmd *cmd, const char *name, struct user **u, char **cause)
{
	return user_pg_find(cmd->pg, name, u, cause);
}

static int
pg_users_check_free(struct cmd *cmd, const char *name, const char *email,
    char **cause)
{
	return user_pg_check_free(cmd->pg, name, email, cause);
}

static int
pg_users_create(struct cmd *cmd, const struct user *u, long long *id,
    char **cause)
{
	return user_pg_create(cmd->pg, u, id, cause);
}

static int
pg_users_set_approved(struct cmd *cmd, const char *name, int approved,
    char **stored, int *changed, char **cause)
{
	return user_pg_set_approved(cmd->pg, name, approved, stored, changed,
	    cause);
}

static int
pg_users_set_role(struct cmd *cmd, const char *name, const char *role,
    char **stored, int *changed, char **cause)
{
	return user_pg_set_role(cmd->pg, name, role, stored, changed, cause);
}

static int
pg_users_set_hash(struct cmd *cmd, long long id, const char *old,
    const char *hash, int *changed, char **cause)
{
	return user_pg_set_hash(cmd->pg, id, old, hash, changed, cause);
}

static int
pg_users_delete(struct cmd *cmd, long long id, int *deleted, char **cause)
{
	return user_pg_delete(cmd->pg, id, deleted, cause);
}

static char *
pg_users_json(struct cmd *cmd, const struct user *u, char **cause)
{
	return user_pg_json(cmd->pg, u, cause);
}

static int
pg_users_list_open(struct cmd *cmd, const struct user_filter *f, int json,
    struct user_list *l, char **cause)
{
	return user_pg_list_open(cmd->pg, f, json, l, cause);
}

const struct cmd_userops cmd_pg_userops = {
	.check_table = pg_users_check_table,
	.begin = pg_users_begin,
	.commit = pg_users_commit,
	.rollback = pg_users_rollback,
	.find = pg_users_find,
	.check_free = pg_users_check_free,
	.create = pg_users_create,
	.set_approved = pg_users_set_approved,
	.set_role = pg_users_set_role,
	.set_hash = pg_users_set_hash,
	.delete = pg_users_delete,
	.json = pg_users_json,
	.list_open = pg_users_list_open,
	.list_next = user_pg_list_next,
	.list_close = user_pg_list_close
};
