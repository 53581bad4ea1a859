/* Unit tests of src/schema.c (src/model.c has check-model.c). */
#include "unit.h"

START_TEST(test_schema_build)
{
	struct schema		*s = schema_new();
	struct table		*t;
	struct column		*c;
	struct index		*ix;

	t = schema_add_table(s, "t");
	c = schema_add_column(s, t, "a");
	ck_assert_str_eq(c->type, "");
	c->type = schema_strdup(s, "TEXT");
	schema_add_column(s, t, "b");
	ix = schema_add_index(s, t, "ix");
	ck_assert_int_eq(ix->origin, 'c');
	schema_add_index_column(s, ix, "a", "BINARY", 0);
	schema_add_index_column(s, ix, "b", "nocase", 1);
	ck_assert_ptr_null(ix->columns[0].collation);
	ck_assert_str_eq(ix->columns[1].collation, "nocase");
	ck_assert_ptr_eq(schema_table(s, "T"), &s->tables[0]);
	ck_assert_ptr_null(schema_table(s, "u"));
	ck_assert_str_eq(schema_column(&s->tables[0], "A")->type, "TEXT");
	ck_assert_ptr_null(schema_column(&s->tables[0], "c"));
	ck_assert_ptr_nonnull(schema_index(&s->tables[0], "IX"));
	ck_assert_ptr_null(schema_strdup(s, NULL));
	schema_free(s);
	schema_free(NULL);
}
END_TEST

START_TEST(test_schema_same)
{
	ck_assert(schema_same_name("Users", "users"));
	ck_assert(!schema_same_name("users", "user"));
	ck_assert(schema_same_name(NULL, NULL));
	ck_assert(!schema_same_name("a", NULL));
	ck_assert(schema_same_text("role IN ('user','admin')",
	    "ROLE in ( 'user', 'admin' )"));
	ck_assert(!schema_same_text("role IN ('user')", "role IN ('User')"));
	ck_assert(schema_same_text("varchar(64)", "VARCHAR (64)"));
	ck_assert(schema_same_text(NULL, NULL));
	ck_assert(!schema_same_text("0", NULL));
}
END_TEST

static Suite *
unit_suite(void)
{
	Suite	*s = suite_create("schema");
	TCase	*tc;

	tc = tcase_create("schema_add");
	tcase_add_test(tc, test_schema_build);
	suite_add_tcase(s, tc);
	tc = tcase_create("schema_same");
	tcase_add_test(tc, test_schema_same);
	suite_add_tcase(s, tc);
	return s;
}
