/*
 * The users table on PostgreSQL: the statements of user.c as the server
 * takes them, so that the user commands check, say and exit the same on
 * either database. Values only ever travel as parameters (PQexecParams),
 * never in the text of a statement.
 *
 * Names and emails are compared in the collation nocase that the model
 * creates (render-pg.c: ICU, case-insensitive), written out in each
 * statement as user.c writes COLLATE NOCASE, so that a column made without
 * it still matches as the unique indexes of the model do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pq.h"

#include "exodb.h"

/* The columns struct user is read from, in user_pg_row()'s order. */
#define USER_PG_COLUMNS	\
	"id, username, email, role, is_approved, password_hash"
#define USER_PG_NOCASE	"nocase"
#define USER_PG_UNIQUE	"23505"		/* unique_violation */

/* The value at row i, column j, "" for NULL: owned by res. */
static const char *
user_pg_text(const PGresult *res, int i, int j)
{
	return PQgetisnull(res, i, j) ? "" : PQgetvalue(res, i, j);
}

/* Fill u from row i of a result of USER_PG_COLUMNS. */
static void
user_pg_row(const PGresult *res, int i, struct user *u)
{
	u->id = strtoll(user_pg_text(res, i, 0), NULL, 10);
	u->username = xstrdup(user_pg_text(res, i, 1));
	u->email = xstrdup(user_pg_text(res, i, 2));
	u->role = xstrdup(user_pg_text(res, i, 3));
	u->approved = strcmp(user_pg_text(res, i, 4), "t") == 0;
	u->password_hash = xstrdup(user_pg_text(res, i, 5));
}

/*
 * The user named name, in any case. *u is the caller's to free with
 * user_free(); no such user is an error, "unknown user 'name'".
 */
int
user_pg_find(struct pg_conn *conn, const char *name, struct user **u,
    char **cause)
{
	PGresult	*res;
	const char	*values[1] = { name };

	*u = NULL;
	if (user_valid_text("username", name, cause) == -1)
		return -1;
	if (pg_params(conn, "SELECT " USER_PG_COLUMNS " FROM users WHERE "
	    "username = $1 COLLATE " USER_PG_NOCASE, 1, values, &res,
	    cause) == -1)
		return -1;
	if (PQntuples(res) == 0)
		*cause = xasprintf("unknown user '%s'", name);
	else {
		*u = xcalloc(1, sizeof **u);
		user_pg_row(res, 0, *u);
	}
	PQclear(res);
	return *u != NULL ? 0 : -1;
}

/* Whether a row has the name (or, with email, the email) in any case. */
static int
user_pg_exists(struct pg_conn *conn, int email, const char *value,
    int *exists, char **cause)
{
	PGresult	*res;
	const char	*values[1] = { value };

	if (pg_params(conn, email ? "SELECT 1 FROM users WHERE email = $1 "
	    "COLLATE " USER_PG_NOCASE : "SELECT 1 FROM users WHERE username "
	    "= $1 COLLATE " USER_PG_NOCASE, 1, values, &res, cause) == -1)
		return -1;
	*exists = PQntuples(res) > 0;
	PQclear(res);
	return 0;
}

/*
 * Succeed when neither name nor email is taken, in any case; otherwise
 * *cause says which one is.
 */
int
user_pg_check_free(struct pg_conn *conn, const char *name, const char *email,
    char **cause)
{
	int	exists;

	if (user_pg_exists(conn, 0, name, &exists, cause) == -1)
		return -1;
	if (exists) {
		*cause = xasprintf("username '%s' is taken", name);
		return -1;
	}
	if (user_pg_exists(conn, 1, email, &exists, cause) == -1)
		return -1;
	if (exists) {
		*cause = xasprintf("email '%s' is taken", email);
		return -1;
	}
	return 0;
}

/*
 * Insert u (its id aside) and set *id to the new row's, in one transaction
 * with the check for a taken name or email. Two creates at once may both
 * pass the check: the unique index makes the second wait for the first and
 * then refuses it, and the cause is still which one is taken, never the
 * server's text.
 */
int
user_pg_create(struct pg_conn *conn, const struct user *u, long long *id,
    char **cause)
{
	PGresult	*res = NULL;
	const char	*values[5], *state;

	values[0] = u->username;
	values[1] = u->email;
	values[2] = u->password_hash;
	values[3] = u->role;
	values[4] = u->approved ? "true" : "false";
	if (pg_exec(conn, "BEGIN", cause) == -1)
		return -1;
	if (user_pg_check_free(conn, u->username, u->email, cause) == -1)
		goto fail;
	res = PQexecParams(conn, "INSERT INTO users (username, email, "
	    "password_hash, role, is_approved) VALUES ($1, $2, $3, $4, $5) "
	    "RETURNING id", 5, NULL, values, NULL, NULL, 0);
	if (!pg_result_ok(res) || PQntuples(res) != 1) {
		state = res != NULL ? PQresultErrorField(res,
		    PG_DIAG_SQLSTATE) : NULL;
		if (state != NULL && strcmp(state, USER_PG_UNIQUE) == 0) {
			PQclear(res);
			pg_rollback(conn);
			if (user_pg_check_free(conn, u->username, u->email,
			    cause) == 0)
				*cause = xasprintf("username '%s' or email "
				    "'%s' is taken", u->username, u->email);
			return -1;
		}
		*cause = pg_result_error(conn, res, NULL);
		goto fail;
	}
	*id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	res = NULL;
	if (pg_exec(conn, "COMMIT", cause) == -1)
		goto fail;
	return 0;
fail:
	PQclear(res);
	pg_rollback(conn);
	return -1;
}

/*
 * Run sql, an UPDATE of the user named $1 in any case to $2 (value) that
 * returns the name as stored when the row changed. *changed says whether
 * it did; *stored is the user's name as stored, for the caller to free.
 */
static int
user_pg_set(struct pg_conn *conn, const char *sql, const char *name,
    const char *value, char **stored, int *changed, char **cause)
{
	PGresult	*res;
	struct user	*u;
	const char	*values[2] = { name, value };

	*stored = NULL;
	*changed = 0;
	if (user_valid_text("username", name, cause) == -1)
		return -1;
	if (pg_params(conn, sql, 2, values, &res, cause) == -1)
		return -1;
	if (PQntuples(res) > 0) {
		*stored = xstrdup(user_pg_text(res, 0, 0));
		*changed = 1;
	}
	PQclear(res);
	if (*changed)
		return 0;
	if (user_pg_find(conn, name, &u, cause) == -1)
		return -1;
	*stored = xstrdup(u->username);
	user_free(u);
	return 0;
}

/* Approve (approved 1) or revoke (0); see user_pg_set() for the rest. */
int
user_pg_set_approved(struct pg_conn *conn, const char *name, int approved,
    char **stored, int *changed, char **cause)
{
	return user_pg_set(conn, "UPDATE users SET is_approved = $2 WHERE "
	    "username = $1 COLLATE " USER_PG_NOCASE " AND is_approved IS "
	    "DISTINCT FROM $2 RETURNING username", name, approved ? "true" :
	    "false", stored, changed, cause);
}

int
user_pg_set_role(struct pg_conn *conn, const char *name, const char *role,
    char **stored, int *changed, char **cause)
{
	if (user_valid_role(role, cause) == -1)
		return -1;
	return user_pg_set(conn, "UPDATE users SET role = $2 WHERE username = "
	    "$1 COLLATE " USER_PG_NOCASE " AND role IS DISTINCT FROM $2 "
	    "RETURNING username", name, role, stored, changed, cause);
}

/* How many rows a statement changed, from its result. */
static int
user_pg_changes(PGresult *res)
{
	return atoi(PQcmdTuples(res));
}

/*
 * Store a new hash for user id. With old, only if the stored hash is still
 * old (so that a rehash never undoes a password change made meanwhile);
 * *changed says whether a row was updated.
 */
int
user_pg_set_hash(struct pg_conn *conn, long long id, const char *old,
    const char *hash, int *changed, char **cause)
{
	PGresult	*res;
	char		 idtext[24];
	const char	*values[3] = { idtext, hash, old };

	*changed = 0;
	snprintf(idtext, sizeof idtext, "%lld", id);
	if (pg_params(conn, "UPDATE users SET password_hash = $2 WHERE id = $1 "
	    "AND ($3::text IS NULL OR password_hash = $3::text)", 3, values,
	    &res, cause) == -1)
		return -1;
	*changed = user_pg_changes(res) > 0;
	PQclear(res);
	return 0;
}

/* Delete user id; *deleted says whether it was still there. */
int
user_pg_delete(struct pg_conn *conn, long long id, int *deleted, char **cause)
{
	PGresult	*res;
	char		 idtext[24];
	const char	*values[1] = { idtext };

	*deleted = 0;
	snprintf(idtext, sizeof idtext, "%lld", id);
	if (pg_params(conn, "DELETE FROM users WHERE id = $1", 1, values, &res,
	    cause) == -1)
		return -1;
	*deleted = user_pg_changes(res) > 0;
	PQclear(res);
	return 0;
}

/*
 * The user as user list --json writes each one, made by the server's
 * json_build_object(); never the hash. The caller frees it; NULL on error.
 */
char *
user_pg_json(struct pg_conn *conn, const struct user *u, char **cause)
{
	PGresult	*res;
	char		 idtext[24], *out;
	const char	*values[5] = { idtext, u->username, u->email, u->role,
			    u->approved ? "true" : "false" };

	snprintf(idtext, sizeof idtext, "%lld", u->id);
	if (pg_params(conn, "SELECT json_build_object('id', $1::bigint, "
	    "'username', $2::text, 'email', $3::text, 'role', $4::text, "
	    "'approved', $5::boolean)", 5, values, &res, cause) == -1)
		return NULL;
	out = xstrdup(user_pg_text(res, 0, 0));
	PQclear(res);
	return out;
}

/* The WHERE clause for the users f lets through, $1 the role. */
static const char *
user_pg_where(const struct user_filter *f)
{
	static const char	*where[] = {
		"", " WHERE NOT is_approved", " WHERE role = $1",
		" WHERE NOT is_approved AND role = $1"
	};

	return where[(f->pending != 0) | (f->role != NULL) << 1];
}

/*
 * Start listing the users f lets through, by id, one row at a time (libpq's
 * single-row mode: one row in memory, however long the list); see
 * user_list_open() for how it is read. Unless json is set, l->width first
 * holds the widest id, username, email and role, from one aggregate query,
 * in a REPEATABLE READ transaction that the rows are then read in, from the
 * same snapshot; with json, each row is the object json_build_object()
 * made on the server.
 */
int
user_pg_list_open(struct pg_conn *conn, const struct user_filter *f, int json,
    struct user_list *l, char **cause)
{
	PGresult	*res = NULL;
	const char	*values[1] = { f->role };
	char		*sql;
	int		 i, n = f->role != NULL, ok;

	memset(l, 0, sizeof *l);
	l->pg = conn;
	l->json = json != 0;
	if (f->role != NULL && user_valid_role(f->role, cause) == -1)
		return -1;
	if (!json) {
		if (pg_exec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ "
		    "ONLY", cause) == -1)
			return -1;
		sql = xasprintf("SELECT coalesce(max(length(id::text)), 0), "
		    "coalesce(max(length(username)), 0), "
		    "coalesce(max(length(email)), 0), "
		    "coalesce(max(length(role)), 0) FROM users%s",
		    user_pg_where(f));
		ok = pg_params(conn, sql, n, values, &res, cause) == 0;
		free(sql);
		if (!ok)
			return -1;
		for (i = 0; i < USER_LIST_NWIDTHS && i < PQnfields(res); i++)
			l->width[i] = strtoul(user_pg_text(res, 0, i), NULL, 10);
		PQclear(res);
	}
	sql = xasprintf("SELECT %s FROM users%s ORDER BY id", json ?
	    "json_build_object('id', id, 'username', username, 'email', "
	    "email, 'role', role, 'approved', is_approved)" :
	    "id, username, email, role, is_approved", user_pg_where(f));
	ok = PQsendQueryParams(conn, sql, n, NULL, values, NULL, NULL, 0) == 1;
	free(sql);
	if (!ok) {
		*cause = pg_result_error(conn, NULL, NULL);
		return -1;
	}
	l->streaming = 1;
	if (PQsetSingleRowMode(conn) != 1) {
		*cause = xstrdup("cannot read the users one row at a time");
		return -1;
	}
	return 0;
}

/*
 * The next row into l, borrowed until the next call: 1 for a row, 0 at the
 * end and -1 on error.
 */
int
user_pg_list_next(struct user_list *l, char **cause)
{
	PGresult	*res;
	int		 ret = 0;

	PQclear(l->res);
	l->res = NULL;
	if (!l->streaming)
		return 0;
	res = PQgetResult(l->pg);
	if (res != NULL && PQresultStatus(res) == PGRES_SINGLE_TUPLE) {
		l->res = res;
		if (l->json) {
			l->object = PQgetvalue(res, 0, 0);
			l->objectlen = (size_t)PQgetlength(res, 0, 0);
			return 1;
		}
		l->id = strtoll(user_pg_text(res, 0, 0), NULL, 10);
		l->username = user_pg_text(res, 0, 1);
		l->email = user_pg_text(res, 0, 2);
		l->role = user_pg_text(res, 0, 3);
		l->approved = strcmp(user_pg_text(res, 0, 4), "t") == 0;
		return 1;
	}
	/* The end (an empty PGRES_TUPLES_OK), or an error; then NULL. */
	if (res == NULL || !pg_result_ok(res)) {
		*cause = pg_result_error(l->pg, res, NULL);
		ret = -1;
	} else if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		*cause = xstrdup("the server sent no rows");
		ret = -1;
	}
	PQclear(res);
	while ((res = PQgetResult(l->pg)) != NULL)
		PQclear(res);
	l->streaming = 0;
	return ret;
}

/*
 * End a list; l may be one user_pg_list_open() failed to start. Rows not
 * read yet (nobody reads the output any more) are cancelled rather than
 * fetched.
 */
void
user_pg_list_close(struct user_list *l)
{
	PGcancel	*cancel;
	PGresult	*res;
	char		 err[256];

	PQclear(l->res);
	l->res = NULL;
	if (l->pg == NULL)
		return;
	if (l->streaming) {
		if ((cancel = PQgetCancel(l->pg)) != NULL) {
			PQcancel(cancel, err, sizeof err);
			PQfreeCancel(cancel);
		}
		while ((res = PQgetResult(l->pg)) != NULL)
			PQclear(res);
		l->streaming = 0;
	}
	pg_rollback(l->pg);
	l->pg = NULL;
}

/*
 * Whether the users table has every column the user commands use and, when
 * the command inserts (inserts set), no other NOT NULL column without a
 * default (an identity or generated column fills itself), which it could
 * not fill; and whether the collation the names are compared in is there.
 * The messages are user_check_table()'s. Names are the server's, which the
 * statements here write in lower case: "Username" is another column.
 */
int
user_pg_check_table(struct pg_conn *conn, int inserts, char **cause)
{
	static const char *const used[] = { "id", "username", "email",
	    "password_hash", "role", "is_approved" };
	PGresult	*res;
	const char	*name;
	size_t		 i;
	int		 j, n, ret = -1;

	if (pg_params(conn, "SELECT a.attname, a.attnotnull AND NOT "
	    "a.atthasdef AND a.attidentity = '' AND a.attgenerated = '', "
	    "EXISTS (SELECT 1 FROM pg_catalog.pg_collation o WHERE "
	    "o.collname = '" USER_PG_NOCASE "' AND "
	    "pg_catalog.pg_collation_is_visible(o.oid)) "
	    "FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_attribute a "
	    "ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
	    "WHERE c.oid = to_regclass('users') AND c.relkind IN ('r', 'p')",
	    0, NULL, &res, cause) == -1)
		return -1;
	if ((n = PQntuples(res)) == 0) {
		*cause = xstrdup("the database has no table users");
		goto out;
	}
	for (i = 0; i < sizeof used / sizeof used[0]; i++) {
		for (j = 0; j < n; j++) {
			if (strcmp(user_pg_text(res, j, 0), used[i]) == 0)
				break;
		}
		if (j == n) {
			*cause = xasprintf("table users has no column %s, which "
			    "the user commands need", used[i]);
			goto out;
		}
	}
	if (strcmp(user_pg_text(res, 0, 2), "t") != 0) {
		*cause = xstrdup("the database has no collation " USER_PG_NOCASE
		    ", which the user commands compare names and emails in "
		    "(the model's revision creates it)");
		goto out;
	}
	for (j = 0; inserts && j < n; j++) {
		name = user_pg_text(res, j, 0);
		if (strcmp(user_pg_text(res, j, 1), "t") != 0)
			continue;
		for (i = 0; i < sizeof used / sizeof used[0]; i++) {
			if (strcmp(name, used[i]) == 0)
				break;
		}
		if (i < sizeof used / sizeof used[0])
			continue;
		*cause = xasprintf("column users.%s is NOT NULL without a "
		    "default, which exodb cannot fill; give it a DEFAULT in "
		    "the model", name);
		goto out;
	}
	ret = 0;
out:
	PQclear(res);
	return ret;
}

/*
 * Call fn(name, arg) for each username that starts with prefix, without
 * regard to case, in order, at most max of them: what shell completion
 * offers. The names are borrowed for the call only.
 */
int
user_pg_names(struct pg_conn *conn, const char *prefix, int max,
    void (*fn)(const char *, void *), void *arg, char **cause)
{
	PGresult	*res;
	char		 maxtext[16];
	const char	*values[2] = { prefix, maxtext };
	int		 i;

	snprintf(maxtext, sizeof maxtext, "%d", max);
	/* A nondeterministic collation takes no prefix test: "C" does. */
	if (pg_params(conn, "SELECT username FROM users WHERE "
	    "starts_with(lower(username) COLLATE \"C\", lower($1)) "
	    "ORDER BY username LIMIT $2", 2, values, &res, cause) == -1)
		return -1;
	for (i = 0; i < PQntuples(res); i++)
		fn(user_pg_text(res, i, 0), arg);
	PQclear(res);
	return 0;
}
