/*
 * The description of a database's tables that both the compiled-in model and
 * introspection produce, so that the differ compares like with like. A schema
 * built at run time owns its strings (in its pool) and its arrays; the model's
 * is static and never freed.
 */
#include <stdint.h>
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

/*
 * A schema as bytes and back (schema_pack(), schema_unpack()), for the chain
 * cache: a chain of thousands of tables takes longer to introspect than the
 * rest of a command, and the result depends only on the image it is kept
 * beside. The bytes are for the machine that wrote them (native integers):
 * the cache's key names the binary. Each count and number is a uint32_t, each
 * string its length plus one (0: NULL), its bytes and a NUL.
 *
 * Every field of every struct is written. A field added to one of them
 * changes its size, and these assertions stop the build until the field is
 * written and read here too.
 */
#if UINTPTR_MAX == UINT64_MAX
_Static_assert(sizeof(struct column) == 80, "schema_pack: struct column");
_Static_assert(sizeof(struct index_column) == 24,
    "schema_pack: struct index_column");
_Static_assert(sizeof(struct index) == 48, "schema_pack: struct index");
_Static_assert(sizeof(struct foreign_key) == 48,
    "schema_pack: struct foreign_key");
_Static_assert(sizeof(struct table) == 120, "schema_pack: struct table");
_Static_assert(sizeof(struct schema) == 72, "schema_pack: struct schema");
#endif

static void
schema_put_u32(sqlite3_str *out, size_t v)
{
	uint32_t	u = (uint32_t)v;

	sqlite3_str_append(out, (const char *)&u, sizeof u);
}

static void
schema_put_str(sqlite3_str *out, const char *s)
{
	size_t	n;

	if (s == NULL) {
		schema_put_u32(out, 0);
		return;
	}
	n = strlen(s);
	schema_put_u32(out, n + 1);
	sqlite3_str_append(out, s, (int)n + 1);
}

static void
schema_put_strs(sqlite3_str *out, const char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		schema_put_str(out, v[i]);
}

static void
schema_pack_table(sqlite3_str *out, const struct table *t)
{
	const struct column		*c;
	const struct index		*ix;
	const struct foreign_key	*fk;
	size_t				 i, j;

	schema_put_str(out, t->name);
	schema_put_str(out, t->sql);
	schema_put_u32(out, (size_t)t->verbatim);
	schema_put_u32(out, (size_t)t->without_rowid);
	schema_put_u32(out, (size_t)t->strict);
	schema_put_u32(out, (size_t)t->autoincrement);
	schema_put_u32(out, t->ncolumns);
	for (i = 0; i < t->ncolumns; i++) {
		c = &t->columns[i];
		schema_put_str(out, c->name);
		schema_put_str(out, c->type);
		schema_put_u32(out, (size_t)c->notnull);
		schema_put_str(out, c->dflt);
		schema_put_u32(out, (size_t)c->pk);
		schema_put_str(out, c->check);
		schema_put_str(out, c->collation);
		schema_put_u32(out, (size_t)c->hidden);
		schema_put_str(out, c->was);
		schema_put_u32(out, (size_t)c->identity);
	}
	schema_put_u32(out, t->nindexes);
	for (i = 0; i < t->nindexes; i++) {
		ix = &t->indexes[i];
		schema_put_str(out, ix->name);
		schema_put_u32(out, (size_t)ix->unique);
		schema_put_u32(out, (size_t)(unsigned char)ix->origin);
		schema_put_str(out, ix->where);
		schema_put_str(out, ix->sql);
		schema_put_u32(out, ix->ncolumns);
		for (j = 0; j < ix->ncolumns; j++) {
			schema_put_str(out, ix->columns[j].name);
			schema_put_str(out, ix->columns[j].collation);
			schema_put_u32(out, (size_t)ix->columns[j].desc);
		}
	}
	schema_put_u32(out, t->nchecks);
	schema_put_strs(out, t->checks, t->nchecks);
	schema_put_u32(out, t->nfks);
	for (i = 0; i < t->nfks; i++) {
		fk = &t->fks[i];
		schema_put_str(out, fk->table);
		schema_put_str(out, fk->on_update);
		schema_put_str(out, fk->on_delete);
		schema_put_u32(out, fk->ncolumns);
		schema_put_strs(out, fk->from, fk->ncolumns);
		schema_put_u32(out, fk->to != NULL);
		if (fk->to != NULL)
			schema_put_strs(out, fk->to, fk->ncolumns);
	}
	schema_put_u32(out, t->ntriggers);
	schema_put_strs(out, t->triggers, t->ntriggers);
	schema_put_u32(out, t->trigger_names != NULL);
	if (t->trigger_names != NULL)
		schema_put_strs(out, t->trigger_names, t->ntriggers);
}

/* s as bytes (schema_unpack() reads them back), appended to out. */
void
schema_pack(const struct schema *s, sqlite3_str *out)
{
	size_t	i;

	schema_put_u32(out, s->ntables);
	for (i = 0; i < s->ntables; i++)
		schema_pack_table(out, &s->tables[i]);
	schema_put_u32(out, s->nviews);
	schema_put_strs(out, s->views, s->nviews);
	schema_put_strs(out, s->view_names, s->nviews);
	schema_put_u32(out, s->nview_triggers);
	schema_put_strs(out, s->view_triggers, s->nview_triggers);
}

/*
 * The reader of packed bytes: a string points into the copy of the bytes
 * that the schema owns (one allocation for all of them), and a read past
 * the end sets bad.
 */
struct schema_reader {
	char	*p, *end;
	int	 bad;
};

static size_t
schema_get_u32(struct schema_reader *r)
{
	uint32_t	u;

	if (r->bad || (size_t)(r->end - r->p) < sizeof u) {
		r->bad = 1;
		return 0;
	}
	memcpy(&u, r->p, sizeof u);
	r->p += sizeof u;
	return u;
}

static const char *
schema_get_str(struct schema_reader *r)
{
	const char	*s;
	size_t		 n;

	if ((n = schema_get_u32(r)) == 0)
		return NULL;
	if (r->bad || (size_t)(r->end - r->p) < n || r->p[n - 1] != '\0') {
		r->bad = 1;
		return NULL;
	}
	s = r->p;
	r->p += n;
	return s;
}

/* A count of elements of size bytes each, no more than the bytes left. */
static size_t
schema_get_count(struct schema_reader *r, size_t size)
{
	size_t	n = schema_get_u32(r);

	if (n > (size_t)(r->end - r->p) / size) {
		r->bad = 1;
		return 0;
	}
	return n;
}

static const char **
schema_get_strs(struct schema_reader *r, size_t n)
{
	const char	**v;
	size_t		  i;

	v = xcalloc(n + 1, sizeof *v);
	for (i = 0; i < n; i++)
		v[i] = schema_get_str(r);
	return v;
}

static void
schema_unpack_table(struct schema_reader *r, struct table *t)
{
	struct column		*c;
	struct index		*ix;
	struct foreign_key	*fk;
	size_t			 i, j;

	t->name = schema_get_str(r);
	t->sql = schema_get_str(r);
	t->verbatim = (int)schema_get_u32(r);
	t->without_rowid = (int)schema_get_u32(r);
	t->strict = (int)schema_get_u32(r);
	t->autoincrement = (int)schema_get_u32(r);
	t->ncolumns = schema_get_count(r, 4);
	t->columns = xcalloc(t->ncolumns + 1, sizeof *t->columns);
	for (i = 0; i < t->ncolumns; i++) {
		c = &t->columns[i];
		c->name = schema_get_str(r);
		c->type = schema_get_str(r);
		c->notnull = (int)schema_get_u32(r);
		c->dflt = schema_get_str(r);
		c->pk = (int)schema_get_u32(r);
		c->check = schema_get_str(r);
		c->collation = schema_get_str(r);
		c->hidden = (int)schema_get_u32(r);
		c->was = schema_get_str(r);
		c->identity = (int)schema_get_u32(r);
		if (c->type == NULL)
			c->type = "";
	}
	t->nindexes = schema_get_count(r, 4);
	t->indexes = xcalloc(t->nindexes + 1, sizeof *t->indexes);
	for (i = 0; i < t->nindexes; i++) {
		ix = &t->indexes[i];
		ix->name = schema_get_str(r);
		ix->unique = (int)schema_get_u32(r);
		ix->origin = (char)schema_get_u32(r);
		ix->where = schema_get_str(r);
		ix->sql = schema_get_str(r);
		ix->ncolumns = schema_get_count(r, 4);
		ix->columns = xcalloc(ix->ncolumns + 1, sizeof *ix->columns);
		for (j = 0; j < ix->ncolumns; j++) {
			ix->columns[j].name = schema_get_str(r);
			ix->columns[j].collation = schema_get_str(r);
			ix->columns[j].desc = (int)schema_get_u32(r);
		}
	}
	t->nchecks = schema_get_count(r, 4);
	t->checks = schema_get_strs(r, t->nchecks);
	t->nfks = schema_get_count(r, 4);
	t->fks = xcalloc(t->nfks + 1, sizeof *t->fks);
	for (i = 0; i < t->nfks; i++) {
		fk = &t->fks[i];
		fk->table = schema_get_str(r);
		fk->on_update = schema_get_str(r);
		fk->on_delete = schema_get_str(r);
		fk->ncolumns = schema_get_count(r, 4);
		fk->from = schema_get_strs(r, fk->ncolumns);
		if (schema_get_u32(r))
			fk->to = schema_get_strs(r, fk->ncolumns);
	}
	t->ntriggers = schema_get_count(r, 4);
	t->triggers = schema_get_strs(r, t->ntriggers);
	if (schema_get_u32(r))
		t->trigger_names = schema_get_strs(r, t->ntriggers);
}

/*
 * The schema that schema_pack() wrote as the n bytes at p, into *out (the
 * caller frees it): 0, or -1 when the bytes are not such a schema.
 */
int
schema_unpack(const void *p, size_t n, struct schema **out)
{
	struct schema_reader	 r;
	struct schema		*s;
	char			*copy;
	size_t			 i;

	*out = NULL;
	s = schema_new();
	copy = xmalloc(n + 1);
	memcpy(copy, p, n);
	s->pool = xcalloc(1, sizeof *s->pool);
	s->pool[s->npool++] = copy;
	r.p = copy;
	r.end = copy + n;
	r.bad = 0;
	s->ntables = schema_get_count(&r, 4);
	s->tables = xcalloc(s->ntables + 1, sizeof *s->tables);
	for (i = 0; i < s->ntables && !r.bad; i++)
		schema_unpack_table(&r, &s->tables[i]);
	s->nviews = schema_get_count(&r, 4);
	s->views = schema_get_strs(&r, s->nviews);
	s->view_names = schema_get_strs(&r, s->nviews);
	s->nview_triggers = schema_get_count(&r, 4);
	s->view_triggers = schema_get_strs(&r, s->nview_triggers);
	if (r.bad || r.p != r.end) {
		schema_free(s);
		return -1;
	}
	*out = s;
	return 0;
}
