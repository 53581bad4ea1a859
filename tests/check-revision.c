/* Unit tests of src/revision.c: slugs, formatting, parsing, statements. */
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
		{ "Ünïcode ✓ ok", "unicode_ok" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
		/* Accents folded, by a table, in any locale. */
		{ "Crème brûlée à la façon de Zoë", "creme_brulee_a_la_facon_de_zoe" },
		{ "Straße Æsir Œuvre Þing Øre", "strasse_aesir_oeuvre_thing_ore" },
		{ "Łódź Kraków Škoda Čapek İzmir ĳs", "lodz_krakow_skoda_capek_izmir_ijs" },
		{ "ÀÁÂÃÄÅ àáâãäå ÿ ſ", "aaaaaa_aaaaaa_y_s" },
		/* Decomposed: the combining accent goes, the letters stay one word. */
		{ "Re\xcc\x81sume\xcc\x81", "resume" },
		/* Not letters: the signs, Greek, a lone or broken sequence. */
		{ "2×3÷4", "2_3_4" },
		{ "αβγ ok", "ok" },
		{ "a\xc3 b\xc5", "a_b" },
		{ "\xc3\xc3\xa9t\xc3\xa9", "ete" },
		/* Cut at the end of a word, within 40 characters. */
		{ "Add the last login column to users and an index on it",
		  "add_the_last_login_column_to_users_and" },
		{ "Add the last login column to users and x", "add_the_last_login_column_to_users_and_x" },
		{ "Add the last login column to users andxy", "add_the_last_login_column_to_users_andxy" },
		{ "Add the last login column to users andxyz", "add_the_last_login_column_to_users" },
		{ "Ünïcode ünïcode ünïcode ünïcode ünïcode ünïcode", "unicode_unicode_unicode_unicode_unicode" },
		/* One long word, or words that would leave too little: cut inside. */
		{ "a bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
		  "a_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" },
		{ "ßßßßßßßßßßßßßßßßßßßßßßß", "ssssssssssssssssssssssssssssssssssssssss" },
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

/* The revision GOOD holds, as a struct. */
static void
good(struct revision *r)
{
	static const char *parents[] = { "20261120120000", "20261121120000" };
	static const char *destructive[] = { "drop table old" };

	memset(r, 0, sizeof *r);
	r->id = (char *)"20261125043012";
	r->parents = (char **)parents;
	r->nparents = 2;
	r->message = (char *)"Initial user model";
	r->created = (char *)"2026-11-25T04:30:12Z";
	r->destructive = (char **)destructive;
	r->ndestructive = 1;
	r->upgrade = (char *)"CREATE TABLE t (a);\nINSERT INTO t VALUES (1);\n";
	r->downgrade = (char *)"DROP TABLE t;\n";
}

START_TEST(test_revision_format)
{
	struct revision	 r;
	char		*text;

	good(&r);
	text = revision_format(&r);
	ck_assert_str_eq(text, GOOD);
	free(text);
	/* A section without its last newline gets one. */
	r.downgrade = (char *)"DROP TABLE t;";
	text = revision_format(&r);
	ck_assert_str_eq(text, GOOD);
	free(text);

	/* A message cannot add header lines. */
	r.nparents = 0;
	r.ndestructive = 0;
	r.message = (char *)"a\n-- id: 1\rb";
	r.upgrade = r.downgrade = NULL;
	text = revision_format(&r);
	ck_assert_ptr_nonnull(strstr(text, "\n-- revises: none\n"));
	ck_assert_ptr_nonnull(strstr(text, "\n-- message: a -- id: 1 b\n"));
	free(text);
	/* What the parser would trim is left out, so a value reads back. */
	r.message = (char *)"\x0e mer\x01" "e \x7f";
	r.destructive = (char **)(const char *[]){ "\x0e\tdrop table x\x10" };
	r.ndestructive = 1;
	text = revision_format(&r);
	ck_assert_ptr_nonnull(strstr(text, "\n-- message: mer e\n"));
	ck_assert_ptr_nonnull(strstr(text, "\n-- destructive: drop table x\n"));
	r.ndestructive = 0;
	ck_assert_ptr_nonnull(strstr(text, "\n-- +upgrade\n\n-- +downgrade\n"));
	free(text);
}
END_TEST

/* Two sections are the same, or both absent. */
static void
same_sql(const char *a, const char *b)
{
	if (a == NULL)
		ck_assert_ptr_null(b);
	else
		ck_assert_str_eq(a, b);
}

/* Whether two revisions have the same file-format fields. */
static void
same(const struct revision *a, const struct revision *b)
{
	size_t	i;

	ck_assert_str_eq(a->id, b->id);
	ck_assert_str_eq(a->message, b->message);
	ck_assert_str_eq(a->created, b->created);
	if (a->model == NULL)
		ck_assert_ptr_null(b->model);
	else
		ck_assert_str_eq(a->model, b->model);
	ck_assert_uint_eq(a->nparents, b->nparents);
	for (i = 0; i < a->nparents; i++)
		ck_assert_str_eq(a->parents[i], b->parents[i]);
	ck_assert_uint_eq(a->ndestructive, b->ndestructive);
	for (i = 0; i < a->ndestructive; i++)
		ck_assert_str_eq(a->destructive[i], b->destructive[i]);
	same_sql(a->upgrade, b->upgrade);
	same_sql(a->downgrade, b->downgrade);
	same_sql(a->pg_upgrade, b->pg_upgrade);
	same_sql(a->pg_downgrade, b->pg_downgrade);
}

/* parse(format(r)) == r, and format(parse(text)) == text. */
START_TEST(test_revision_round_trip)
{
	struct revision	 r, *back, *again;
	char		*text, *text2, *cause = NULL;
	static const char *three[] = { "drop table a", "drop column b.c",
	    "downgrade: drop table d" };

	good(&r);
	text = revision_format(&r);
	ck_assert_int_eq(parse(text, "20261125043012_x.sql", &back, &cause), 0);
	same(&r, back);
	text2 = revision_format(back);
	ck_assert_str_eq(text2, text);
	free(text2);
	free(text);
	revision_free(back);
	/* With the model's fingerprint. */
	r.model = (char *)"3b058e03b892723e108199c6a3e7660e18ecff49bbf219d4e398c427ae8a1192";
	text = revision_format(&r);
	ck_assert_int_eq(parse(text, "20261125043012_x.sql", &back, &cause), 0);
	same(&r, back);
	free(text);
	revision_free(back);
	r.model = NULL;
	/* A root, no destructive lines, empty sections. */
	r.nparents = 0;
	r.ndestructive = 0;
	r.upgrade = r.downgrade = (char *)"";
	text = revision_format(&r);
	ck_assert_int_eq(parse(text, "20261125043012_x.sql", &back, &cause), 0);
	same(&r, back);
	free(text);
	revision_free(back);
	/* Several destructive lines, in order; SQL over several lines. */
	r.destructive = (char **)three;
	r.ndestructive = 3;
	r.upgrade = (char *)"CREATE TABLE a (\n\tx\n);\n\nSELECT 1;\n";
	text = revision_format(&r);
	ck_assert_int_eq(parse(text, "20261125043012_x.sql", &back, &cause), 0);
	same(&r, back);
	text2 = revision_format(back);
	ck_assert_int_eq(parse(text2, "20261125043012_x.sql", &again, &cause),
	    0);
	same(back, again);
	free(text2);
	free(text);
	revision_free(again);
	revision_free(back);
	/* Both dialects' pairs, and PostgreSQL's alone. */
	r.pg_upgrade = (char *)"CREATE TABLE a (\n\tx integer\n);\n";
	r.pg_downgrade = (char *)"DROP TABLE a;\n";
	text = revision_format(&r);
	ck_assert_int_eq(parse(text, "20261125043012_x.sql", &back, &cause), 0);
	same(&r, back);
	text2 = revision_format(back);
	ck_assert_str_eq(text2, text);
	free(text2);
	free(text);
	revision_free(back);
	r.upgrade = r.downgrade = NULL;
	text = revision_format(&r);
	ck_assert_ptr_null(strstr(text, "-- +upgrade\n"));
	ck_assert_int_eq(parse(text, "20261125043012_x.sql", &back, &cause), 0);
	same(&r, back);
	free(text);
	revision_free(back);
}
END_TEST

#define BOTH \
	"-- exodb revision\n" \
	"-- id: 20261125043012\n" \
	"-- revises: none\n" \
	"-- message: m\n" \
	"-- created: c\n" \
	"\n" \
	"-- +upgrade\n" \
	"CREATE TABLE t (a);\n" \
	"\n" \
	"-- +downgrade\n" \
	"DROP TABLE t;\n" \
	"\n" \
	"-- +upgrade postgresql\n" \
	"CREATE TABLE t (a integer);\n" \
	"\n" \
	"-- +downgrade postgresql \r\n" \
	"DROP TABLE t;\n" \
	"-- +downgraded is a comment\n"

/* A pair of sections per dialect, read by revision_sql(). */
START_TEST(test_revision_sql)
{
	struct revision	 r, *rev;
	char		*cause = NULL, *text;
	unsigned	 line = 0;

	ck_assert_int_eq(parse(BOTH, "20261125043012_m.sql", &rev, &cause), 0);
	ck_assert_str_eq(revision_sql(rev, DIALECT_SQLITE, 1, &line),
	    "CREATE TABLE t (a);\n");
	ck_assert_uint_eq(line, 8);
	ck_assert_str_eq(revision_sql(rev, DIALECT_SQLITE, 0, &line),
	    "DROP TABLE t;\n");
	ck_assert_uint_eq(line, 11);
	ck_assert_str_eq(revision_sql(rev, DIALECT_POSTGRESQL, 1, &line),
	    "CREATE TABLE t (a integer);\n");
	ck_assert_uint_eq(line, 14);
	ck_assert_str_eq(revision_sql(rev, DIALECT_POSTGRESQL, 0, NULL),
	    "DROP TABLE t;\n-- +downgraded is a comment\n");
	revision_free(rev);

	/* A file of the old format has no PostgreSQL sections. */
	ck_assert_int_eq(parse(GOOD, "20261125043012_m.sql", &rev, &cause), 0);
	ck_assert_ptr_nonnull(revision_sql(rev, DIALECT_SQLITE, 1, NULL));
	line = 7;
	ck_assert_ptr_null(revision_sql(rev, DIALECT_POSTGRESQL, 1, &line));
	ck_assert_uint_eq(line, 0);
	ck_assert_ptr_null(revision_sql(rev, DIALECT_POSTGRESQL, 0, NULL));
	revision_free(rev);

	/* Written in that order; an empty pair still has both markers. */
	memset(&r, 0, sizeof r);
	r.id = (char *)"20261125043012";
	r.message = (char *)"m";
	r.created = (char *)"c";
	r.upgrade = (char *)"CREATE TABLE t (a);";
	r.downgrade = (char *)"DROP TABLE t;";
	r.pg_upgrade = (char *)"CREATE TABLE t (a integer);";
	r.pg_downgrade = (char *)"DROP TABLE t;\n";
	text = revision_format(&r);
	ck_assert_int_eq(strncmp(text, BOTH, strstr(BOTH, " \r\n") - BOTH),
	    0);
	free(text);
	r.upgrade = r.downgrade = NULL;
	r.pg_upgrade = (char *)"";
	text = revision_format(&r);
	ck_assert_ptr_nonnull(strstr(text, "\n\n-- +upgrade postgresql\n\n"
	    "-- +downgrade postgresql\nDROP TABLE t;\n"));
	ck_assert_ptr_null(strstr(text, "-- +upgrade\n"));
	ck_assert_int_eq(parse(text, "20261125043012_m.sql", &rev, &cause), 0);
	ck_assert_ptr_null(revision_sql(rev, DIALECT_SQLITE, 1, NULL));
	ck_assert_ptr_null(revision_sql(rev, DIALECT_SQLITE, 0, NULL));
	ck_assert_str_eq(revision_sql(rev, DIALECT_POSTGRESQL, 1, NULL), "");
	revision_free(rev);
	free(text);
	ck_assert_str_eq(revision_dialect_name(DIALECT_SQLITE), "sqlite");
	ck_assert_str_eq(revision_dialect_name(DIALECT_POSTGRESQL),
	    "postgresql");
}
END_TEST

START_TEST(test_revision_check_message)
{
	char	*cause = NULL, msg[256];

	ck_assert_int_eq(revision_check_message("Add posts", &cause), 0);
	ck_assert_int_eq(revision_check_message(NULL, &cause), -1);
	CK_STR(cause, "a message is required: -m MESSAGE");
	ck_assert_int_eq(revision_check_message(" \t\n", &cause), -1);
	CK_STR(cause, "a message is required: -m MESSAGE");
	memset(msg, 'a', 200);
	msg[200] = '\0';
	ck_assert_int_eq(revision_check_message(msg, &cause), 0);
	/* Bytes, not characters: a two-byte character at the end is over. */
	strcpy(msg + 199, "\xc3\xa9");
	ck_assert_int_eq(revision_check_message(msg, &cause), -1);
	CK_STR(cause, "the message is 201 bytes; at most 200 are allowed (it "
	    "is the revision's one-line summary)");
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
	ck_assert_uint_eq(rev->ndestructive, 1);
	ck_assert_str_eq(rev->destructive[0], "drop table old");
	/* Sections end with one newline: the blank line before a marker is
	 * the format's, not the SQL's. */
	ck_assert_str_eq(rev->upgrade,
	    "CREATE TABLE t (a);\nINSERT INTO t VALUES (1);\n");
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
	struct revision	 r, *rev;
	char		*cause = NULL, *text;
	static const char fp[] =
	    "3b058e03b892723e108199c6a3e7660e18ecff49bbf219d4e398c427ae8a1192";

	memset(&r, 0, sizeof r);
	r.id = (char *)"20261125043012";
	r.message = (char *)"m";
	r.created = (char *)"2026-11-25T04:30:12Z";
	r.model = (char *)fp;
	r.upgrade = (char *)"CREATE TABLE t (a);\n";
	r.downgrade = (char *)"DROP TABLE t;\n";
	text = revision_format(&r);
	ck_assert_ptr_nonnull(strstr(text, "\n-- created: 2026-11-25T04:30:12Z\n"
	    "-- model: 3b058e03b892723e108199c6a3e7660e18ecff49bbf219d4e398c427ae8a1192\n"
	    "\n-- +upgrade\n"));
	ck_assert_int_eq(parse(text, "20261125043012_m.sql", &rev, &cause), 0);
	ck_assert_str_eq(rev->model, fp);
	revision_free(rev);
	free(text);
	/* Files from before it was recorded have none. */
	ck_assert_int_eq(parse(GOOD, "20261125043012_m.sql", &rev, &cause), 0);
	ck_assert_ptr_null(rev->model);
	revision_free(rev);
	r.model = NULL;
	r.upgrade = r.downgrade = (char *)"";
	text = revision_format(&r);
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
#define HEAD "-- exodb revision\n-- id: 20261125043012\n-- revises: none\n" \
	"-- message: m\n-- created: c\n\n"
		{ HEAD "-- +upgrade\n-- +downgrade\n-- +upgrade\n",
		  "line 9: '-- +upgrade' out of place" },
		{ HEAD "-- +upgrade postgresql\n-- +downgrade\n",
		  "line 8: '-- +downgrade' out of place" },
		{ HEAD "-- +upgrade\n-- +downgrade postgresql\n",
		  "line 8: '-- +downgrade postgresql' out of place" },
		{ HEAD "-- +upgrade\n-- +upgrade postgresql\n",
		  "line 8: '-- +upgrade postgresql' out of place" },
		{ HEAD "-- +upgrade postgresql\n-- +downgrade postgresql\n"
		  "-- +upgrade postgresql\n",
		  "line 9: '-- +upgrade postgresql' out of place" },
		{ HEAD "-- +downgrade postgresql\n",
		  "line 7: '-- +downgrade postgresql' out of place" },
		{ HEAD "-- +upgrade\n-- +downgrade\n-- +upgrade postgresql\n",
		  "no '-- +downgrade postgresql' section" },
		{ HEAD "-- +upgrade mysql\n",
		  "line 7: '-- +upgrade' names the dialect 'mysql'; the "
		  "dialects are SQLite (no name) and 'postgresql'" },
		{ HEAD "-- +upgrade\n-- +downgrade  PostgreSQL\n",
		  "line 8: '-- +downgrade' names the dialect 'PostgreSQL'" },
		{ "-- exodb revision\n-- +upgrade sqlite\n",
		  "line 2: '-- +upgrade' names the dialect 'sqlite'" },
		{ "-- exodb revision\n-- colour: blue\n-- +upgrade x\n",
		  "line 2: unknown header key 'colour'" },
#undef HEAD
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

/*
 * What the parser tolerates (CRLF line ends, trailing blanks, no final
 * newline) and the repeated header keys it refuses, as it does 'id'.
 */
START_TEST(test_revision_parse_edges)
{
	static const struct {
		const char	*text;
		const char	*cause;
	} cases[] = {
		{ "-- exodb revisions\n", "first line is not" },
		{ "-- exodb revision\n-- revises: none\n-- revises: none\n",
		  "line 3: 'revises' appears twice" },
		{ "-- exodb revision\n-- message: a\n-- message: b\n",
		  "line 3: 'message' appears twice" },
		{ "-- exodb revision\n-- revises: 2026112504301x\n",
		  "'revises' names '2026112504301x', which is not a revision id" },
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
	cause = NULL;
	ck_assert_msg(parse("-- exodb revision \t\r\n"
	    "-- id: 20261125043012\r\n"
	    "-- revises: none\r\n"
	    "-- message: Windows line ends  \t\r\n"
	    "-- created: 2026-11-25T04:30:12Z\r\n"
	    "\r\n"
	    "-- +upgrade\r\n"
	    "CREATE TABLE t (a);\r\n"
	    "-- +downgrade\r\n"
	    "DROP TABLE t;", "20261125043012_x.sql", &rev, &cause) == 0,
	    "%s", cause);
	ck_assert_str_eq(rev->message, "Windows line ends");
	ck_assert_uint_eq(rev->nparents, 0);
	ck_assert_ptr_nonnull(strstr(rev->upgrade, "CREATE TABLE t (a);"));
	ck_assert_ptr_nonnull(strstr(rev->downgrade, "DROP TABLE t;"));
	ck_assert_uint_eq(rev->downgrade_line, 10);
	revision_free(rev);
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
	tc = tcase_create("revision_format");
	tcase_add_test(tc, test_revision_format);
	tcase_add_test(tc, test_revision_round_trip);
	suite_add_tcase(s, tc);
	tc = tcase_create("revision_check_message");
	tcase_add_test(tc, test_revision_check_message);
	suite_add_tcase(s, tc);
	tc = tcase_create("revision_parse");
	tcase_add_test(tc, test_revision_parse);
	tcase_add_test(tc, test_revision_parse_checksum);
	tcase_add_test(tc, test_revision_model);
	tcase_add_test(tc, test_revision_parse_errors);
	tcase_add_test(tc, test_revision_parse_edges);
	suite_add_tcase(s, tc);
	tc = tcase_create("revision_sql");
	tcase_add_test(tc, test_revision_sql);
	suite_add_tcase(s, tc);
	tc = tcase_create("revision_valid_id");
	tcase_add_test(tc, test_revision_valid_id);
	suite_add_tcase(s, tc);
	return s;
}
