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
#include <stdlib.h>
#include <string.h>

#include <sha2.h>

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
	free(rev->parent_revs);
	free(rev->children);
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

/* A section as parsed: trailing blank lines dropped, one final newline. */
static char *
revision_section(const char *start, size_t len)
{
	char	*s;

	while (len > 0 && isspace((unsigned char)start[len - 1]))
		len--;
	s = xmalloc(len + 2);
	memcpy(s, start, len);
	s[len] = '\n';
	s[len + (len > 0)] = '\0';
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

static int
revision_parse_parents(struct revision *rev, const char *value, char **cause)
{
	const char	*p = value, *start;
	char		*id;
	size_t		 i;

	if (strcmp(value, "none") == 0)
		return 0;
	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		for (start = p; *p != '\0' && *p != ' '; p++)
			;
		id = xstrndup(start, (size_t)(p - start));
		if (!revision_valid_id(id)) {
			*cause = xasprintf("'revises' names '%s', which is not "
			    "a revision id", id);
			free(id);
			return -1;
		}
		for (i = 0; i < rev->nparents; i++) {
			if (strcmp(rev->parents[i], id) == 0) {
				*cause = xasprintf("'revises' names '%s' twice",
				    id);
				free(id);
				return -1;
			}
		}
		rev->parents = xreallocarray(rev->parents, rev->nparents + 1,
		    sizeof *rev->parents);
		rev->parents[rev->nparents++] = id;
	}
	if (rev->nparents == 0) {
		*cause = xstrdup("'revises' is empty; write 'none' for a root");
		return -1;
	}
	return 0;
}

/* One "-- key: value" line of the header. */
static int
revision_header_line(struct revision *rev, const char *line, size_t len,
    int *seen_revises, char **cause)
{
	const char	*colon, *key;
	char		*value = NULL;
	size_t		 keylen, vlen;
	int		 ret = -1;

	if (len < 3 || strncmp(line, "-- ", 3) != 0 ||
	    (colon = memchr(line, ':', len)) == NULL) {
		*cause = xasprintf("header line '%.*s' is not '-- key: value'",
		    (int)(len > 60 ? 60 : len), line);
		return -1;
	}
	key = line + 3;
	keylen = (size_t)(colon - key);
	vlen = len - (size_t)(colon + 1 - line);
	value = xstrndup(colon + 1, vlen);
	/* Trim the value. */
	vlen = strlen(value);
	while (vlen > 0 && isspace((unsigned char)value[vlen - 1]))
		value[--vlen] = '\0';
	memmove(value, value + strspn(value, " \t"),
	    strlen(value + strspn(value, " \t")) + 1);

#define KEY(k) (keylen == strlen(k) && strncmp(key, k, keylen) == 0)
	if (KEY("id")) {
		if (rev->id != NULL) {
			*cause = xstrdup("'id' appears twice");
			goto out;
		}
		if (!revision_valid_id(value)) {
			*cause = xasprintf("id '%s' is not fourteen digits "
			    "(YYYYMMDDHHMMSS)", value);
			goto out;
		}
		rev->id = value;
		value = NULL;
	} else if (KEY("revises")) {
		if (*seen_revises) {
			*cause = xstrdup("'revises' appears twice");
			goto out;
		}
		*seen_revises = 1;
		if (revision_parse_parents(rev, value, cause) == -1)
			goto out;
	} else if (KEY("message")) {
		if (rev->message != NULL) {
			*cause = xstrdup("'message' appears twice");
			goto out;
		}
		rev->message = value;
		value = NULL;
	} else if (KEY("created")) {
		if (rev->created != NULL) {
			*cause = xstrdup("'created' appears twice");
			goto out;
		}
		rev->created = value;
		value = NULL;
	} else if (KEY("model")) {
		/* Files written before exodb recorded it have none. */
		if (rev->model != NULL) {
			*cause = xstrdup("'model' appears twice");
			goto out;
		}
		rev->model = value;
		value = NULL;
	} else if (KEY("destructive")) {
		rev->destructive = xreallocarray(rev->destructive,
		    rev->ndestructive + 1, sizeof *rev->destructive);
		rev->destructive[rev->ndestructive++] = value;
		value = NULL;
	} else if (KEY("data")) {
		rev->data = xreallocarray(rev->data, rev->ndata + 1,
		    sizeof *rev->data);
		rev->data[rev->ndata++] = value;
		value = NULL;
	} else {
		*cause = xasprintf("unknown header key '%.*s'",
		    (int)(keylen > 40 ? 40 : keylen), key);
		goto out;
	}
#undef KEY
	ret = 0;
out:
	free(value);
	return ret;
}

/*
 * Parse the text of revision file `file` (shown to the user as `path`). The
 * id in the header must match the file name's. On failure *cause names what
 * is wrong, without the path, which the caller adds.
 */
static int
revision_parse_text(struct revision *rev, const char *text, size_t len,
    char **cause)
{
	const char	*line = text, *nl, *end = text + len;
	const char	*up = NULL, *down = NULL;
	size_t		 linelen;
	unsigned	 lineno = 0, upline = 0, downline = 0;
	int		 in_header = 1, seen_revises = 0;

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
		if (revision_is_marker(line, linelen, REVISION_UP)) {
			if (up != NULL || down != NULL) {
				*cause = xasprintf("line %u: '" REVISION_UP
				    "' out of place", lineno);
				return -1;
			}
			up = nl < end ? nl + 1 : end;
			upline = lineno + 1;
			in_header = 0;
			continue;
		}
		if (revision_is_marker(line, linelen, REVISION_DOWN)) {
			if (up == NULL || down != NULL) {
				*cause = xasprintf("line %u: '" REVISION_DOWN
				    "' out of place", lineno);
				return -1;
			}
			rev->upgrade = revision_section(up, (size_t)(line - up));
			down = nl < end ? nl + 1 : end;
			downline = lineno + 1;
			continue;
		}
		if (!in_header)
			continue;
		if (linelen == 0) {
			in_header = 0;
			continue;
		}
		if (revision_header_line(rev, line, linelen, &seen_revises,
		    cause) == -1) {
			char	*c = *cause;

			*cause = xasprintf("line %u: %s", lineno, c);
			free(c);
			return -1;
		}
	}
	if (rev->id == NULL || !seen_revises || rev->message == NULL ||
	    rev->created == NULL) {
		*cause = xasprintf("header lacks '%s'", rev->id == NULL ? "id" :
		    !seen_revises ? "revises" : rev->message == NULL ?
		    "message" : "created");
		return -1;
	}
	if (down == NULL) {
		*cause = xstrdup(up == NULL ? "no '" REVISION_UP "' section" :
		    "no '" REVISION_DOWN "' section");
		return -1;
	}
	rev->downgrade = revision_section(down, (size_t)(end - down));
	rev->upgrade_line = upline;
	rev->downgrade_line = downline;
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
	struct revision	*rev;
	char		*why = NULL;

	*out = NULL;
	rev = xcalloc(1, sizeof *rev);
	rev->file = xstrdup(file);
	rev->path = xstrdup(path);
	if (revision_parse_text(rev, text, len, &why) == -1)
		goto fail;
	if (strncmp(file, rev->id, 14) != 0 || file[14] != '_') {
		why = xasprintf("header id %s does not match the file name",
		    rev->id);
		goto fail;
	}
	SHA256Data((const uint8_t *)text, len, rev->checksum);
	*out = rev;
	return 0;
fail:
	*cause = xasprintf("%s: malformed revision: %s", path, why);
	free(why);
	revision_free(rev);
	return -1;
}
