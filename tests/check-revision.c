/* Unit tests of src/revision.c: slugs, file text, parsing, statements. */
#include "unit.h"

#define GOOD \
	"-- exodb revision\n" \
	"-- id: 20261125043012\n" \
	"-- revises: 20261120120000 20261121120000\n" \
	"-- message: Initial user model\n" \
	"-- created: 2026-11-25T04:30:12Z\n" \
	"-- destructive: drop table old\n" \
	"\n" \
	"-- +upgrade\n" \
	"CREATE TABLE t (a);\n" \
	"INSERT INTO t VALUES (1);\n" \
	"\n" \
	"-- +downgrade\n" \
	"DROP TABLE t;\n"

static int
parse(const char *text, const char *file, struct revision **rev,
    char **cause)
{
	return revision_parse("v/x.sql", file, text, strlen(text), rev, cause);
}

START_TEST(test_revision_slug)
{
	static const char *cases[][2] = {
		{ "Initial user model", "initial_user_model" },
		{ "../../etc/passwd", "etc_passwd" },
		{ "  Add  e-mail (v2)!  ", "add_e_mail_v2" },
		{ "line\nbreak\r\ttab", "line_break_tab" },
		{ "!!!", "revision" },
		{ "", "revision" },
		{ "Ünïcode ✓ ok", "n_code_ok" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
	};
	size_t	 i;
	char	*slug;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		slug = revision_slug(cases[i][0]);
		ck_assert_str_eq(slug, cases[i][1]);
		ck_assert_uint_le(strlen(slug), 40);
		free(slug);
	}
}
END_TEST

START_TEST(test_revision_text)
{
	struct revision_header	 h;
	const char		*parents[] = { "20261120120000", "20261121120000" };
	const char		*destructive[] = { "drop table old" };
	char			*text;

	memset(&h, 0, sizeof h);
	h.id = "20261125043012";
	h.parents = parents;
	h.nparents = 2;
	h.message = "Initial user model";
	h.created = "2026-11-25T04:30:12Z";
	h.destructive = destructive;
	h.ndestructive = 1;
	text = revision_text(&h, "CREATE TABLE t (a);\nINSERT INTO t VALUES (1);\n",
	    "DROP TABLE t;");
	ck_assert_str_eq(text, GOOD);
	free(text);

	/* A message cannot add header lines. */
	h.nparents = 0;
	h.ndestructive = 0;
	h.message = "a\n-- id: 1\rb";
	text = revision_text(&h, "", "");
	ck_assert_ptr_nonnull(strstr(text, "\n-- revises: none\n"));
	ck_assert_ptr_nonnull(strstr(text, "\n-- message: a -- id: 1 b\n"));
	free(text);
}
END_TEST

START_TEST(test_revision_parse)
{
	struct revision	*rev;
	char		*cause = NULL;

	ck_assert_int_eq(parse(GOOD, "20261125043012_initial.sql", &rev,
	    &cause), 0);
	ck_assert_str_eq(rev->id, "20261125043012");
	ck_assert_uint_eq(rev->nparents, 2);
	ck_assert_str_eq(rev->parents[1], "20261121120000");
	ck_assert_str_eq(rev->message, "Initial user model");
	ck_assert_str_eq(rev->created, "2026-11-25T04:30:12Z");
	ck_assert_int_eq(rev->destructive, 1);
	ck_assert_str_eq(rev->upgrade,
	    "CREATE TABLE t (a);\nINSERT INTO t VALUES (1);\n\n");
	ck_assert_uint_eq(rev->upgrade_line, 9);
	ck_assert_str_eq(rev->downgrade, "DROP TABLE t;\n");
	ck_assert_uint_eq(rev->downgrade_line, 13);
	/* What sha256sum(1) says of the text. */
	ck_assert_str_eq(rev->checksum,
	    "842a2ee22d2aa5f59df70a81d0feaf8642f20020f071f2c77ea752e8e0b8041c");
	revision_free(rev);
}
END_TEST

/* The model's fingerprint: written when given, read when there. */
START_TEST(test_revision_model)
{
	struct revision_header	 h;
	struct revision		*rev;
	char			*cause = NULL, *text;

	memset(&h, 0, sizeof h);
	h.id = "20261125043012";
	h.message = "m";
	h.created = "2026-11-25T04:30:12Z";
	h.model = "3b058e03b892723e108199c6a3e7660e18ecff49bbf219d4e398c427ae8a1192";
	text = revision_text(&h, "CREATE TABLE t (a);\n", "DROP TABLE t;\n");
	ck_assert_ptr_nonnull(strstr(text, "\n-- created: 2026-11-25T04:30:12Z\n"
	    "-- model: 3b058e03b892723e108199c6a3e7660e18ecff49bbf219d4e398c427ae8a1192\n"
	    "\n-- +upgrade\n"));
	ck_assert_int_eq(parse(text, "20261125043012_m.sql", &rev, &cause), 0);
	ck_assert_str_eq(rev->model, h.model);
	revision_free(rev);
	free(text);
	/* Files from before it was recorded have none. */
	ck_assert_int_eq(parse(GOOD, "20261125043012_m.sql", &rev, &cause), 0);
	ck_assert_ptr_null(rev->model);
	revision_free(rev);
	h.model = NULL;
	text = revision_text(&h, "", "");
	ck_assert_ptr_null(strstr(text, "-- model:"));
	free(text);
}
END_TEST

START_TEST(test_revision_parse_checksum)
{
	struct revision	*a, *b;
	char		*cause = NULL, *edited;

	ck_assert_int_eq(parse(GOOD, "20261125043012_x.sql", &a, &cause), 0);
	edited = xstrdup(GOOD);
	edited[strlen(edited) - 3] = 'u';	/* DROP TABLE u; */
	ck_assert_int_eq(parse(edited, "20261125043012_x.sql", &b, &cause), 0);
	ck_assert_str_ne(a->checksum, b->checksum);
	revision_free(b);
	free(edited);
	revision_free(a);
}
END_TEST

START_TEST(test_revision_parse_errors)
{
	static const struct {
		const char	*text;
		const char	*cause;
	} cases[] = {
		{ "-- other\n", "first line is not" },
		{ "-- exodb revision\n-- id: 20261125043012\n-- revises: none\n"
		  "-- message: m\n-- created: c\n\n-- +upgrade\n",
		  "no '-- +downgrade' section" },
		{ "-- exodb revision\n-- id: 20261125043012\n-- revises: none\n"
		  "-- message: m\n-- created: c\n\n",
		  "no '-- +upgrade' section" },
		{ "-- exodb revision\n-- id: 20261125043012\n-- revises: none\n"
		  "-- message: m\n\n-- +upgrade\n-- +downgrade\n",
		  "header lacks 'created'" },
		{ "-- exodb revision\n-- id: 2026\n", "line 2: id '2026' is not" },
		{ "-- exodb revision\n-- id: 20261125043012\n-- id: 20261125043012\n",
		  "line 3: 'id' appears twice" },
		{ "-- exodb revision\n-- revises: 1 2\n", "'revises' names '1'" },
		{ "-- exodb revision\n-- revises: 20261125043011 20261125043011\n",
		  "names '20261125043011' twice" },
		{ "-- exodb revision\n-- revises:\n", "'revises' is empty" },
		{ "-- exodb revision\n-- colour: blue\n", "unknown header key 'colour'" },
		{ "-- exodb revision\nno colon here\n", "is not '-- key: value'" },
		{ "-- exodb revision\n\n-- +downgrade\n", "'-- +downgrade' out of place" },
		{ "-- exodb revision\n-- id: 20261125043012\n-- revises: none\n"
		  "-- message: m\n-- created: c\n\n-- +upgrade\n-- +upgrade\n",
		  "'-- +upgrade' out of place" },
	};
	struct revision	*rev;
	char		*cause;
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cause = NULL;
		ck_assert_int_eq(parse(cases[i].text, "20261125043012_x.sql",
		    &rev, &cause), -1);
		ck_assert_ptr_null(rev);
		ck_assert_msg(strstr(cause, cases[i].cause) != NULL &&
		    strncmp(cause, "v/x.sql: malformed revision: ", 29) == 0,
		    "case %zu: %s", i, cause);
		free(cause);
	}
	/* The file name must carry the header's id. */
	ck_assert_int_eq(parse(GOOD, "20261125043013_x.sql", &rev, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "does not match the file name"));
	free(cause);
	/* No NUL bytes. */
	ck_assert_int_eq(revision_parse("v/x.sql", "20261125043012_x.sql",
	    "-- exodb revision\n\0", 19, &rev, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "NUL"));
	free(cause);
}
END_TEST

START_TEST(test_revision_valid_id)
{
	ck_assert(revision_valid_id("20261125043012"));
	ck_assert(!revision_valid_id("2026112504301"));
	ck_assert(!revision_valid_id("202611250430123"));
	ck_assert(!revision_valid_id("2026112504301a"));
}
END_TEST

START_TEST(test_revision_statements)
{
	struct revision		*rev;
	struct lex_statement	*s;
	size_t			 n;
	char			*cause = NULL, *text;
	const char		*bad[] = { "BEGIN", "commit", "END TRANSACTION",
	    "ROLLBACK", "SAVEPOINT a", "RELEASE a", "ATTACH 'x' AS y",
	    "DETACH y", "VACUUM" };
	size_t			 i;

	ck_assert_int_eq(parse(GOOD, "20261125043012_x.sql", &rev, &cause), 0);
	ck_assert_int_eq(revision_statements(rev, 1, &s, &n, &cause), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(s[1].line, 10);
	lex_statements_free(s, n);
	ck_assert_int_eq(revision_statements(rev, 0, &s, &n, &cause), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(s[0].line, 13);
	lex_statements_free(s, n);
	revision_free(rev);

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		text = xasprintf("-- exodb revision\n-- id: 20261125043012\n"
		    "-- revises: none\n-- message: m\n-- created: c\n\n"
		    "-- +upgrade\nCREATE TABLE t (a);\n%s;\n-- +downgrade\n",
		    bad[i]);
		ck_assert_int_eq(parse(text, "20261125043012_x.sql", &rev,
		    &cause), 0);
		ck_assert_int_eq(revision_statements(rev, 1, &s, &n, &cause),
		    -1);
		ck_assert_ptr_null(s);
		ck_assert_msg(strstr(cause, "v/x.sql:9: ") == cause &&
		    strstr(cause, "is not allowed in a revision") != NULL,
		    "%s: %s", bad[i], cause);
		free(cause);
		revision_free(rev);
		free(text);
	}
}
END_TEST

static Suite *
unit_suite(void)
{
	Suite	*s = suite_create("revision");
	TCase	*tc;

	tc = tcase_create("revision_slug");
	tcase_add_test(tc, test_revision_slug);
	suite_add_tcase(s, tc);
	tc = tcase_create("revision_text");
	tcase_add_test(tc, test_revision_text);
	suite_add_tcase(s, tc);
	tc = tcase_create("revision_parse");
	tcase_add_test(tc, test_revision_parse);
	tcase_add_test(tc, test_revision_parse_checksum);
	tcase_add_test(tc, test_revision_model);
	tcase_add_test(tc, test_revision_parse_errors);
	suite_add_tcase(s, tc);
	tc = tcase_create("revision_valid_id");
	tcase_add_test(tc, test_revision_valid_id);
	suite_add_tcase(s, tc);
	tc = tcase_create("revision_statements");
	tcase_add_test(tc, test_revision_statements);
	suite_add_tcase(s, tc);
	return s;
}
