/*
 * The application's tables, as app/models.py declares them: exodb's equivalent
 * of the SQLAlchemy metadata that Flask-Migrate compares with the database. It
 * uses the structs introspection fills, so the differ compares like with like.
 *
 * Uniqueness lives in named unique indexes rather than UNIQUE constraints, so
 * that it can change without rebuilding the table; is_approved defaults to
 * false in the database itself, not only in the application.
 */
#include "exodb.h"

static struct column users_columns[] = {
	{ .name = "id", .type = "INTEGER", .notnull = 1, .pk = 1 },
	{ .name = "username", .type = "VARCHAR(64)", .notnull = 1 },
	{ .name = "email", .type = "VARCHAR(120)", .notnull = 1 },
	{ .name = "password_hash", .type = "VARCHAR(256)", .notnull = 1 },
	{ .name = "role", .type = "VARCHAR(20)", .notnull = 1,
	  .dflt = "'user'", .check = "role IN ('user', 'admin')" },
	{ .name = "is_approved", .type = "BOOLEAN", .notnull = 1,
	  .dflt = "0", .check = "is_approved IN (0, 1)" },
};

static struct index_column users_username_columns[] = {
	{ .name = "username", .collation = "NOCASE" },
};

static struct index_column users_email_columns[] = {
	{ .name = "email", .collation = "NOCASE" },
};

static struct index users_indexes[] = {
	{ .name = "ix_users_username", .unique = 1, .origin = 'c',
	  .columns = users_username_columns, .ncolumns = 1 },
	{ .name = "ix_users_email", .unique = 1, .origin = 'c',
	  .columns = users_email_columns, .ncolumns = 1 },
};

static struct table model_tables[] = {
	{ .name = "users",
	  .columns = users_columns,
	  .ncolumns = sizeof users_columns / sizeof users_columns[0],
	  .indexes = users_indexes,
	  .nindexes = sizeof users_indexes / sizeof users_indexes[0] },
};

static const struct schema model = {
	.tables = model_tables,
	.ntables = sizeof model_tables / sizeof model_tables[0],
};

const struct schema *
model_schema(void)
{
	return &model;
}
