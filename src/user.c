/*
 * The users table: checking names, emails and roles, and every statement on
 * the table. Values only ever travel as bound parameters. Names and emails
 * are compared without regard to case, as the NOCASE unique indexes of the
 * model compare them; those indexes are what keeps them unique.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exodb.h"

#define USER_NAME_MAX	64	/* bytes */
#define USER_EMAIL_MAX	120	/* bytes */

static const char *const user_roles[] = { "user", "admin" };
#define USER_NROLES (sizeof user_roles / sizeof user_roles[0])

/* The columns struct user is read from, in user_row()'s order. */
#define USER_COLUMNS "id, username, email, role, is_approved, password_hash"

/*
 * The length of the UTF-8 sequence at s, or 0 when it is not one: overlong
 * forms, surrogates and code points beyond U+10FFFF are not.
 */
static size_t
user_utf8_len(const unsigned char *s)
{
	unsigned	c = s[0], cp;
	size_t		n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	cp = c & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * Whether s is text that can be named in a message: valid UTF-8 without
 * control characters (C0, DEL, C1). If not, *cause says so about what.
 */
int
user_valid_text(const char *what, const char *s, char **cause)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n;

	while (*p != '\0') {
		if ((n = user_utf8_len(p)) == 0) {
			*cause = xasprintf("%s is not valid UTF-8", what);
			return -1;
		}
		if (*p < 0x20 || *p == 0x7f || (n == 2 && p[0] == 0xc2 &&
		    p[1] < 0xa0)) {
			*cause = xasprintf("%s contains a control character",
			    what);
			return -1;
		}
		p += n;
	}
	return 0;
}

/* Not empty, text that can be named in a message, at most max bytes. */
static int
user_valid_field(const char *what, const char *s, size_t max, char **cause)
{
	if (*s == '\0') {
		*cause = xasprintf("%s is empty", what);
		return -1;
	}
	if (user_valid_text(what, s, cause) == -1)
		return -1;
	if (strlen(s) > max) {
		*cause = xasprintf("%s is longer than %zu bytes", what, max);
		return -1;
	}
	return 0;
}

/* A username: [A-Za-z0-9._-], 1 to 64 bytes. */
int
user_valid_name(const char *name, char **cause)
{
	static const char	ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._-";

	if (user_valid_field("username", name, USER_NAME_MAX, cause) == -1)
		return -1;
	if (name[strspn(name, ok)] != '\0') {
		*cause = xasprintf("username '%s' has a character other than "
		    "letters, digits, '.', '_' and '-'", name);
		return -1;
	}
	return 0;
}

/*
 * An email: valid UTF-8 of at most 120 bytes, exactly one '@' with something
 * on each side, no spaces and no control characters. Whether it reaches
 * anyone is not exodb's to say.
 */
int
user_valid_email(const char *email, char **cause)
{
	const char	*at;

	if (user_valid_field("email", email, USER_EMAIL_MAX, cause) == -1)
		return -1;
	if (strchr(email, ' ') != NULL) {
		*cause = xasprintf("email '%s' contains a space", email);
		return -1;
	}
	if ((at = strchr(email, '@')) == NULL) {
		*cause = xasprintf("email '%s' has no '@'", email);
		return -1;
	}
	if (strchr(at + 1, '@') != NULL) {
		*cause = xasprintf("email '%s' has more than one '@'", email);
		return -1;
	}
	if (at == email || at[1] == '\0') {
		*cause = xasprintf("email '%s' needs something on each side "
		    "of '@'", email);
		return -1;
	}
	return 0;
}

int
user_valid_role(const char *role, char **cause)
{
	size_t	i;

	for (i = 0; i < USER_NROLES; i++) {
		if (strcmp(role, user_roles[i]) == 0)
			return 0;
	}
	if (user_valid_text("role", role, cause) == -1)
		return -1;
	*cause = xasprintf("unknown role '%s'; roles are user and admin", role);
	return -1;
}

/* Free what u holds, not u. */
static void
user_clear(struct user *u)
{
	free(u->username);
	free(u->email);
	free(u->role);
	free(u->password_hash);
}

void
user_free(struct user *u)
{
	if (u == NULL)
		return;
	user_clear(u);
	free(u);
}

static char *
user_column_text(sqlite3_stmt *stmt, int i)
{
	const unsigned char	*s = sqlite3_column_text(stmt, i);

	return xstrdup(s != NULL ? (const char *)s : "");
}

/* Column i's text, "" for NULL, borrowed until the next step. */
static const char *
user_list_text(sqlite3_stmt *stmt, int i)
{
	const unsigned char	*s = sqlite3_column_text(stmt, i);

	return s != NULL ? (const char *)s : "";
}

/* Fill u from a row of USER_COLUMNS. */
static void
user_row(sqlite3_stmt *stmt, struct user *u)
{
	u->id = sqlite3_column_int64(stmt, 0);
	u->username = user_column_text(stmt, 1);
	u->email = user_column_text(stmt, 2);
	u->role = user_column_text(stmt, 3);
	u->approved = sqlite3_column_int(stmt, 4) != 0;
	u->password_hash = user_column_text(stmt, 5);
}

/*
 * The user named name, in any case. *u is the caller's to free with
 * user_free(); no such user is an error, "unknown user 'name'".
 */
int
user_find(sqlite3 *db, const char *name, struct user **u, char **cause)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	*u = NULL;
	if (user_valid_text("username", name, cause) == -1)
		return -1;
	if (db_prepare(db, &stmt, cause, "SELECT " USER_COLUMNS " FROM users "
	    "WHERE username = ?1 COLLATE NOCASE") == -1)
		return -1;
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		*u = xcalloc(1, sizeof **u);
		user_row(stmt, *u);
	} else if (rc == SQLITE_DONE)
		*cause = xasprintf("unknown user '%s'", name);
	else
		*cause = db_error(db);
	sqlite3_finalize(stmt);
	return *u != NULL ? 0 : -1;
}

/* Whether a row has column equal to value without regard to case. */
static int
user_exists(sqlite3 *db, const char *column, const char *value, int *exists,
    char **cause)
{
	return db_exists(db, value, exists, cause, "SELECT 1 FROM users WHERE "
	    "%w = ?1 COLLATE NOCASE", column);
}

/*
 * Succeed when neither name nor email is taken, in any case; otherwise
 * *cause says which one is.
 */
int
user_check_free(sqlite3 *db, const char *name, const char *email,
    char **cause)
{
	int	exists;

	if (user_exists(db, "username", name, &exists, cause) == -1)
		return -1;
	if (exists) {
		*cause = xasprintf("username '%s' is taken", name);
		return -1;
	}
	if (user_exists(db, "email", email, &exists, cause) == -1)
		return -1;
	if (exists) {
		*cause = xasprintf("email '%s' is taken", email);
		return -1;
	}
	return 0;
}

/*
 * Insert u (its id aside) and set *id to the new row's. The check for a
 * taken name or email and the insert share one BEGIN IMMEDIATE transaction;
 * should the unique indexes refuse the row all the same, the cause is still
 * which one is taken, never SQLite's text.
 */
int
user_create(sqlite3 *db, const struct user *u, long long *id, char **cause)
{
	sqlite3_stmt	*stmt = NULL;
	int		 rc;

	if (db_exec(db, "BEGIN IMMEDIATE", cause) == -1)
		return -1;
	if (user_check_free(db, u->username, u->email, cause) == -1)
		goto fail;
	if (db_prepare(db, &stmt, cause, "INSERT INTO users (username, email, "
	    "password_hash, role, is_approved) VALUES (?1, ?2, ?3, ?4, ?5)")
	    == -1)
		goto fail;
	sqlite3_bind_text(stmt, 1, u->username, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, u->email, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, u->password_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, u->role, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 5, u->approved != 0);
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_DONE &&
	    sqlite3_extended_errcode(db) == SQLITE_CONSTRAINT_UNIQUE) {
		sqlite3_finalize(stmt);
		db_rollback(db);
		if (user_check_free(db, u->username, u->email, cause) == 0)
			*cause = xasprintf("username '%s' or email '%s' is "
			    "taken", u->username, u->email);
		return -1;
	}
	if (rc != SQLITE_DONE) {
		*cause = db_error(db);
		goto fail;
	}
	*id = sqlite3_last_insert_rowid(db);
	sqlite3_finalize(stmt);
	stmt = NULL;
	if (db_exec(db, "COMMIT", cause) == -1)
		goto fail;
	return 0;
fail:
	sqlite3_finalize(stmt);
	db_rollback(db);
	return -1;
}

/*
 * Set column to value (text, or the integer number when text is NULL) for
 * the user named name in any case, unless it holds that already. *changed
 * says whether it did not; *stored is the user's name as stored, for the
 * caller to free. Nothing is written when nothing changes.
 */
static int
user_set(sqlite3 *db, const char *name, const char *column, const char *text,
    int number, char **stored, int *changed, char **cause)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	*stored = NULL;
	*changed = 0;
	if (user_valid_text("username", name, cause) == -1)
		return -1;
	if (db_prepare(db, &stmt, cause, "UPDATE users SET %w = ?2 WHERE "
	    "username = ?1 COLLATE NOCASE AND %w IS NOT ?2 RETURNING username",
	    column, column) == -1)
		return -1;
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	if (text != NULL)
		sqlite3_bind_text(stmt, 2, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int(stmt, 2, number);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		*stored = user_column_text(stmt, 0);
		*changed = 1;
		rc = sqlite3_step(stmt);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		free(*stored);
		*stored = NULL;
		*cause = db_error(db);
		db_rollback(db);
		return -1;
	}
	if (!*changed) {
		struct user	*u;

		if (user_find(db, name, &u, cause) == -1)
			return -1;
		*stored = xstrdup(u->username);
		user_free(u);
	}
	return 0;
}

/* Approve (approved 1) or revoke (0); see user_set() for the rest. */
int
user_set_approved(sqlite3 *db, const char *name, int approved, char **stored,
    int *changed, char **cause)
{
	return user_set(db, name, "is_approved", NULL, approved != 0, stored,
	    changed, cause);
}

int
user_set_role(sqlite3 *db, const char *name, const char *role, char **stored,
    int *changed, char **cause)
{
	if (user_valid_role(role, cause) == -1)
		return -1;
	return user_set(db, name, "role", role, 0, stored, changed, cause);
}

/*
 * Store a new hash for user id. With old, only if the stored hash is still
 * old (so that a rehash never undoes a password change made meanwhile);
 * *changed says whether a row was updated.
 */
int
user_set_hash(sqlite3 *db, long long id, const char *old, const char *hash,
    int *changed, char **cause)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	*changed = 0;
	if (db_prepare(db, &stmt, cause, "UPDATE users SET password_hash = ?2 "
	    "WHERE id = ?1 AND (?3 IS NULL OR password_hash = ?3)") == -1)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_text(stmt, 2, hash, -1, SQLITE_STATIC);
	if (old != NULL)
		sqlite3_bind_text(stmt, 3, old, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		*cause = db_error(db);
		db_rollback(db);
		return -1;
	}
	*changed = sqlite3_changes(db) > 0;
	return 0;
}

/* Delete user id; *deleted says whether it was still there. */
int
user_delete(sqlite3 *db, long long id, int *deleted, char **cause)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	*deleted = 0;
	if (db_prepare(db, &stmt, cause, "DELETE FROM users WHERE id = ?1")
	    == -1)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		*cause = db_error(db);
		db_rollback(db);
		return -1;
	}
	*deleted = sqlite3_changes(db) > 0;
	return 0;
}

/*
 * Prepare "SELECT what FROM users WHERE ... tail" for the users f lets
 * through, with ?1 the role. The clause names only the filters f has, so
 * that a row that passes is not tested against a filter that is not there.
 */
static int
user_list_prepare(sqlite3 *db, const struct user_filter *f, sqlite3_stmt **stmt,
    const char *what, const char *tail, char **cause)
{
	static const char	*where[] = {
		"", " WHERE is_approved = 0", " WHERE role = ?1",
		" WHERE is_approved = 0 AND role = ?1"
	};

	if (f->role != NULL && user_valid_role(f->role, cause) == -1)
		return -1;
	if (db_prepare(db, stmt, cause, "SELECT %s FROM users%s%s", what,
	    where[(f->pending != 0) | (f->role != NULL) << 1], tail) == -1)
		return -1;
	if (f->role != NULL)
		sqlite3_bind_text(*stmt, 1, f->role, -1, SQLITE_STATIC);
	return 0;
}

/*
 * How many columns s takes on a terminal: one per code point, that is one per
 * byte that does not continue a UTF-8 sequence. NULL takes none.
 */
size_t
user_width(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n = 0;

	if (p == NULL)
		return 0;
	for (; *p != '\0'; p++)
		n += (*p & 0xc0) != 0x80;
	return n;
}

/*
 * The step of the aggregate exodb_widths(id, username, email, role): widen
 * the struct user_list it was made for to hold this row. One call a row
 * costs less than a max() of each column.
 */
static void
user_list_widths_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct user_list	*l = sqlite3_user_data(ctx);
	unsigned long long	 id;
	size_t			 w;
	int			 i;

	/* The id as the table shows it: an integer in decimal. */
	id = (unsigned long long)sqlite3_value_int64(argv[0]);
	w = (long long)id < 0 ? 2 : 1;
	if ((long long)id < 0)
		id = 0ULL - id;
	for (; id >= 10; id /= 10)
		w++;
	if (w > l->width[0])
		l->width[0] = w;
	for (i = 1; i < argc && i < USER_LIST_NWIDTHS; i++) {
		w = user_width((const char *)sqlite3_value_text(argv[i]));
		if (w > l->width[i])
			l->width[i] = w;
	}
}

static void
user_list_widths_final(sqlite3_context *ctx)
{
	sqlite3_result_null(ctx);
}

/*
 * Start listing the users f lets through, by id, one row at a time: the
 * caller calls user_list_next() until it returns 0 and then user_list_close(),
 * which it must call whatever this returned. Unless json is set, l->width
 * first holds the widest id, username, email and role, from one aggregate
 * query; the statement that made it stays open until user_list_close(), so
 * that the rows are read in the same transaction, from the same snapshot,
 * as the widths were.
 */
int
user_list_open(sqlite3 *db, const struct user_filter *f, int json,
    struct user_list *l, char **cause)
{
	memset(l, 0, sizeof *l);
	l->db = db;
	l->json = json != 0;
	if (!json) {
		if (sqlite3_create_function_v2(db, "exodb_widths", 4,
		    SQLITE_UTF8 | SQLITE_DIRECTONLY, l, NULL,
		    user_list_widths_step, user_list_widths_final, NULL) !=
		    SQLITE_OK) {
			*cause = db_error(db);
			return -1;
		}
		l->function = 1;
		if (user_list_prepare(db, f, &l->widths, "exodb_widths(id, "
		    "username, email, role)", "", cause) == -1)
			return -1;
		if (sqlite3_step(l->widths) != SQLITE_ROW) {
			*cause = db_error(db);
			return -1;
		}
	}
	/* sqlite3_column_int64() reads the id as the aggregate did. */
	/*
	 * With json, SQLite's json_object() writes each object but its last
	 * member: "approved" is a JSON boolean, which json_object() takes only
	 * from json() parsing 'true' or 'false' again for every row, a third of
	 * the time of a long list. user_list_next() appends it.
	 */
	return user_list_prepare(db, f, &l->stmt, json ?
	    "json_object('id', id, 'username', username, 'email', email, "
	    "'role', role), is_approved" :
	    "id, username, email, role, is_approved", " ORDER BY id", cause);
}

/* The current row as a JSON object, "approved" last, into l->object. */
static int
user_list_object(struct user_list *l, char **cause)
{
	static const char	 yes[] = ",\"approved\":true}";
	static const char	 no[] = ",\"approved\":false}";
	const char		*o, *tail = l->approved ? yes : no;
	size_t			 n, taillen = l->approved ? sizeof yes - 1 :
				     sizeof no - 1;

	o = (const char *)sqlite3_column_text(l->stmt, 0);
	n = (size_t)sqlite3_column_bytes(l->stmt, 0);
	if (o == NULL || n < 3 || o[n - 1] != '}') {
		*cause = o == NULL ? db_error(l->db) :
		    xstrdup("json_object() made no object");
		return -1;
	}
	if (n - 1 + taillen > l->objectsize) {
		l->objectsize = n - 1 + taillen;
		l->objectbuf = xreallocarray(l->objectbuf, l->objectsize, 1);
	}
	memcpy(l->objectbuf, o, n - 1);
	memcpy(l->objectbuf + n - 1, tail, taillen);
	l->object = l->objectbuf;
	l->objectlen = n - 1 + taillen;
	return 1;
}

/*
 * The next row into l: its fields (with json, l->object and l->objectlen:
 * the row as a JSON object) are borrowed until the next call. Returns 1 for
 * a row, 0 at the end and -1 on error.
 */
int
user_list_next(struct user_list *l, char **cause)
{
	sqlite3_stmt	*stmt = l->stmt;
	int		 rc;

	if ((rc = sqlite3_step(stmt)) == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW) {
		*cause = db_error(l->db);
		return -1;
	}
	l->approved = sqlite3_column_int(stmt, 4 - 3 * l->json) != 0;
	if (l->json)
		return user_list_object(l, cause);
	l->id = sqlite3_column_int64(stmt, 0);
	l->username = user_list_text(stmt, 1);
	l->email = user_list_text(stmt, 2);
	l->role = user_list_text(stmt, 3);
	return 1;
}

/* End a list; l may be one user_list_open() failed to start. */
void
user_list_close(struct user_list *l)
{
	sqlite3_finalize(l->stmt);
	sqlite3_finalize(l->widths);
	l->stmt = l->widths = NULL;
	free(l->objectbuf);
	l->objectbuf = NULL;
	l->objectsize = 0;
	/* The function points at l: take it away with l. */
	if (l->function)
		sqlite3_create_function_v2(l->db, "exodb_widths", 4,
		    SQLITE_UTF8, NULL, NULL, NULL, NULL, NULL);
	l->function = 0;
}

/*
 * Whether db's users table has every column the user commands use and, when
 * the command inserts (inserts set), no other NOT NULL column without a
 * default, which it could not fill. The message names the column: a model
 * that changed users says so here, not in SQLite's words halfway through.
 */
int
user_check_table(sqlite3 *db, int inserts, char **cause)
{
	static const char *const used[] = { "id", "username", "email",
	    "password_hash", "role", "is_approved" };
	sqlite3_stmt	*stmt = NULL;
	const char	*name;
	size_t		 i;
	int		 rc, exists, ret = -1;

	if (db_table_exists(db, "users", &exists, cause) == -1)
		return -1;
	if (!exists) {
		*cause = xstrdup("the database has no table users");
		return -1;
	}
	for (i = 0; i < sizeof used / sizeof used[0]; i++) {
		if (db_exists(db, used[i], &exists, cause, "SELECT 1 FROM "
		    "pragma_table_xinfo('users') WHERE name = ?1 COLLATE "
		    "NOCASE") == -1)
			return -1;
		if (!exists) {
			*cause = xasprintf("table users has no column %s, which "
			    "the user commands need", used[i]);
			return -1;
		}
	}
	if (!inserts)
		return 0;
	if (db_prepare(db, &stmt, cause, "SELECT name FROM "
	    "pragma_table_xinfo('users') WHERE \"notnull\" AND dflt_value IS "
	    "NULL AND NOT pk AND hidden = 0") == -1)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(stmt, 0);
		for (i = 0; i < sizeof used / sizeof used[0]; i++) {
			if (strcasecmp(name, used[i]) == 0)
				break;
		}
		if (i < sizeof used / sizeof used[0])
			continue;
		*cause = xasprintf("column users.%s is NOT NULL without a "
		    "default, which exodb cannot fill; give it a DEFAULT in "
		    "the model", name);
		goto out;
	}
	if (rc != SQLITE_DONE) {
		*cause = db_error(db);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(stmt);
	return ret;
}

/*
 * Call fn(name, arg) for each username that starts with prefix, without
 * regard to case, in order, at most max of them: what shell completion
 * offers. The names are borrowed for the call only.
 */
int
user_names(sqlite3 *db, const char *prefix, int max,
    void (*fn)(const char *, void *), void *arg, char **cause)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	/* A range on the NOCASE index: names are ASCII, below char(127). */
	if (db_prepare(db, &stmt, cause, "SELECT username FROM users WHERE "
	    "username >= ?1 AND username < ?1 || char(127) ORDER BY username "
	    "LIMIT ?2") == -1)
		return -1;
	sqlite3_bind_text(stmt, 1, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 2, max);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		fn(user_list_text(stmt, 0), arg);
	if (rc != SQLITE_DONE)
		*cause = db_error(db);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}
