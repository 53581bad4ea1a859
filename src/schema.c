/*
 * The description of a database's tables that both the compiled-in model and
 * introspection produce, so that the differ compares like with like. A schema
 * built at run time owns its strings (in its pool) and its arrays; the model's
 * is static and never freed.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exodb.h"

struct schema *
schema_new(void)
{
	return xcalloc(1, sizeof(struct schema));
}

static void
schema_free_table(struct table *t)
{
	size_t	i;

	for (i = 0; i < t->nindexes; i++)
		free(t->indexes[i].columns);
	for (i = 0; i < t->nfks; i++) {
		free(t->fks[i].from);
		free(t->fks[i].to);
	}
	free(t->fks);
	free(t->columns);
	free(t->indexes);
	free(t->checks);
	free(t->triggers);
	free(t->trigger_names);
}

void
schema_free(struct schema *s)
{
	size_t	i;

	if (s == NULL)
		return;
	for (i = 0; i < s->ntables; i++)
		schema_free_table(&s->tables[i]);
	free(s->tables);
	free(s->views);
	free(s->view_names);
	free(s->view_triggers);
	for (i = 0; i < s->npool; i++)
		free(s->pool[i]);
	free(s->pool);
	free(s);
}

/*
 * Take table i out of the schema (its strings stay in the pool). Pointers to
 * the tables after it then point to the wrong table: remove before diffing.
 */
void
schema_remove_table(struct schema *s, size_t i)
{
	schema_free_table(&s->tables[i]);
	memmove(&s->tables[i], &s->tables[i + 1],
	    (s->ntables - i - 1) * sizeof *s->tables);
	s->ntables--;
}

/* A copy of the string that lives as long as the schema; NULL stays NULL. */
const char *
schema_strndup(struct schema *s, const char *text, size_t len)
{
	if (text == NULL)
		return NULL;
	s->pool = xreallocarray(s->pool, s->npool + 1, sizeof *s->pool);
	s->pool[s->npool] = xstrndup(text, len);
	return s->pool[s->npool++];
}

const char *
schema_strdup(struct schema *s, const char *text)
{
	return text == NULL ? NULL : schema_strndup(s, text, strlen(text));
}

/*
 * The add functions return a zeroed element; pointers returned earlier for the
 * same array may move, so fill one element before adding the next.
 */
struct table *
schema_add_table(struct schema *s, const char *name)
{
	struct table	*t;

	s->tables = xreallocarray(s->tables, s->ntables + 1, sizeof *s->tables);
	t = &s->tables[s->ntables++];
	memset(t, 0, sizeof *t);
	t->name = schema_strdup(s, name);
	return t;
}

struct column *
schema_add_column(struct schema *s, struct table *t, const char *name)
{
	struct column	*c;

	t->columns = xreallocarray(t->columns, t->ncolumns + 1,
	    sizeof *t->columns);
	c = &t->columns[t->ncolumns++];
	memset(c, 0, sizeof *c);
	c->name = schema_strdup(s, name);
	c->type = "";
	return c;
}

struct index *
schema_add_index(struct schema *s, struct table *t, const char *name)
{
	struct index	*ix;

	t->indexes = xreallocarray(t->indexes, t->nindexes + 1,
	    sizeof *t->indexes);
	ix = &t->indexes[t->nindexes++];
	memset(ix, 0, sizeof *ix);
	ix->name = schema_strdup(s, name);
	ix->origin = 'c';
	return ix;
}

void
schema_add_index_column(struct schema *s, struct index *ix, const char *name,
    const char *collation, int desc)
{
	struct index_column	*ic;

	ix->columns = xreallocarray(ix->columns, ix->ncolumns + 1,
	    sizeof *ix->columns);
	ic = &ix->columns[ix->ncolumns++];
	ic->name = schema_strdup(s, name);
	ic->collation = collation == NULL || strcasecmp(collation, "BINARY") == 0 ?
	    NULL : schema_strdup(s, collation);
	ic->desc = desc;
}

/* SQLite's names are equal without regard to ASCII case. */
int
schema_same_name(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcasecmp(a, b) == 0;
}

/* Whether two SQL fragments are the same once spacing and case are folded. */
int
schema_same_text(const char *a, const char *b)
{
	char	*na, *nb;
	int	 same;

	if (a == NULL || b == NULL)
		return a == b;
	na = lex_normalize(a);
	nb = lex_normalize(b);
	same = strcmp(na, nb) == 0;
	free(na);
	free(nb);
	return same;
}

const struct table *
schema_table(const struct schema *s, const char *name)
{
	size_t	i;

	for (i = 0; i < s->ntables; i++) {
		if (schema_same_name(s->tables[i].name, name))
			return &s->tables[i];
	}
	return NULL;
}

static int
schema_sorted_cmp(const void *a, const void *b)
{
	const struct table	*ta = *(const struct table *const *)a;
	const struct table	*tb = *(const struct table *const *)b;

	return strcasecmp(ta->name, tb->name);
}

/*
 * s's tables ordered by name, for schema_find(): a differ looking up each
 * table of one schema in the other stays O(N log N). The caller frees the
 * array; it points into s, which must not change while it is in use.
 */
const struct table **
schema_sorted(const struct schema *s)
{
	const struct table	**v;
	size_t			  i;

	v = xcalloc(s->ntables + 1, sizeof *v);
	for (i = 0; i < s->ntables; i++)
		v[i] = &s->tables[i];
	qsort(v, s->ntables, sizeof *v, schema_sorted_cmp);
	return v;
}

/* The table of that name in sorted (n tables, from schema_sorted()), or NULL. */
const struct table *
schema_find(const struct table **sorted, size_t n, const char *name)
{
	size_t	lo = 0, hi = n, mid;
	int	c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcasecmp(name, sorted[mid]->name)) == 0)
			return sorted[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct column *
schema_column(const struct table *t, const char *name)
{
	size_t	i;

	for (i = 0; i < t->ncolumns; i++) {
		if (schema_same_name(t->columns[i].name, name))
			return &t->columns[i];
	}
	return NULL;
}

const struct index *
schema_index(const struct table *t, const char *name)
{
	size_t	i;

	for (i = 0; i < t->nindexes; i++) {
		if (schema_same_name(t->indexes[i].name, name))
			return &t->indexes[i];
	}
	return NULL;
}

/*
 * The column of table other that is c, allowing for a rename: the one with
 * c's name, else the one c was called before (c->was), else the one that
 * names c as what it was. Works in both directions of a diff.
 */
const struct column *
schema_match_column(const struct table *other, const struct column *c)
{
	const struct column	*found;
	size_t			 i;

	if ((found = schema_column(other, c->name)) != NULL)
		return found;
	if (c->was != NULL && (found = schema_column(other, c->was)) != NULL &&
	    schema_column(other, c->name) == NULL)
		return found;
	for (i = 0; i < other->ncolumns; i++) {
		if (other->columns[i].was != NULL &&
		    schema_same_name(other->columns[i].was, c->name))
			return &other->columns[i];
	}
	return NULL;
}
