/*
 * One revision file: its name, its header, its two SQL sections and its
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

/*
 * The text of revision file r: its header (id, revises, message, created, a
 * line per destructive operation and one per data note) and its two
 * sections, each ended by a newline. revision_parse() reads it back to the same fields. The caller
 * frees the result.
 */
char *
revision_format(const struct revision *r)
{
	sqlite3_str	*out;
	const char	*up = r->upgrade != NULL ? r->upgrade : "";
	const char	*down = r->downgrade != NULL ? r->downgrade : "";
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
	sqlite3_str_appendf(out, "\n%s\n%s%s\n%s\n%s", REVISION_UP, up,
	    *up != '\0' && up[strlen(up) - 1] != '\n' ? "\n" : "",
	    REVISION_DOWN, down);
	if (*down != '\0' && down[strlen(down) - 1] != '\n')
		sqlite3_str_appendall(out, "\n");
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
 * What one pass over a file's text finds: the header's values and the two
 * sections, as stretches of the text. Only once the whole file is known good
 * is the revision made, in one allocation (revision_build()).
 */
struct revision_scan {
	struct revision_span	 id, revises, message, created, model;
	struct revision_span	*destructive, *data;
	size_t			 ndestructive, ndata;
	size_t			 nparents;
	struct revision_span	 up, down;
	unsigned		 upline, downline;
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
	const char	*up = NULL, *down = NULL;
	size_t		 linelen;
	unsigned	 lineno = 0;
	int		 in_header = 1;

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
		/* Both markers begin so: most lines are neither. */
		if (linelen >= 4 && memcmp(line, "-- +", 4) == 0) {
			if (revision_is_marker(line, linelen, REVISION_UP)) {
				if (up != NULL || down != NULL) {
					*cause = xasprintf("line %u: '"
					    REVISION_UP "' out of place",
					    lineno);
					return -1;
				}
				up = nl < end ? nl + 1 : end;
				sc->upline = lineno + 1;
				in_header = 0;
				continue;
			}
			if (revision_is_marker(line, linelen, REVISION_DOWN)) {
				if (up == NULL || down != NULL) {
					*cause = xasprintf("line %u: '"
					    REVISION_DOWN "' out of place",
					    lineno);
					return -1;
				}
				sc->up = revision_section(up,
				    (size_t)(line - up));
				down = nl < end ? nl + 1 : end;
				sc->downline = lineno + 1;
				continue;
			}
		}
		if (!in_header)
			continue;
		if (linelen == 0) {
			in_header = 0;
			continue;
		}
		if (revision_header_line(sc, line, linelen, cause) == -1) {
			char	*c = *cause;

			*cause = xasprintf("line %u: %s", lineno, c);
			free(c);
			return -1;
		}
	}
	if (sc->id.p == NULL || sc->revises.p == NULL ||
	    sc->message.p == NULL || sc->created.p == NULL) {
		*cause = xasprintf("header lacks '%s'", sc->id.p == NULL ?
		    "id" : sc->revises.p == NULL ? "revises" :
		    sc->message.p == NULL ? "message" : "created");
		return -1;
	}
	if (down == NULL) {
		*cause = xstrdup(up == NULL ? "no '" REVISION_UP "' section" :
		    "no '" REVISION_DOWN "' section");
		return -1;
	}
	sc->down = revision_section(down, (size_t)(end - down));
	return 0;
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

/* A section's text: what was scanned and, unless it is empty, a newline. */
static char *
revision_put_section(char **at, const struct revision_span *sec)
{
	char	*s = *at;

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

	nptrs = 2 * sc->nparents + sc->ndestructive + sc->ndata;
	size = sizeof *rev + nptrs * sizeof (char *) + flen + 1 + plen + 1 +
	    sc->id.n + 1 + sc->message.n + 1 + sc->created.n + 1 +
	    (sc->model.p != NULL ? sc->model.n + 1 : 0) +
	    sc->nparents * 15 + sc->up.n + 2 + sc->down.n + 2;
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
	rev->upgrade = revision_put_section(&at, &sc->up);
	rev->downgrade = revision_put_section(&at, &sc->down);
	rev->upgrade_line = sc->upline;
	rev->downgrade_line = sc->downline;
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
