/*
 * One revision file: its name, its header, its SQL sections and its
 * checksum. A revision file reads:
 *
 *	-- exodb revision
 *	-- id: 20261125043012
 *	-- revises: none
 *	-- message: Initial user model
 *	-- created: 2026-11-25T04:30:12Z
 *	-- model: 3f7c...		(db migrate: the model's fingerprint)
 *	-- destructive: drop table t	(db migrate: each operation that drops)
 *	-- data: 3 NULL values of t.c become 0	(db migrate: what it found
 *					 the upgrade does to the rows)
 *
 *	-- +upgrade
 *	CREATE TABLE ...;
 *
 *	-- +downgrade
 *	DROP TABLE ...;
 *
 *	-- +upgrade postgresql
 *	CREATE TABLE ...;
 *
 *	-- +downgrade postgresql
 *	DROP TABLE ...;
 *
 * A pair of sections per dialect, upgrade then downgrade: the unnamed pair is
 * SQLite's (every file has had it since the first), a pair named after its
 * dialect follows for PostgreSQL. A file may lack a dialect's pair; the
 * runner for that dialect refuses it (plan_check_dialect()).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/sha2.h>

#include "exodb.h"

#define REVISION_MAGIC	"-- exodb revision"
#define REVISION_UP	"-- +upgrade"
#define REVISION_DOWN	"-- +downgrade"
#define REVISION_PG	"postgresql"
#define SLUG_MAX	40

void
revision_free(struct revision *rev)
{
	size_t	i;

	if (rev == NULL)
		return;
	/* A parsed one is one allocation (revision_build()). */
	if (rev->packed) {
		free(rev);
		return;
	}
	free(rev->parent_revs);
	free(rev->id);
	free(rev->file);
	free(rev->path);
	free(rev->message);
	free(rev->created);
	free(rev->model);
	for (i = 0; i < rev->nparents; i++)
		free(rev->parents[i]);
	free(rev->parents);
	for (i = 0; i < rev->ndestructive; i++)
		free(rev->destructive[i]);
	free(rev->destructive);
	for (i = 0; i < rev->ndata; i++)
		free(rev->data[i]);
	free(rev->data);
	free(rev->upgrade);
	free(rev->downgrade);
	free(rev->pg_upgrade);
	free(rev->pg_downgrade);
	free(rev);
}

/* An id is fourteen digits: the UTC time YYYYMMDDHHMMSS. */
int
revision_valid_id(const char *id)
{
	size_t	i;

	for (i = 0; i < 14; i++) {
		if (!isdigit((unsigned char)id[i]))
			return 0;
	}
	return id[14] == '\0';
}

/*
 * The ASCII letters of each letter of Latin-1 Supplement and Latin
 * Extended-A, U+00C0 to U+017F, without its accent: what a slug keeps of
 * "Ünïcode" or "Łódź" whatever the locale. NULL for the two that are not
 * letters (the multiplication and division signs).
 */
static const char *const revision_fold_table[] = {
	"a", "a", "a", "a", "a", "a", "ae", "c",
	"e", "e", "e", "e", "i", "i", "i", "i",
	"d", "n", "o", "o", "o", "o", "o", NULL,
	"o", "u", "u", "u", "u", "y", "th", "ss",
	"a", "a", "a", "a", "a", "a", "ae", "c",
	"e", "e", "e", "e", "i", "i", "i", "i",
	"d", "n", "o", "o", "o", "o", "o", NULL,
	"o", "u", "u", "u", "u", "y", "th", "y",
	"a", "a", "a", "a", "a", "a", "c", "c",
	"c", "c", "c", "c", "c", "c", "d", "d",
	"d", "d", "e", "e", "e", "e", "e", "e",
	"e", "e", "e", "e", "g", "g", "g", "g",
	"g", "g", "g", "g", "h", "h", "h", "h",
	"i", "i", "i", "i", "i", "i", "i", "i",
	"i", "i", "ij", "ij", "j", "j", "k", "k",
	"k", "l", "l", "l", "l", "l", "l", "l",
	"l", "l", "l", "n", "n", "n", "n", "n",
	"n", "n", "n", "n", "o", "o", "o", "o",
	"o", "o", "oe", "oe", "r", "r", "r", "r",
	"r", "r", "s", "s", "s", "s", "s", "s",
	"s", "s", "t", "t", "t", "t", "t", "t",
	"u", "u", "u", "u", "u", "u", "u", "u",
	"u", "u", "u", "u", "w", "w", "y", "y",
	"y", "z", "z", "z", "z", "z", "z", "s"
};

/*
 * The letter at *p, which is advanced past it, folded to ASCII: the table's
 * letters for U+00C0 to U+017F, "" for a combining accent (U+0300 to U+036F,
 * as in a decomposed "e\u0301"), or NULL for anything else, one byte on.
 */
static const char *
revision_fold(const unsigned char **p)
{
	const unsigned char	*s = *p;
	unsigned		 cp;

	if (s[0] >= 0xc3 && s[0] <= 0xc5 && (s[1] & 0xc0) == 0x80) {
		cp = ((unsigned)(s[0] & 0x1f) << 6 | (s[1] & 0x3f)) - 0xc0;
		*p += 2;
		return revision_fold_table[cp];
	}
	if ((s[0] == 0xcc && (s[1] & 0xc0) == 0x80) ||
	    (s[0] == 0xcd && s[1] >= 0x80 && s[1] <= 0xaf)) {
		*p += 2;
		return "";
	}
	*p += 1;
	return NULL;
}

/*
 * The message folded to [a-z0-9_] for a file name: letters with accents
 * lose them (revision_fold), runs of anything else become one underscore,
 * none leads or trails; "revision" when nothing is left. At most SLUG_MAX
 * characters, cut at the end of a word when that keeps at least half of
 * them, else in the middle of the long word. The caller frees the result.
 */
char *
revision_slug(const char *message)
{
	const unsigned char	*p = (const unsigned char *)message;
	const char		*fold;
	char			 buf[SLUG_MAX + 3], one[2] = { 0, 0 };
	size_t			 n = 0, k;

	/* One character past the limit tells whether a word goes on. */
	while (*p != '\0' && n <= SLUG_MAX) {
		if (isascii(*p) && isalnum(*p)) {
			one[0] = (char)*p++;
			fold = one;
		} else
			fold = revision_fold(&p);
		if (fold == NULL) {
			if (n > 0 && buf[n - 1] != '_')
				buf[n++] = '_';
			continue;
		}
		for (; *fold != '\0' && n < sizeof buf; fold++)
			buf[n++] = (char)tolower((unsigned char)*fold);
	}
	if (n > SLUG_MAX) {
		for (k = SLUG_MAX; k > 0 && buf[k] != '_'; k--)
			;
		n = k >= SLUG_MAX / 2 ? k : SLUG_MAX;
	}
	while (n > 0 && buf[n - 1] == '_')
		n--;
	if (n == 0)
		return xstrdup("revision");
	return xstrndup(buf, n);
}

/*
 * A header value on one line: control characters become spaces, and what
 * the parser would trim from either end (spaces, and so those) is left out,
 * so that the value reads back as written.
 */
static void
revision_append_line(sqlite3_str *out, const char *value)
{
	const unsigned char	*p = (const unsigned char *)value, *end;

#define BLANK(c) ((c) <= 0x20 || (c) == 0x7f)
	while (*p != '\0' && BLANK(*p))
		p++;
	end = p + strlen((const char *)p);
	while (end > p && BLANK(end[-1]))
		end--;
	for (; p < end; p++)
		sqlite3_str_appendchar(out, 1, BLANK(*p) ? ' ' : (char)*p);
#undef BLANK
}

/* A blank line, a marker, and a section ended by a newline unless empty. */
static void
revision_format_section(sqlite3_str *out, const char *marker,
    const char *name, const char *sql)
{
	if (sql == NULL)
		sql = "";
	sqlite3_str_appendf(out, "\n%s%s\n%s", marker, name, sql);
	if (*sql != '\0' && sql[strlen(sql) - 1] != '\n')
		sqlite3_str_appendall(out, "\n");
}

/* One dialect's pair of sections; name is "" or " postgresql". */
static void
revision_format_pair(sqlite3_str *out, const char *name, const char *up,
    const char *down)
{
	revision_format_section(out, REVISION_UP, name, up);
	revision_format_section(out, REVISION_DOWN, name, down);
}

/*
 * The text of revision file r: its header (id, revises, message, created, a
 * line per destructive operation and one per data note) and its sections,
 * each ended by a newline: SQLite's pair, unless r has only PostgreSQL's, and
 * PostgreSQL's when r has either of its sections. revision_parse() reads it
 * back to the same fields. The caller frees the result.
 */
char *
revision_format(const struct revision *r)
{
	sqlite3_str	*out;
	size_t		 i;

	out = sqlite3_str_new(NULL);
	sqlite3_str_appendf(out, "%s\n-- id: %s\n-- revises:", REVISION_MAGIC,
	    r->id);
	if (r->nparents == 0)
		sqlite3_str_appendall(out, " none");
	for (i = 0; i < r->nparents; i++)
		sqlite3_str_appendf(out, " %s", r->parents[i]);
	sqlite3_str_appendall(out, "\n-- message: ");
	revision_append_line(out, r->message);
	sqlite3_str_appendall(out, "\n-- created: ");
	revision_append_line(out, r->created);
	sqlite3_str_appendall(out, "\n");
	if (r->model != NULL) {
		sqlite3_str_appendall(out, "-- model: ");
		revision_append_line(out, r->model);
		sqlite3_str_appendall(out, "\n");
	}
	for (i = 0; i < r->ndestructive; i++) {
		sqlite3_str_appendall(out, "-- destructive: ");
		revision_append_line(out, r->destructive[i]);
		sqlite3_str_appendall(out, "\n");
	}
	for (i = 0; i < r->ndata; i++) {
		sqlite3_str_appendall(out, "-- data: ");
		revision_append_line(out, r->data[i]);
		sqlite3_str_appendall(out, "\n");
	}
	/* A file has SQLite's pair unless it is only PostgreSQL's. */
	if (r->upgrade != NULL || r->downgrade != NULL ||
	    (r->pg_upgrade == NULL && r->pg_downgrade == NULL))
		revision_format_pair(out, "", r->upgrade, r->downgrade);
	if (r->pg_upgrade != NULL || r->pg_downgrade != NULL)
		revision_format_pair(out, " " REVISION_PG, r->pg_upgrade,
		    r->pg_downgrade);
	return xstr_finish(out);
}

/*
 * Whether message may head a new revision: not blank, and at most
 * REVISION_MESSAGE_MAX bytes, since it is one header line and the summary
 * listings show. Older files with longer messages still load.
 */
int
revision_check_message(const char *message, char **cause)
{
	size_t	len;

	if (message == NULL || message[strspn(message, " \t\r\n\v\f")] ==
	    '\0') {
		*cause = xstrdup("a message is required: -m MESSAGE");
		return -1;
	}
	if ((len = strlen(message)) > REVISION_MESSAGE_MAX) {
		*cause = xasprintf("the message is %zu bytes; at most %d are "
		    "allowed (it is the revision's one-line summary)", len,
		    REVISION_MESSAGE_MAX);
		return -1;
	}
	return 0;
}

/*
 * Name each destructive operation of d in r's header, the downgrade's with a
 * "downgrade: " prefix. Returns how many were added.
 */
size_t
revision_add_destructive(struct revision *r, const struct diff *d, int up)
{
	size_t	i, n = 0;
	char	*what;

	for (i = 0; i < d->nops; i++) {
		if (!diff_destructive(&d->ops[i]))
			continue;
		what = diff_describe(&d->ops[i]);
		r->destructive = xreallocarray(r->destructive,
		    r->ndestructive + 1, sizeof *r->destructive);
		r->destructive[r->ndestructive++] = xasprintf("%s%s",
		    up ? "" : "downgrade: ", what);
		free(what);
		n++;
	}
	return n;
}

/* A stretch of the file's text; p is NULL for one not found. */
struct revision_span {
	const char	*p;
	size_t		 n;
};

/*
 * What one pass over a file's text finds: the header's values and the
 * sections (sec[dialect][up], p NULL when absent), as stretches of the text. Only once the whole file is known good
 * is the revision made, in one allocation (revision_build()).
 */
struct revision_scan {
	struct revision_span	 id, revises, message, created, model;
	struct revision_span	*destructive, *data;
	size_t			 ndestructive, ndata;
	size_t			 nparents;
	struct revision_span	 sec[DIALECT_COUNT][2];
	unsigned		 secline[DIALECT_COUNT][2];
};

/* A section as parsed: trailing blank lines dropped, one final newline. */
static struct revision_span
revision_section(const char *start, size_t len)
{
	struct revision_span	s;

	while (len > 0 && isspace((unsigned char)start[len - 1]))
		len--;
	s.p = start;
	s.n = len;
	return s;
}

/* Whether line (of length len) is the marker, trailing blanks aside. */
static int
revision_is_marker(const char *line, size_t len, const char *marker)
{
	size_t	n = strlen(marker);

	if (len < n || strncmp(line, marker, n) != 0)
		return 0;
	for (; n < len; n++) {
		if (!isspace((unsigned char)line[n]))
			return 0;
	}
	return 1;
}

/*
 * Whether line (of length len) is a section marker: "-- +upgrade" or
 * "-- +downgrade", then nothing or a dialect's name, then only blanks. Sets
 * *dialect and *up. 1 for a marker, 0 for any other line, -1 with *cause
 * set for a marker naming a dialect exodb does not know.
 */
static int
revision_marker(const char *line, size_t len, enum dialect *dialect,
    int *up, char **cause)
{
	const char	*p, *end = line + len, *name;
	size_t		 n;

	while (end > line && isspace((unsigned char)end[-1]))
		end--;
	if ((size_t)(end - line) >= strlen(REVISION_UP) &&
	    strncmp(line, REVISION_UP, strlen(REVISION_UP)) == 0) {
		p = line + strlen(REVISION_UP);
		*up = 1;
	} else if ((size_t)(end - line) >= strlen(REVISION_DOWN) &&
	    strncmp(line, REVISION_DOWN, strlen(REVISION_DOWN)) == 0) {
		p = line + strlen(REVISION_DOWN);
		*up = 0;
	} else
		return 0;
	if (p == end) {
		*dialect = DIALECT_SQLITE;
		return 1;
	}
	/* "-- +upgraded" is a comment, not a marker. */
	if (!isspace((unsigned char)*p))
		return 0;
	for (name = p; name < end && isspace((unsigned char)*name); name++)
		;
	n = (size_t)(end - name);
	if (n == strlen(REVISION_PG) && strncmp(name, REVISION_PG, n) == 0) {
		*dialect = DIALECT_POSTGRESQL;
		return 1;
	}
	*cause = xasprintf("'%s' names the dialect '%.*s'; the dialects are "
	    "SQLite (no name) and '" REVISION_PG "'", *up ? REVISION_UP :
	    REVISION_DOWN, (int)(n > 40 ? 40 : n), name);
	return -1;
}

/* The next id of a "revises" value at *p, moving *p past it; 0 at its end. */
static int
revision_next_parent(const char **p, const char *end,
    struct revision_span *id)
{
	const char	*q = *p;

	while (q < end && *q == ' ')
		q++;
	if (q == end)
		return 0;
	id->p = q;
	while (q < end && *q != ' ')
		q++;
	id->n = (size_t)(q - id->p);
	*p = q;
	return 1;
}

/* Whether a parent id (a span of the text) is fourteen digits. */
static int
revision_valid_span(const struct revision_span *id)
{
	size_t	i;

	if (id->n != 14)
		return 0;
	for (i = 0; i < 14; i++) {
		if (!isdigit((unsigned char)id->p[i]))
			return 0;
	}
	return 1;
}

/* Check a "revises" value and count its parents: ids, none twice. */
static int
revision_scan_parents(struct revision_scan *sc, char **cause)
{
	const struct revision_span	*v = &sc->revises;
	struct revision_span		 id, prev;
	const char			*p = v->p, *q, *end = v->p + v->n;

	if (v->n == 4 && strncmp(v->p, "none", 4) == 0)
		return 0;
	while (revision_next_parent(&p, end, &id)) {
		if (!revision_valid_span(&id)) {
			*cause = xasprintf("'revises' names '%.*s', which is "
			    "not a revision id", (int)id.n, id.p);
			return -1;
		}
		for (q = v->p; q < id.p && revision_next_parent(&q, id.p,
		    &prev);) {
			if (prev.n == id.n && memcmp(prev.p, id.p, id.n) == 0) {
				*cause = xasprintf("'revises' names '%.*s' "
				    "twice", (int)id.n, id.p);
				return -1;
			}
		}
		sc->nparents++;
	}
	if (sc->nparents == 0) {
		*cause = xstrdup("'revises' is empty; write 'none' for a root");
		return -1;
	}
	return 0;
}

/* Keep a header value that may appear once. */
static int
revision_scan_once(struct revision_span *slot, const char *key,
    struct revision_span value, char **cause)
{
	if (slot->p != NULL) {
		*cause = xasprintf("'%s' appears twice", key);
		return -1;
	}
	*slot = value;
	return 0;
}

/* One "-- key: value" line of the header. */
static int
revision_header_line(struct revision_scan *sc, const char *line, size_t len,
    char **cause)
{
	struct revision_span	 value;
	const char		*colon, *key, *end = line + len;
	size_t			 keylen;

	if (len < 3 || strncmp(line, "-- ", 3) != 0 ||
	    (colon = memchr(line, ':', len)) == NULL) {
		*cause = xasprintf("header line '%.*s' is not '-- key: value'",
		    (int)(len > 60 ? 60 : len), line);
		return -1;
	}
	key = line + 3;
	keylen = (size_t)(colon - key);
	/* The value, trimmed. */
	value.p = colon + 1;
	while (end > value.p && isspace((unsigned char)end[-1]))
		end--;
	while (value.p < end && (*value.p == ' ' || *value.p == '\t'))
		value.p++;
	value.n = (size_t)(end - value.p);

#define KEY(k) (keylen == strlen(k) && strncmp(key, k, keylen) == 0)
	if (KEY("id")) {
		if (sc->id.p != NULL) {
			*cause = xstrdup("'id' appears twice");
			return -1;
		}
		if (!revision_valid_span(&value)) {
			*cause = xasprintf("id '%.*s' is not fourteen digits "
			    "(YYYYMMDDHHMMSS)", (int)value.n, value.p);
			return -1;
		}
		sc->id = value;
	} else if (KEY("revises")) {
		if (revision_scan_once(&sc->revises, "revises", value,
		    cause) == -1)
			return -1;
		return revision_scan_parents(sc, cause);
	} else if (KEY("message"))
		return revision_scan_once(&sc->message, "message", value, cause);
	else if (KEY("created"))
		return revision_scan_once(&sc->created, "created", value, cause);
	else if (KEY("model")) {
		/* Files written before exodb recorded it have none. */
		return revision_scan_once(&sc->model, "model", value, cause);
	} else if (KEY("destructive")) {
		sc->destructive = xreallocarray(sc->destructive,
		    sc->ndestructive + 1, sizeof *sc->destructive);
		sc->destructive[sc->ndestructive++] = value;
	} else if (KEY("data")) {
		sc->data = xreallocarray(sc->data, sc->ndata + 1,
		    sizeof *sc->data);
		sc->data[sc->ndata++] = value;
	} else {
		*cause = xasprintf("unknown header key '%.*s'",
		    (int)(keylen > 40 ? 40 : keylen), key);
		return -1;
	}
#undef KEY
	return 0;
}

/*
 * Scan the text of a revision file: one pass, line by line, that checks the
 * header and finds the sections. On failure *cause names what is wrong,
 * without the path, which the caller adds.
 */
static int
revision_scan_text(struct revision_scan *sc, const char *text, size_t len,
    char **cause)
{
	const char	*line = text, *nl, *end = text + len;
	const char	*open = NULL;	/* where the section being read began */
	enum dialect	 d = DIALECT_SQLITE, od = DIALECT_SQLITE;
	size_t		 linelen;
	unsigned	 lineno = 0;
	int		 in_header = 1, up = 0, oup = 0, rc, nsec = 0;
	char		*why = NULL;

	if (memchr(text, '\0', len) != NULL) {
		*cause = xstrdup("contains a NUL byte");
		return -1;
	}
	for (; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (nl == NULL)
			nl = end;
		linelen = (size_t)(nl - line);
		if (linelen > 0 && line[linelen - 1] == '\r')
			linelen--;
		lineno++;
		if (lineno == 1) {
			if (!revision_is_marker(line, linelen, REVISION_MAGIC)) {
				*cause = xstrdup("first line is not '"
				    REVISION_MAGIC "'");
				return -1;
			}
			continue;
		}
		/* Every marker begins so: most lines are none. */
		rc = linelen >= 4 && memcmp(line, "-- +", 4) == 0 ?
		    revision_marker(line, linelen, &d, &up, &why) : 0;
		if (rc == -1)
			goto fail;
		if (rc == 1) {
			/*
			 * An upgrade opens its dialect's pair, which must be
			 * new and follow a closed one; a downgrade closes
			 * the pair its dialect's upgrade opened.
			 */
			if (up ? sc->sec[d][1].p != NULL ||
			    (open != NULL && oup) : open == NULL || !oup ||
			    od != d) {
				why = xasprintf("'%s%s%s' out of place",
				    up ? REVISION_UP : REVISION_DOWN,
				    d == DIALECT_SQLITE ? "" : " ",
				    d == DIALECT_SQLITE ? "" : REVISION_PG);
				goto fail;
			}
			if (open != NULL)
				sc->sec[od][oup] = revision_section(open,
				    (size_t)(line - open));
			open = nl < end ? nl + 1 : end;
			od = d;
			oup = up;
			sc->secline[d][up] = lineno + 1;
			nsec++;
			in_header = 0;
			continue;
		}
		if (!in_header)
			continue;
		if (linelen == 0) {
			in_header = 0;
			continue;
		}
		if (revision_header_line(sc, line, linelen, &why) == -1)
			goto fail;
	}
	if (sc->id.p == NULL || sc->revises.p == NULL ||
	    sc->message.p == NULL || sc->created.p == NULL) {
		*cause = xasprintf("header lacks '%s'", sc->id.p == NULL ?
		    "id" : sc->revises.p == NULL ? "revises" :
		    sc->message.p == NULL ? "message" : "created");
		return -1;
	}
	if (nsec == 0) {
		*cause = xstrdup("no '" REVISION_UP "' section");
		return -1;
	}
	if (oup) {
		*cause = xasprintf("no '" REVISION_DOWN "%s%s' section",
		    od == DIALECT_SQLITE ? "" : " ",
		    od == DIALECT_SQLITE ? "" : REVISION_PG);
		return -1;
	}
	sc->sec[od][oup] = revision_section(open, (size_t)(end - open));
	return 0;
fail:
	*cause = xasprintf("line %u: %s", lineno, why);
	free(why);
	return -1;
}

/* Copy a span to *at as a string, moving *at past it. */
static char *
revision_put(char **at, const char *p, size_t n)
{
	char	*s = *at;

	memcpy(s, p, n);
	s[n] = '\0';
	*at += n + 1;
	return s;
}

/*
 * A section's text: what was scanned and, unless it is empty, a newline;
 * NULL for a section the file does not have.
 */
static char *
revision_put_section(char **at, const struct revision_span *sec)
{
	char	*s = *at;

	if (sec->p == NULL)
		return NULL;
	memcpy(s, sec->p, sec->n);
	s[sec->n] = '\n';
	s[sec->n + (sec->n > 0)] = '\0';
	*at += sec->n + 2;
	return s;
}

/*
 * The revision a scan found, in one allocation: the struct, its arrays of
 * parents, destructive and data lines and (for repo.c to fill) parent
 * revisions, then every string. revision_free() frees it whole; nothing in it is to be
 * replaced or grown. Its children are the repository's (repo_graph()).
 */
static struct revision *
revision_build(const struct revision_scan *sc, const char *path,
    const char *file)
{
	struct revision		*rev;
	struct revision_span	 id;
	const char		*p, *end;
	char			*at;
	size_t			 size, nptrs, i, flen = strlen(file);
	size_t			 plen = strlen(path);
	int			 d, up;

	nptrs = 2 * sc->nparents + sc->ndestructive + sc->ndata;
	size = sizeof *rev + nptrs * sizeof (char *) + flen + 1 + plen + 1 +
	    sc->id.n + 1 + sc->message.n + 1 + sc->created.n + 1 +
	    (sc->model.p != NULL ? sc->model.n + 1 : 0) +
	    sc->nparents * 15;
	for (d = 0; d < DIALECT_COUNT; d++) {
		for (up = 0; up < 2; up++)
			size += sc->sec[d][up].n + 2;
	}
	for (i = 0; i < sc->ndestructive; i++)
		size += sc->destructive[i].n + 1;
	for (i = 0; i < sc->ndata; i++)
		size += sc->data[i].n + 1;
	rev = xmalloc(size);
	memset(rev, 0, sizeof *rev);
	rev->packed = 1;
	if (sc->nparents > 0)
		rev->parents = (char **)(rev + 1);
	if (sc->ndestructive > 0)
		rev->destructive = (char **)(rev + 1) + sc->nparents;
	if (sc->ndata > 0)
		rev->data = (char **)(rev + 1) + sc->nparents +
		    sc->ndestructive;
	rev->parent_revs = (struct revision **)((char **)(rev + 1) +
	    sc->nparents + sc->ndestructive + sc->ndata);
	at = (char *)((char **)(rev + 1) + nptrs);
	rev->file = revision_put(&at, file, flen);
	rev->path = revision_put(&at, path, plen);
	rev->id = revision_put(&at, sc->id.p, sc->id.n);
	rev->message = revision_put(&at, sc->message.p, sc->message.n);
	rev->created = revision_put(&at, sc->created.p, sc->created.n);
	if (sc->model.p != NULL)
		rev->model = revision_put(&at, sc->model.p, sc->model.n);
	p = sc->revises.p;
	end = sc->revises.p + sc->revises.n;
	while (sc->nparents > 0 && revision_next_parent(&p, end, &id))
		rev->parents[rev->nparents++] = revision_put(&at, id.p, id.n);
	for (i = 0; i < sc->ndestructive; i++)
		rev->destructive[rev->ndestructive++] = revision_put(&at,
		    sc->destructive[i].p, sc->destructive[i].n);
	for (i = 0; i < sc->ndata; i++)
		rev->data[rev->ndata++] = revision_put(&at, sc->data[i].p,
		    sc->data[i].n);
	rev->upgrade = revision_put_section(&at, &sc->sec[DIALECT_SQLITE][1]);
	rev->downgrade = revision_put_section(&at,
	    &sc->sec[DIALECT_SQLITE][0]);
	rev->pg_upgrade = revision_put_section(&at,
	    &sc->sec[DIALECT_POSTGRESQL][1]);
	rev->pg_downgrade = revision_put_section(&at,
	    &sc->sec[DIALECT_POSTGRESQL][0]);
	rev->upgrade_line = sc->secline[DIALECT_SQLITE][1];
	rev->downgrade_line = sc->secline[DIALECT_SQLITE][0];
	rev->pg_upgrade_line = sc->secline[DIALECT_POSTGRESQL][1];
	rev->pg_downgrade_line = sc->secline[DIALECT_POSTGRESQL][0];
	return rev;
}

/* A SHA-256 digest in hex. */
static void
revision_hex(const uint8_t digest[SHA256_DIGEST_SIZE], char hex[65])
{
	static const char	digits[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < SHA256_DIGEST_SIZE; i++) {
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 0xf];
	}
	hex[2 * SHA256_DIGEST_SIZE] = '\0';
}

/*
 * The SHA-256 of a file's text, in hex. Nettle's, which uses the processor's
 * SHA instructions where it has them: every command hashes every file (and
 * the model's fingerprint is one too).
 */
void
revision_checksum(const char *text, size_t len, char hex[65])
{
	struct sha256_ctx	 ctx;
	uint8_t			 digest[SHA256_DIGEST_SIZE];

	sha256_init(&ctx);
	sha256_update(&ctx, len, (const uint8_t *)text);
	sha256_digest(&ctx, sizeof digest, digest);
	revision_hex(digest, hex);
}

/* The SHA-256 of the file at path, in hex; -1 if it cannot be read. */
int
revision_file_checksum(const char *path, char hex[65])
{
	struct sha256_ctx	 ctx;
	uint8_t			 digest[SHA256_DIGEST_SIZE], buf[8192];
	FILE			*f;
	size_t			 n;
	int			 bad;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	sha256_init(&ctx);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sha256_update(&ctx, n, buf);
	bad = ferror(f);
	fclose(f);
	if (bad)
		return -1;
	sha256_digest(&ctx, sizeof digest, digest);
	revision_hex(digest, hex);
	return 0;
}

/*
 * Parse a revision file's text into *out. file is its name inside versions/,
 * which must be <id>_<slug>.sql with the header's id; path is how errors and
 * listings show it.
 */
int
revision_parse(const char *path, const char *file, const char *text,
    size_t len, struct revision **out, char **cause)
{
	struct revision_scan	 sc;
	char			*why = NULL;

	*out = NULL;
	memset(&sc, 0, sizeof sc);
	if (revision_scan_text(&sc, text, len, &why) == -1)
		goto fail;
	if (strncmp(file, sc.id.p, 14) != 0 || file[14] != '_') {
		why = xasprintf("header id %.14s does not match the file name",
		    sc.id.p);
		goto fail;
	}
	*out = revision_build(&sc, path, file);
	free(sc.destructive);
	free(sc.data);
	revision_checksum(text, len, (*out)->checksum);
	return 0;
fail:
	*cause = xasprintf("%s: malformed revision: %s", path, why);
	free(why);
	free(sc.destructive);
	free(sc.data);
	return -1;
}

/*
 * The SQL of rev's upgrade (up 1) or downgrade section for a dialect, and in
 * *line (unless NULL) the line of the file it begins on; NULL when the file
 * has no such section. Borrowed from rev.
 */
const char *
revision_sql(const struct revision *rev, enum dialect dialect, int up,
    unsigned *line)
{
	const char	*sql;
	unsigned	 n;

	if (dialect == DIALECT_POSTGRESQL) {
		sql = up ? rev->pg_upgrade : rev->pg_downgrade;
		n = up ? rev->pg_upgrade_line : rev->pg_downgrade_line;
	} else {
		sql = up ? rev->upgrade : rev->downgrade;
		n = up ? rev->upgrade_line : rev->downgrade_line;
	}
	if (line != NULL)
		*line = n;
	return sql;
}

/* A dialect's name as its sections' markers and --dialect spell it. */
const char *
revision_dialect_name(enum dialect dialect)
{
	return dialect == DIALECT_POSTGRESQL ? REVISION_PG : "sqlite";
}
