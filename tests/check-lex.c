/* Unit tests of src/lex.c: tokens, normalising, unquoting, mentions. */
#include "unit.h"

static enum lex_token
first(const char *sql, char **text)
{
	struct lex	 lx;
	const char	*tok;
	size_t		 len;
	enum lex_token	 t;

	lex_init(&lx, sql, strlen(sql), 1);
	t = lex_next(&lx, &tok, &len);
	*text = xstrndup(tok, len);
	return t;
}

START_TEST(test_lex_next)
{
	static const struct {
		const char	*sql;
		enum lex_token	 t;
		const char	*text;
	} cases[] = {
		{ "'it''s' x", LEX_STRING, "'it''s'" },
		{ "\"a\"\"b\" x", LEX_IDENT, "\"a\"\"b\"" },
		{ "[a b] x", LEX_IDENT, "[a b]" },
		{ "`a` x", LEX_IDENT, "`a`" },
		{ "x'00ff' x", LEX_BLOB, "x'00ff'" },
		{ "1.5e-3 x", LEX_NUMBER, "1.5e-3" },
		{ "0x1F+1", LEX_NUMBER, "0x1F" },
		{ "-- c\nx", LEX_COMMENT, "-- c" },
		{ "/* a\nb */x", LEX_COMMENT, "/* a\nb */" },
		{ "abc_1$ x", LEX_WORD, "abc_1$" },
		{ "?1 x", LEX_VARIABLE, "?1" },
		{ ":name x", LEX_VARIABLE, ":name" },
		{ "<> x", LEX_OPERATOR, "<>" },
		{ "||x", LEX_OPERATOR, "||" },
		{ "->> x", LEX_OPERATOR, "->>" },
		{ "(", LEX_LPAREN, "(" },
		{ ";", LEX_SEMI, ";" },
		{ "'open", LEX_UNTERMINATED, "'open" },
		{ "\"open", LEX_UNTERMINATED, "\"open" },
		{ "/* open", LEX_UNTERMINATED, "/* open" },
		{ "", LEX_EOF, "" },
	};
	size_t	 i;
	char	*text;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_int_eq(first(cases[i].sql, &text), cases[i].t);
		ck_assert_str_eq(text, cases[i].text);
		free(text);
	}
}
END_TEST

START_TEST(test_lex_next_lines)
{
	struct lex	 lx;
	const char	*tok, *sql = "a\n'b\nc'\n-- d\n e";
	size_t		 len;

	lex_init(&lx, sql, strlen(sql), 10);
	ck_assert_int_eq(lex_next_token(&lx, &tok, &len), LEX_WORD);
	ck_assert_uint_eq(lx.line, 10);
	ck_assert_int_eq(lex_next_token(&lx, &tok, &len), LEX_STRING);
	ck_assert_uint_eq(lx.line, 12);
	ck_assert_int_eq(lex_next_token(&lx, &tok, &len), LEX_WORD);
	ck_assert_uint_eq(lx.line, 14);
}
END_TEST

START_TEST(test_lex_normalize)
{
	char	*a, *b;

	a = lex_normalize("role  IN ( 'user' ,'Admin' )");
	b = lex_normalize("\"ROLE\" in ('user', 'Admin') -- c");
	ck_assert_str_eq(a, "role in ('user', 'Admin')");
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	a = lex_normalize("'Admin'");
	b = lex_normalize("'admin'");
	ck_assert_str_ne(a, b);
	free(a);
	free(b);
}
END_TEST

START_TEST(test_lex_unquote)
{
	char	*s;

	s = lex_unquote("\"a\"\"b\"", 6);
	ck_assert_str_eq(s, "a\"b");
	free(s);
	s = lex_unquote("[x y]", 5);
	ck_assert_str_eq(s, "x y");
	free(s);
	s = lex_unquote("plain", 5);
	ck_assert_str_eq(s, "plain");
	free(s);
}
END_TEST

START_TEST(test_lex_mentions)
{
	ck_assert(lex_mentions("a > 0 AND \"Col\" < 5", "col"));
	ck_assert(lex_mentions("length(x) > 1", "X"));
	ck_assert(!lex_mentions("colour > 1", "col"));
	ck_assert(!lex_mentions("-- col\n1", "col"));
}
END_TEST

START_TEST(test_lex_is_literal)
{
	ck_assert(lex_is_literal("0"));
	ck_assert(lex_is_literal("-1.5"));
	ck_assert(lex_is_literal("'user'"));
	ck_assert(lex_is_literal("x'00'"));
	ck_assert(lex_is_literal("NULL"));
	ck_assert(lex_is_literal("current_timestamp"));
	ck_assert(!lex_is_literal("1 + 1"));
	ck_assert(!lex_is_literal("datetime('now')"));
	ck_assert(!lex_is_literal("-'a'"));
	ck_assert(!lex_is_literal(""));
}
END_TEST

static Suite *
unit_suite(void)
{
	Suite	*s = suite_create("lex");
	TCase	*tc;

	tc = tcase_create("lex_next");
	tcase_add_test(tc, test_lex_next);
	tcase_add_test(tc, test_lex_next_lines);
	suite_add_tcase(s, tc);
	tc = tcase_create("lex_normalize");
	tcase_add_test(tc, test_lex_normalize);
	suite_add_tcase(s, tc);
	tc = tcase_create("lex_unquote");
	tcase_add_test(tc, test_lex_unquote);
	suite_add_tcase(s, tc);
	tc = tcase_create("lex_mentions");
	tcase_add_test(tc, test_lex_mentions);
	suite_add_tcase(s, tc);
	tc = tcase_create("lex_is_literal");
	tcase_add_test(tc, test_lex_is_literal);
	suite_add_tcase(s, tc);
	return s;
}
