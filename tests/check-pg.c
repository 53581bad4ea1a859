/*
 * Unit tests of src/pg.c that need no server: URIs and their passwords,
 * splitting a section into statements, what a statement does. The runner
 * on a real server is tested end to end (tests/cli-pg.sh).
 */
#include "unit.h"

START_TEST(test_pg_is_uri)
{
	ck_assert(pg_is_uri("postgresql:///db"));
	ck_assert(pg_is_uri("postgres://h/db"));
	ck_assert(!pg_is_uri("postgresqlx://h/db"));
	ck_assert(!pg_is_uri("instance/dev.db"));
	ck_assert(!pg_is_uri("file:dev.db"));
	ck_assert(!pg_is_uri("POSTGRESQL://h/db"));
}
END_TEST

START_TEST(test_pg_display)
{
	static const struct {
		const char	*uri;
		const char	*shown;
	} cases[] = {
		{ "postgresql://alice:s3cret@db.example/app",
		  "postgresql://alice@db.example/app" },
		{ "postgresql://alice:@h/app", "postgresql://alice@h/app" },
		{ "postgresql://h/app?password=s3cret",
		  "postgresql://h/app" },
		{ "postgresql://h/app?password=s3cret&user=bob",
		  "postgresql://h/app?user=bob" },
		{ "postgresql://h/app?user=bob&password=s3cret",
		  "postgresql://h/app?user=bob" },
		{ "postgresql://a:b@h/app?sslmode=require&password=c&x=y",
		  "postgresql://a@h/app?sslmode=require&x=y" },
		{ "postgresql://h:5433/app", "postgresql://h:5433/app" },
		{ "postgresql:///app?host=/run/postgresql",
		  "postgresql:///app?host=/run/postgresql" },
		/* '@' after a '/' is not the user's part. */
		{ "postgresql://h/a:b@c", "postgresql://h/a:b@c" },
	};
	size_t	 i;
	char	*shown;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		shown = pg_display(cases[i].uri);
		ck_assert_str_eq(shown, cases[i].shown);
		free(shown);
	}
}
END_TEST

START_TEST(test_pg_check_uri)
{
	char	*cause = NULL;
	int	 password;

	ck_assert_int_eq(pg_check_uri("postgresql://a:b@h/db", &password,
	    &cause), 0);
	ck_assert_int_eq(password, 1);
	ck_assert_int_eq(pg_check_uri("postgresql://a@h/db", &password,
	    &cause), 0);
	ck_assert_int_eq(password, 0);
	ck_assert_int_eq(pg_check_uri("postgresql://h/db?password=x",
	    &password, &cause), 0);
	ck_assert_int_eq(password, 1);
	/* libpq quotes the bad escape, the password: it is never shown. */
	ck_assert_int_eq(pg_check_uri("postgresql://a:s3%zzcret@h/db",
	    &password, &cause), -1);
	ck_assert_ptr_null(strstr(cause, "s3%zz"));
	ck_assert_ptr_nonnull(strstr(cause, "postgresql://a@h/db: not a "
	    "PostgreSQL URI: "));
	free(cause);
	ck_assert_int_eq(pg_check_uri("postgresql://h/db?nosuch=1", &password,
	    &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "nosuch"));
	ck_assert_ptr_null(strchr(cause, '\n'));
	free(cause);
}
END_TEST

START_TEST(test_pg_split)
{
	struct pg_statements	*st;

	st = pg_split("-- head\nCREATE TABLE a (x text DEFAULT 'a;b');\n\n"
	    "/* c; /* nested; */ still */ INSERT INTO a\n  VALUES (E'\\';');"
	    "\nDO $f$ BEGIN PERFORM 1; END $f$;;\n"
	    "SELECT \"a;\" FROM a -- trailing; comment\n;\nSELECT $1", 10);
	ck_assert_uint_eq(st->n, 5);
	ck_assert_str_eq(st->v[0].sql,
	    "CREATE TABLE a (x text DEFAULT 'a;b')");
	ck_assert_uint_eq(st->v[0].line, 11);
	ck_assert_str_eq(st->v[1].sql, "INSERT INTO a\n  VALUES (E'\\';')");
	ck_assert_uint_eq(st->v[1].line, 13);
	ck_assert_str_eq(st->v[2].sql, "DO $f$ BEGIN PERFORM 1; END $f$");
	ck_assert_uint_eq(st->v[2].line, 15);
	ck_assert_str_eq(st->v[3].sql, "SELECT \"a;\" FROM a");
	ck_assert_uint_eq(st->v[3].line, 16);
	ck_assert_str_eq(st->v[4].sql, "SELECT $1");
	ck_assert_uint_eq(st->v[4].line, 18);
	pg_statements_free(st);
	/* Nothing but comments and semicolons: no statement. */
	st = pg_split("  -- only\n;; /* this */\n", 1);
	ck_assert_uint_eq(st->n, 0);
	pg_statements_free(st);
	/* Unterminated: the rest is one statement, for the server. */
	st = pg_split("SELECT 'open; x", 1);
	ck_assert_uint_eq(st->n, 1);
	ck_assert_str_eq(st->v[0].sql, "SELECT 'open; x");
	pg_statements_free(st);
}
END_TEST

START_TEST(test_pg_char_offset)
{
	ck_assert_uint_eq(pg_char_offset("abc", 0), 0);
	ck_assert_uint_eq(pg_char_offset("abc", 1), 0);
	ck_assert_uint_eq(pg_char_offset("abc", 3), 2);
	/* "é" is one character of two bytes. */
	ck_assert_uint_eq(pg_char_offset("\xc3\xa9\nx", 3), 3);
	ck_assert_uint_eq(pg_char_offset("ab", 9), 2);
}
END_TEST

START_TEST(test_pg_transaction_word)
{
	ck_assert_str_eq(pg_transaction_word("commit"), "COMMIT");
	ck_assert_str_eq(pg_transaction_word("BEGIN ISOLATION LEVEL "
	    "SERIALIZABLE"), "BEGIN");
	ck_assert_str_eq(pg_transaction_word("end"), "END");
	ck_assert_str_eq(pg_transaction_word("Rollback to s"), "ROLLBACK");
	ck_assert_str_eq(pg_transaction_word("start  transaction"),
	    "START TRANSACTION");
	ck_assert_str_eq(pg_transaction_word("PREPARE /* x */ TRANSACTION "
	    "'t'"), "PREPARE TRANSACTION");
	ck_assert_str_eq(pg_transaction_word("savepoint s"), "SAVEPOINT");
	ck_assert_str_eq(pg_transaction_word("RELEASE s"), "RELEASE");
	ck_assert_str_eq(pg_transaction_word("abort"), "ABORT");
	ck_assert_ptr_null(pg_transaction_word("PREPARE q AS SELECT 1"));
	ck_assert_ptr_null(pg_transaction_word("COMMENT ON TABLE a IS 'x'"));
	ck_assert_ptr_null(pg_transaction_word("ENDING"));
	ck_assert_ptr_null(pg_transaction_word("\"commit\""));
	ck_assert_ptr_null(pg_transaction_word("START x"));
}
END_TEST

START_TEST(test_pg_drops_data)
{
	ck_assert(pg_drops_data("DROP TABLE users"));
	ck_assert(pg_drops_data("drop table if exists a"));
	ck_assert(pg_drops_data("ALTER TABLE a DROP COLUMN b"));
	ck_assert(pg_drops_data("ALTER TABLE a DROP b"));
	ck_assert(pg_drops_data("ALTER TABLE a ADD c int, DROP COLUMN b"));
	ck_assert(!pg_drops_data("ALTER TABLE a DROP CONSTRAINT c"));
	ck_assert(!pg_drops_data("ALTER TABLE a ALTER COLUMN b DROP DEFAULT"));
	ck_assert(!pg_drops_data("ALTER TABLE a ALTER b DROP NOT NULL"));
	ck_assert(!pg_drops_data("DROP INDEX ix"));
	ck_assert(!pg_drops_data("CREATE TABLE drop_table (x int)"));
	ck_assert(!pg_drops_data("ALTER TABLE a ADD c text DEFAULT 'DROP b'"));
}
END_TEST

static Suite *
unit_suite(void)
{
	Suite	*s = suite_create("pg");
	TCase	*tc;

	tc = tcase_create("pg_is_uri");
	tcase_add_test(tc, test_pg_is_uri);
	suite_add_tcase(s, tc);
	tc = tcase_create("pg_display");
	tcase_add_test(tc, test_pg_display);
	suite_add_tcase(s, tc);
	tc = tcase_create("pg_check_uri");
	tcase_add_test(tc, test_pg_check_uri);
	suite_add_tcase(s, tc);
	tc = tcase_create("pg_split");
	tcase_add_test(tc, test_pg_split);
	suite_add_tcase(s, tc);
	tc = tcase_create("pg_char_offset");
	tcase_add_test(tc, test_pg_char_offset);
	suite_add_tcase(s, tc);
	tc = tcase_create("pg_transaction_word");
	tcase_add_test(tc, test_pg_transaction_word);
	suite_add_tcase(s, tc);
	tc = tcase_create("pg_drops_data");
	tcase_add_test(tc, test_pg_drops_data);
	suite_add_tcase(s, tc);
	return s;
}
