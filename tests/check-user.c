/*
 * user.c: validation, and every statement on a real users table made from
 * the model's own DDL.
 */
#include "unit.h"

/* A database holding the model's tables, as db upgrade would make them. */
static sqlite3 *
users_db(void)
{
	sqlite3	*db;
	char	*ddl;

	ddl = render_schema(model_schema());
	db = unit_db(ddl);
	free(ddl);
	return db;
}

static long long
add(sqlite3 *db, const char *name, const char *email, const char *role,
    int approved)
{
	struct user	 u;
	char		*cause = NULL;
	long long	 id = 0;

	memset(&u, 0, sizeof u);
	u.username = (char *)name;
	u.email = (char *)email;
	u.role = (char *)role;
	u.approved = approved;
	u.password_hash = (char *)"$argon2id$v=19$m=19456,t=2,p=1$x$y";
	if (user_create(db, &u, &id, &cause) == -1)
		ck_abort_msg("user_create %s: %s", name, cause);
	return id;
}

/* Expect call to fail with exactly the cause want, in the caller's cause. */
#define REFUSED(call, want) do {					\
	cause = NULL;							\
	ck_assert_int_eq((call), -1);					\
	ck_assert_ptr_nonnull(cause);					\
	ck_assert_str_eq(cause, want);					\
	free(cause);							\
	cause = NULL;							\
} while (0)

START_TEST(test_valid_name)
{
	static const char	*good[] = {
		"a", "alice", "Alice.Smith-2_x", "0", "...", "-",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	char			*cause = NULL;
	size_t			 i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		ck_assert_msg(user_valid_name(good[i], &cause) == 0, "%s: %s",
		    good[i], cause);
	REFUSED(user_valid_name("", &cause), "username is empty");
	REFUSED(user_valid_name("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaa", &cause), "username is longer than 64 bytes");
	REFUSED(user_valid_name("al\x01ice", &cause),
	    "username contains a control character");
	REFUSED(user_valid_name("alice\n", &cause),
	    "username contains a control character");
	REFUSED(user_valid_name("al\x7f", &cause),
	    "username contains a control character");
	/* C1 controls are control characters too. */
	REFUSED(user_valid_name("al\xc2\x85", &cause),
	    "username contains a control character");
	REFUSED(user_valid_name("al\xff", &cause),
	    "username is not valid UTF-8");
	REFUSED(user_valid_name("\xc3", &cause), "username is not valid UTF-8");
	/* Overlong '/', a surrogate, beyond U+10FFFF. */
	REFUSED(user_valid_name("\xc0\xaf", &cause),
	    "username is not valid UTF-8");
	REFUSED(user_valid_name("\xed\xa0\x80", &cause),
	    "username is not valid UTF-8");
	REFUSED(user_valid_name("\xf4\x90\x80\x80", &cause),
	    "username is not valid UTF-8");
	REFUSED(user_valid_name("al ice", &cause), "username 'al ice' has a "
	    "character other than letters, digits, '.', '_' and '-'");
	REFUSED(user_valid_name("j\xc3\xb6rg", &cause), "username 'j\xc3\xb6rg' "
	    "has a character other than letters, digits, '.', '_' and '-'");
	REFUSED(user_valid_name("a'b", &cause), "username 'a'b' has a "
	    "character other than letters, digits, '.', '_' and '-'");
}
END_TEST

START_TEST(test_valid_email)
{
	char	long_email[122], *cause = NULL;

	ck_assert_int_eq(user_valid_email("alice@example.org", &cause), 0);
	ck_assert_int_eq(user_valid_email("a@b", &cause), 0);
	ck_assert_int_eq(user_valid_email("j\xc3\xb6rg@example.org", &cause), 0);
	/* 120 bytes is the most. */
	memset(long_email, 'a', sizeof long_email);
	memcpy(long_email + 100, "@example.org", 12);
	long_email[120] = '\0';
	ck_assert_int_eq(user_valid_email(long_email + 8, &cause), 0);
	ck_assert_int_eq(user_valid_email(long_email, &cause), 0);
	long_email[120] = 'g';
	long_email[121] = '\0';
	memcpy(long_email + 100, "@example.or", 11);
	REFUSED(user_valid_email(long_email, &cause),
	    "email is longer than 120 bytes");
	REFUSED(user_valid_email("", &cause), "email is empty");
	REFUSED(user_valid_email("alice.example.org", &cause),
	    "email 'alice.example.org' has no '@'");
	REFUSED(user_valid_email("a@b@c", &cause),
	    "email 'a@b@c' has more than one '@'");
	REFUSED(user_valid_email("alice @example.org", &cause),
	    "email 'alice @example.org' contains a space");
	REFUSED(user_valid_email("alice@example.org ", &cause),
	    "email 'alice@example.org ' contains a space");
	REFUSED(user_valid_email("alice@exa\tmple.org", &cause),
	    "email contains a control character");
	REFUSED(user_valid_email("alice@\xe0\x80\x80", &cause),
	    "email is not valid UTF-8");
	REFUSED(user_valid_email("@example.org", &cause),
	    "email '@example.org' needs something on each side of '@'");
	REFUSED(user_valid_email("alice@", &cause),
	    "email 'alice@' needs something on each side of '@'");
}
END_TEST

START_TEST(test_valid_role)
{
	char	*cause = NULL;

	ck_assert_int_eq(user_valid_role("user", &cause), 0);
	ck_assert_int_eq(user_valid_role("admin", &cause), 0);
	REFUSED(user_valid_role("root", &cause),
	    "unknown role 'root'; roles are user and admin");
	REFUSED(user_valid_role("Admin", &cause),
	    "unknown role 'Admin'; roles are user and admin");
	REFUSED(user_valid_role("", &cause),
	    "unknown role ''; roles are user and admin");
	REFUSED(user_valid_role("ad\nmin", &cause),
	    "role contains a control character");
}
END_TEST

START_TEST(test_create_find)
{
	sqlite3		*db = users_db();
	struct user	*u = NULL;
	char		*cause = NULL;

	ck_assert_int_eq(add(db, "alice", "alice@example.org", "user", 0), 1);
	ck_assert_int_eq(add(db, "Bob", "bob@example.org", "admin", 1), 2);
	ck_assert_int_eq(user_find(db, "ALICE", &u, &cause), 0);
	ck_assert_int_eq(u->id, 1);
	ck_assert_str_eq(u->username, "alice");
	ck_assert_str_eq(u->email, "alice@example.org");
	ck_assert_str_eq(u->role, "user");
	ck_assert_int_eq(u->approved, 0);
	ck_assert_str_eq(u->password_hash, "$argon2id$v=19$m=19456,t=2,p=1$x$y");
	user_free(u);
	ck_assert_int_eq(user_find(db, "bob", &u, &cause), 0);
	ck_assert_str_eq(u->username, "Bob");
	ck_assert_str_eq(u->role, "admin");
	ck_assert_int_eq(u->approved, 1);
	user_free(u);
	REFUSED(user_find(db, "carol", &u, &cause), "unknown user 'carol'");
	ck_assert_ptr_null(u);
	/* Values are bound, never SQL. */
	REFUSED(user_find(db, "x' OR '1'='1", &u, &cause),
	    "unknown user 'x' OR '1'='1'");
	REFUSED(user_find(db, "%", &u, &cause), "unknown user '%'");
	/* Nothing that could break the message's line. */
	REFUSED(user_find(db, "bob\n", &u, &cause),
	    "username contains a control character");
	user_free(NULL);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_create_taken)
{
	sqlite3		*db = users_db();
	struct user	 u;
	char		*cause = NULL;
	long long	 id = 0;

	add(db, "alice", "alice@example.org", "user", 0);
	memset(&u, 0, sizeof u);
	u.role = (char *)"user";
	u.password_hash = (char *)"h";
	u.username = (char *)"ALICE";
	u.email = (char *)"other@example.org";
	REFUSED(user_create(db, &u, &id, &cause), "username 'ALICE' is taken");
	u.username = (char *)"alice2";
	u.email = (char *)"Alice@Example.ORG";
	REFUSED(user_create(db, &u, &id, &cause),
	    "email 'Alice@Example.ORG' is taken");
	CK_STR(unit_query(db, "SELECT count(*) FROM users"), "1");
	/* No transaction is left open. */
	ck_assert_int_eq(sqlite3_get_autocommit(db), 1);
	REFUSED(user_check_free(db, "Alice", "x@y", &cause),
	    "username 'Alice' is taken");
	ck_assert_int_eq(user_check_free(db, "alice2", "x@y", &cause), 0);
	sqlite3_close(db);
}
END_TEST

/*
 * Should the unique index refuse a row that the check let through (another
 * writer got in first), the cause is still "is taken", never SQLite's text.
 * A trigger plays the other writer.
 */
START_TEST(test_create_race)
{
	sqlite3		*db = users_db();
	struct user	 u;
	char		*cause = NULL;
	long long	 id = 0;

	unit_exec(db, "CREATE TEMP TRIGGER other BEFORE INSERT ON users BEGIN "
	    "INSERT INTO users (username, email, password_hash) VALUES "
	    "(upper(NEW.username), 'first@example.org', 'h'); END");
	memset(&u, 0, sizeof u);
	u.username = (char *)"carol";
	u.email = (char *)"carol@example.org";
	u.role = (char *)"user";
	u.password_hash = (char *)"h";
	REFUSED(user_create(db, &u, &id, &cause), "username 'carol' or email "
	    "'carol@example.org' is taken");
	CK_STR(unit_query(db, "SELECT count(*) FROM users"), "0");
	ck_assert_int_eq(sqlite3_get_autocommit(db), 1);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_set_approved)
{
	sqlite3	*db = users_db();
	char	*name = NULL, *cause = NULL;
	int	 changed = -1;

	add(db, "Alice", "alice@example.org", "user", 0);
	ck_assert_int_eq(user_set_approved(db, "alice", 1, &name, &changed,
	    &cause), 0);
	ck_assert_int_eq(changed, 1);
	ck_assert_str_eq(name, "Alice");
	free(name);
	CK_STR(unit_query(db, "SELECT is_approved FROM users"), "1");
	/* Again: nothing changes, nothing is written. */
	ck_assert_int_eq(user_set_approved(db, "ALICE", 1, &name, &changed,
	    &cause), 0);
	ck_assert_int_eq(changed, 0);
	ck_assert_int_eq(sqlite3_changes(db), 0);
	ck_assert_str_eq(name, "Alice");
	free(name);
	ck_assert_int_eq(user_set_approved(db, "alice", 0, &name, &changed,
	    &cause), 0);
	ck_assert_int_eq(changed, 1);
	free(name);
	CK_STR(unit_query(db, "SELECT is_approved FROM users"), "0");
	REFUSED(user_set_approved(db, "bob", 1, &name, &changed, &cause),
	    "unknown user 'bob'");
	ck_assert_ptr_null(name);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_set_role)
{
	sqlite3	*db = users_db();
	char	*name = NULL, *cause = NULL;
	int	 changed = -1;

	add(db, "alice", "alice@example.org", "user", 0);
	ck_assert_int_eq(user_set_role(db, "Alice", "admin", &name, &changed,
	    &cause), 0);
	ck_assert_int_eq(changed, 1);
	ck_assert_str_eq(name, "alice");
	free(name);
	ck_assert_int_eq(user_set_role(db, "alice", "admin", &name, &changed,
	    &cause), 0);
	ck_assert_int_eq(changed, 0);
	free(name);
	CK_STR(unit_query(db, "SELECT role FROM users"), "admin");
	REFUSED(user_set_role(db, "alice", "root", &name, &changed, &cause),
	    "unknown role 'root'; roles are user and admin");
	REFUSED(user_set_role(db, "bob", "user", &name, &changed, &cause),
	    "unknown user 'bob'");
	CK_STR(unit_query(db, "SELECT role FROM users"), "admin");
	sqlite3_close(db);
}
END_TEST

START_TEST(test_set_hash)
{
	sqlite3	*db = users_db();
	char	*cause = NULL;
	int	 changed = -1;

	add(db, "alice", "alice@example.org", "user", 0);
	ck_assert_int_eq(user_set_hash(db, 1, NULL, "h1", &changed, &cause), 0);
	ck_assert_int_eq(changed, 1);
	/* Only over the hash the caller read: a rehash never undoes passwd. */
	ck_assert_int_eq(user_set_hash(db, 1, "h0", "h2", &changed, &cause), 0);
	ck_assert_int_eq(changed, 0);
	CK_STR(unit_query(db, "SELECT password_hash FROM users"), "h1");
	ck_assert_int_eq(user_set_hash(db, 1, "h1", "h2", &changed, &cause), 0);
	ck_assert_int_eq(changed, 1);
	CK_STR(unit_query(db, "SELECT password_hash FROM users"), "h2");
	ck_assert_int_eq(user_set_hash(db, 7, NULL, "h3", &changed, &cause), 0);
	ck_assert_int_eq(changed, 0);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_delete)
{
	sqlite3	*db = users_db();
	char	*cause = NULL;
	int	 deleted = -1;

	add(db, "alice", "alice@example.org", "user", 0);
	add(db, "bob", "bob@example.org", "user", 0);
	ck_assert_int_eq(user_delete(db, 1, &deleted, &cause), 0);
	ck_assert_int_eq(deleted, 1);
	ck_assert_int_eq(user_delete(db, 1, &deleted, &cause), 0);
	ck_assert_int_eq(deleted, 0);
	CK_STR(unit_query(db, "SELECT group_concat(username) FROM users"),
	    "bob");
	sqlite3_close(db);
}
END_TEST

/*
 * What user_list_*() lists with f: the usernames (with json, the objects)
 * joined by commas, or NULL with *cause when it fails; width gets l's widths.
 */
static char *
list(sqlite3 *db, const struct user_filter *f, int json,
    size_t width[USER_LIST_NWIDTHS], char **cause)
{
	struct user_list	 l;
	char			*s = xstrdup(""), *t;
	int			 rc, rows = 0;

	if (user_list_open(db, f, json, &l, cause) == -1) {
		user_list_close(&l);
		free(s);
		return NULL;
	}
	if (width != NULL)
		memcpy(width, l.width, sizeof l.width);
	while ((rc = user_list_next(&l, cause)) == 1) {
		if (json)
			t = xasprintf("%s%s%.*s", s, rows++ ? "," : "",
			    (int)l.objectlen, l.object);
		else
			t = xasprintf("%s%s%s", s, rows++ ? "," : "",
			    l.username);
		free(s);
		s = t;
	}
	user_list_close(&l);
	if (rc == -1) {
		free(s);
		return NULL;
	}
	return s;
}

/* Expect list() to give want, and the widths of id, username, email, role. */
#define LISTS(f, json, want, w0, w1, w2, w3) do {			\
	size_t	 w_[USER_LIST_NWIDTHS];					\
	char	*s_ = list(db, (f), (json), w_, &cause);		\
									\
	ck_assert_msg(s_ != NULL, "list: %s", cause);			\
	ck_assert_str_eq(s_, (want));					\
	free(s_);							\
	if (!(json)) {							\
		ck_assert_uint_eq(w_[0], (w0));				\
		ck_assert_uint_eq(w_[1], (w1));				\
		ck_assert_uint_eq(w_[2], (w2));				\
		ck_assert_uint_eq(w_[3], (w3));				\
	}								\
} while (0)

START_TEST(test_list)
{
	sqlite3			*db = users_db();
	struct user_filter	 f = { 0, NULL };
	struct user_list	 l;
	sqlite3_stmt		*stmt = NULL;
	char			*cause = NULL;

	LISTS(&f, 0, "", 0, 0, 0, 0);
	add(db, "carol", "carol@example.org", "admin", 1);
	LISTS(&f, 0, "carol", 1, 5, 17, 5);
	add(db, "alice", "alice@example.org", "user", 0);
	add(db, "bob", "b@x.org", "admin", 0);
	LISTS(&f, 0, "carol,alice,bob", 1, 5, 17, 5);
	/* The widths are those of the rows listed, not of the table. */
	f.pending = 1;
	LISTS(&f, 0, "alice,bob", 1, 5, 17, 5);
	f.role = "admin";
	LISTS(&f, 0, "bob", 1, 3, 7, 5);
	f.pending = 0;
	LISTS(&f, 0, "carol,bob", 1, 5, 17, 5);
	f.role = "user";
	LISTS(&f, 0, "alice", 1, 5, 17, 4);
	f.pending = 1;
	f.role = "admin";
	unit_exec(db, "UPDATE users SET is_approved = 1 WHERE username = 'bob'");
	LISTS(&f, 0, "", 0, 0, 0, 0);
	/* One row: every field, and the hash is not among them. */
	f.pending = 0;
	f.role = "user";
	ck_assert_int_eq(user_list_open(db, &f, 0, &l, &cause), 0);
	ck_assert_int_eq(user_list_next(&l, &cause), 1);
	ck_assert_int_eq(l.id, 2);
	ck_assert_str_eq(l.username, "alice");
	ck_assert_str_eq(l.email, "alice@example.org");
	ck_assert_str_eq(l.role, "user");
	ck_assert_int_eq(l.approved, 0);
	ck_assert_int_eq(user_list_next(&l, &cause), 0);
	user_list_close(&l);
	f.role = "root";
	ck_assert_ptr_null(list(db, &f, 0, NULL, &cause));
	ck_assert_str_eq(cause, "unknown role 'root'; roles are user and admin");
	free(cause);
	cause = NULL;
	/* The width function goes with the list that registered it. */
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT exodb_widths(1, 'a', "
	    "'b', 'c')", -1, &stmt, NULL), SQLITE_ERROR);
	ck_assert_ptr_null(stmt);
	sqlite3_close(db);
}
END_TEST

/*
 * Widths count code points as the table prints them: one per control
 * character (shown as '?'), none for a byte that only continues a UTF-8
 * sequence; ids in decimal, a minus sign included.
 */
START_TEST(test_list_widths)
{
	sqlite3			*db = users_db();
	struct user_filter	 f = { 0, NULL };
	char			*cause = NULL;

	unit_exec(db, "INSERT INTO users (id, username, email, password_hash) "
	    "VALUES (-12345, 'j\u00f6rg', 'a' || char(10) || char(27) || "
	    "'@x.org', 'h')");
	LISTS(&f, 0, "j\u00f6rg", 6, 4, 9, 4);
	unit_exec(db, "INSERT INTO users (id, username, email, password_hash) "
	    "VALUES (7, CAST(X'6180806262' AS TEXT), "
	    "'\u65e5\u672c@example.org', 'h')");
	LISTS(&f, 0, "j\u00f6rg,a\x80\x80" "bb", 6, 4, 14, 4);
	unit_exec(db, "INSERT INTO users (id, username, email, password_hash) "
	    "VALUES (9223372036854775807, 'w', 'w@x.org', 'h')");
	LISTS(&f, 0, "j\u00f6rg,a\x80\x80" "bb,w", 19, 4, 14, 4);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_list_json)
{
	sqlite3			*db = users_db();
	struct user_filter	 f = { 0, NULL };
	char			*json, *cause = NULL, *sql;

	LISTS(&f, 1, "", 0, 0, 0, 0);
	add(db, "alice", "alice@example.org", "admin", 1);
	LISTS(&f, 1, "{\"id\":1,\"username\":\"alice\",\"email\":"
	    "\"alice@example.org\",\"role\":\"admin\",\"approved\":true}",
	    0, 0, 0, 0);
	/* What the app may have stored: quotes, backslashes, any text. */
	unit_exec(db, "INSERT INTO users (username, email, password_hash) "
	    "VALUES ('b\"o\\b', 'b\u00f6b@x.org', 'secret-hash')");
	json = list(db, &f, 1, NULL, &cause);
	ck_assert_ptr_nonnull(json);
	ck_assert_str_eq(json, "{\"id\":1,\"username\":\"alice\",\"email\":"
	    "\"alice@example.org\",\"role\":\"admin\",\"approved\":true},"
	    "{\"id\":2,\"username\":\"b\\\"o\\\\b\",\"email\":\"b\u00f6b@x.org\","
	    "\"role\":\"user\",\"approved\":false}");
	ck_assert_ptr_null(strstr(json, "argon2"));
	ck_assert_ptr_null(strstr(json, "secret-hash"));
	sql = sqlite3_mprintf("SELECT json_valid('[' || %Q || ']') AND "
	    "json_array_length('[' || %Q || ']') = 2", json, json);
	CK_STR(unit_query(db, sql), "1");
	sqlite3_free(sql);
	free(json);
	f.pending = 1;
	LISTS(&f, 1, "{\"id\":2,\"username\":\"b\\\"o\\\\b\",\"email\":"
	    "\"b\u00f6b@x.org\",\"role\":\"user\",\"approved\":false}",
	    0, 0, 0, 0);
	f.role = "admin";
	LISTS(&f, 1, "", 0, 0, 0, 0);
	f.role = "boss";
	ck_assert_ptr_null(list(db, &f, 1, NULL, &cause));
	ck_assert_str_eq(cause, "unknown role 'boss'; roles are user and admin");
	free(cause);
	sqlite3_close(db);
}
END_TEST

/*
 * The widths and the rows come from one snapshot: while a list is open, no
 * other connection can write a row it would not have measured.
 */
START_TEST(test_list_snapshot)
{
	sqlite3			*a, *b;
	struct user_filter	 f = { 0, NULL };
	struct user_list	 l;
	char			*ddl, *cause = NULL;

	unit_tmpdir();
	ck_assert_int_eq(sqlite3_open("users.db", &a), SQLITE_OK);
	ddl = render_schema(model_schema());
	unit_exec(a, ddl);
	free(ddl);
	add(a, "alice", "alice@example.org", "user", 0);
	ck_assert_int_eq(sqlite3_open("users.db", &b), SQLITE_OK);
	ck_assert_int_eq(user_list_open(a, &f, 0, &l, &cause), 0);
	ck_assert_uint_eq(l.width[1], 5);
	ck_assert_int_eq(sqlite3_exec(b, "INSERT INTO users (username, email, "
	    "password_hash) VALUES ('a-much-longer-name', 'l@x.org', 'h')",
	    NULL, NULL, NULL), SQLITE_BUSY);
	ck_assert_int_eq(user_list_next(&l, &cause), 1);
	ck_assert_int_eq(user_list_next(&l, &cause), 0);
	user_list_close(&l);
	unit_exec(b, "INSERT INTO users (username, email, password_hash) "
	    "VALUES ('a-much-longer-name', 'l@x.org', 'h')");
	ck_assert_int_eq(user_list_open(a, &f, 0, &l, &cause), 0);
	ck_assert_uint_eq(l.width[1], 18);
	user_list_close(&l);
	sqlite3_close(a);
	sqlite3_close(b);
	unit_rmdir();
}
END_TEST

/* Two connections to one file: what the command sees after another wrote. */
START_TEST(test_two_connections)
{
	sqlite3		*a, *b;
	struct user	 u;
	char		*ddl, *cause = NULL;
	long long	 id = 0;

	unit_tmpdir();
	ck_assert_int_eq(sqlite3_open("users.db", &a), SQLITE_OK);
	ddl = render_schema(model_schema());
	unit_exec(a, ddl);
	free(ddl);
	ck_assert_int_eq(sqlite3_open("users.db", &b), SQLITE_OK);
	sqlite3_busy_timeout(b, 5000);
	add(a, "alice", "alice@example.org", "user", 0);
	memset(&u, 0, sizeof u);
	u.username = (char *)"Alice";
	u.email = (char *)"other@example.org";
	u.role = (char *)"user";
	u.password_hash = (char *)"h";
	REFUSED(user_create(b, &u, &id, &cause), "username 'Alice' is taken");
	/* A writer holding the lock makes create wait, then fail cleanly. */
	unit_exec(a, "BEGIN IMMEDIATE");
	sqlite3_busy_timeout(b, 10);
	u.username = (char *)"dave";
	ck_assert_int_eq(user_create(b, &u, &id, &cause), -1);
	ck_assert_str_eq(cause, "database is locked");
	free(cause);
	unit_exec(a, "ROLLBACK");
	sqlite3_close(a);
	sqlite3_close(b);
	unit_rmdir();
}
END_TEST

/* The columns the user commands use, named when one is missing. */
START_TEST(test_check_table)
{
	sqlite3	*db = users_db();
	char	*cause = NULL;

	ck_assert_int_eq(user_check_table(db, 1, &cause), 0);
	sqlite3_close(db);
	db = unit_db(NULL);
	ck_assert_int_eq(user_check_table(db, 0, &cause), -1);
	ck_assert_str_eq(cause, "the database has no table users");
	free(cause);
	sqlite3_close(db);
	db = unit_db("CREATE TABLE users (id INTEGER PRIMARY KEY, username, "
	    "email, password_hash, role)");
	ck_assert_int_eq(user_check_table(db, 0, &cause), -1);
	ck_assert_str_eq(cause, "table users has no column is_approved, which "
	    "the user commands need");
	free(cause);
	sqlite3_close(db);
	/* A NOT NULL column without default matters only to an insert. */
	db = unit_db("CREATE TABLE users (id INTEGER PRIMARY KEY, username, "
	    "email, password_hash NOT NULL, role, is_approved, team TEXT NOT "
	    "NULL, n INT NOT NULL DEFAULT 0)");
	ck_assert_int_eq(user_check_table(db, 0, &cause), 0);
	ck_assert_int_eq(user_check_table(db, 1, &cause), -1);
	ck_assert_str_eq(cause, "column users.team is NOT NULL without a "
	    "default, which exodb cannot fill; give it a DEFAULT in the model");
	free(cause);
	sqlite3_close(db);
}
END_TEST

static Suite *
unit_suite(void)
{
	Suite	*s = suite_create("user");
	TCase	*tc;

	tc = tcase_create("user_valid_name");
	tcase_add_test(tc, test_valid_name);
	suite_add_tcase(s, tc);
	tc = tcase_create("user_valid_email");
	tcase_add_test(tc, test_valid_email);
	suite_add_tcase(s, tc);
	tc = tcase_create("user_valid_role");
	tcase_add_test(tc, test_valid_role);
	suite_add_tcase(s, tc);
	tc = tcase_create("user_create");
	tcase_add_test(tc, test_create_find);
	tcase_add_test(tc, test_create_taken);
	tcase_add_test(tc, test_create_race);
	tcase_add_test(tc, test_two_connections);
	suite_add_tcase(s, tc);
	tc = tcase_create("user_set_approved");
	tcase_add_test(tc, test_set_approved);
	suite_add_tcase(s, tc);
	tc = tcase_create("user_set_role");
	tcase_add_test(tc, test_set_role);
	suite_add_tcase(s, tc);
	tc = tcase_create("user_set_hash");
	tcase_add_test(tc, test_set_hash);
	suite_add_tcase(s, tc);
	tc = tcase_create("user_delete");
	tcase_add_test(tc, test_delete);
	suite_add_tcase(s, tc);
	tc = tcase_create("user_list");
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_list_widths);
	tcase_add_test(tc, test_list_json);
	tcase_add_test(tc, test_list_snapshot);
	suite_add_tcase(s, tc);
	tc = tcase_create("user_check_table");
	tcase_add_test(tc, test_check_table);
	suite_add_tcase(s, tc);
	return s;
}
