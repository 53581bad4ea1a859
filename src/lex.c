/*
 * A tokenizer for SQLite's dialect of SQL, for what no SQLite API reports:
 * reading CHECK constraints, AUTOINCREMENT and a partial index's WHERE out of
 * CREATE texts, comparing expressions without regard to spacing or the case
 * of keywords, and telling whether a text names an identifier. (Revisions
 * are split into statements by SQLite itself, in migrate.c.)
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exodb.h"

static int
lex_is_word_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

static int
lex_is_word(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

void
lex_init(struct lex *lx, const char *text, size_t len, unsigned line)
{
	lx->p = text;
	lx->end = text + len;
	lx->line = line;
}

/* Advance over a quoted token whose quote doubles to escape itself. */
static enum lex_token
lex_quoted(struct lex *lx, char close, enum lex_token type)
{
	const char	*p = lx->p + 1;

	for (; p < lx->end; p++) {
		if (*p == '\n')
			lx->line++;
		if (*p != close)
			continue;
		if (close != ']' && p + 1 < lx->end && p[1] == close) {
			p++;
			continue;
		}
		lx->p = p + 1;
		return type;
	}
	lx->p = lx->end;
	return LEX_UNTERMINATED;
}

/*
 * Return the next token, spaces and comments included, and point *start and
 * *len at its text. The line counter moves past the token.
 */
enum lex_token
lex_next(struct lex *lx, const char **start, size_t *len)
{
	const char		*p = lx->p;
	enum lex_token		 t;
	unsigned char		 c;

	*start = p;
	*len = 0;
	if (p >= lx->end)
		return LEX_EOF;
	c = (unsigned char)*p;
	if (isspace(c)) {
		for (; p < lx->end && isspace((unsigned char)*p); p++) {
			if (*p == '\n')
				lx->line++;
		}
		lx->p = p;
		t = LEX_SPACE;
	} else if (c == '-' && p + 1 < lx->end && p[1] == '-') {
		while (p < lx->end && *p != '\n')
			p++;
		lx->p = p;
		t = LEX_COMMENT;
	} else if (c == '/' && p + 1 < lx->end && p[1] == '*') {
		for (p += 2; p < lx->end; p++) {
			if (*p == '\n')
				lx->line++;
			if (*p == '*' && p + 1 < lx->end && p[1] == '/')
				break;
		}
		lx->p = p < lx->end ? p + 2 : lx->end;
		t = p < lx->end ? LEX_COMMENT : LEX_UNTERMINATED;
	} else if (c == '\'')
		t = lex_quoted(lx, '\'', LEX_STRING);
	else if (c == '"')
		t = lex_quoted(lx, '"', LEX_IDENT);
	else if (c == '`')
		t = lex_quoted(lx, '`', LEX_IDENT);
	else if (c == '[')
		t = lex_quoted(lx, ']', LEX_IDENT);
	else if ((c == 'x' || c == 'X') && p + 1 < lx->end && p[1] == '\'') {
		lx->p++;
		t = lex_quoted(lx, '\'', LEX_BLOB);
	} else if (isdigit(c) || (c == '.' && p + 1 < lx->end &&
	    isdigit((unsigned char)p[1]))) {
		for (p++; p < lx->end; p++) {
			if ((*p == '+' || *p == '-') &&
			    (p[-1] == 'e' || p[-1] == 'E') &&
			    !(p - 2 >= *start && (p[-2] == 'x' || p[-2] == 'X')))
				continue;
			if (!isalnum((unsigned char)*p) && *p != '.' &&
			    *p != '_')
				break;
		}
		lx->p = p;
		t = LEX_NUMBER;
	} else if (lex_is_word_start(c)) {
		while (p < lx->end && lex_is_word((unsigned char)*p))
			p++;
		lx->p = p;
		t = LEX_WORD;
	} else if (c == '?' || c == ':' || c == '@' || c == '$') {
		for (p++; p < lx->end && lex_is_word((unsigned char)*p); p++)
			;
		lx->p = p;
		t = LEX_VARIABLE;
	} else {
		lx->p = p + 1;
		switch (c) {
		case '(':
			t = LEX_LPAREN;
			break;
		case ')':
			t = LEX_RPAREN;
			break;
		case ',':
			t = LEX_COMMA;
			break;
		case ';':
			t = LEX_SEMI;
			break;
		default:
			/* Two- and three-character operators. */
			if (p + 1 < lx->end && strchr("|<>=!-", c) != NULL &&
			    strchr("|<>=", p[1]) != NULL)
				lx->p = p + 2;
			if (c == '-' && p + 1 < lx->end && p[1] == '>')
				lx->p = p + 2 + (p + 2 < lx->end && p[2] == '>');
			t = LEX_OPERATOR;
			break;
		}
	}
	*len = (size_t)(lx->p - *start);
	return t;
}

/* The next token that is neither space nor comment. */
enum lex_token
lex_next_token(struct lex *lx, const char **start, size_t *len)
{
	enum lex_token	t;

	do
		t = lex_next(lx, start, len);
	while (t == LEX_SPACE || t == LEX_COMMENT);
	return t;
}

/* Whether a token's text is the keyword kw, without regard to case. */
int
lex_word_is(const char *tok, size_t len, const char *kw)
{
	return strlen(kw) == len && strncasecmp(tok, kw, len) == 0;
}

/* An identifier token without its quotes. The caller frees the result. */
char *
lex_unquote(const char *tok, size_t len)
{
	char	*out, *q, close;
	size_t	 i;

	if (len < 2 || strchr("\"`[", tok[0]) == NULL)
		return xstrndup(tok, len);
	close = tok[0] == '[' ? ']' : tok[0];
	out = q = xmalloc(len);
	for (i = 1; i + 1 < len; i++) {
		*q++ = tok[i];
		if (tok[i] == close && close != ']' && tok[i + 1] == close)
			i++;
	}
	*q = '\0';
	return out;
}

/*
 * The canonical text of an expression or statement, for comparison: one space
 * between tokens (none inside parentheses or before a comma), comments dropped,
 * keywords and identifiers folded to lower case and unquoted, literals kept as
 * written. The caller frees the result.
 */
char *
lex_normalize(const char *sql)
{
	struct lex	 lx;
	sqlite3_str	*out;
	const char	*tok;
	size_t		 len, i;
	enum lex_token	 t, prev = LEX_LPAREN;
	char		*name;

	out = sqlite3_str_new(NULL);
	lex_init(&lx, sql, strlen(sql), 1);
	while ((t = lex_next_token(&lx, &tok, &len)) != LEX_EOF) {
		if (prev != LEX_LPAREN && t != LEX_RPAREN && t != LEX_COMMA)
			sqlite3_str_appendchar(out, 1, ' ');
		if (t == LEX_WORD || t == LEX_IDENT) {
			name = lex_unquote(tok, len);
			for (i = 0; name[i] != '\0'; i++)
				name[i] = (char)tolower((unsigned char)name[i]);
			sqlite3_str_appendall(out, name);
			free(name);
		} else
			sqlite3_str_append(out, tok, (int)len);
		prev = t;
	}
	return xstr_finish(out);
}

/*
 * Whether an expression is a literal: a number (signed or not), a string, a
 * blob, NULL, TRUE, FALSE or CURRENT_TIME/DATE/TIMESTAMP. A DEFAULT that is
 * not one needs parentheses: SQLite's pragmas report "DEFAULT (0)" as "0" and
 * "DEFAULT (1 + 1)" as "1 + 1".
 */
int
lex_is_literal(const char *expr)
{
	struct lex	 lx;
	const char	*tok;
	size_t		 len;
	enum lex_token	 t;
	int		 n = 0, sign = 0;

	lex_init(&lx, expr, strlen(expr), 1);
	while ((t = lex_next_token(&lx, &tok, &len)) != LEX_EOF) {
		n++;
		if (n == 1 && t == LEX_OPERATOR && len == 1 &&
		    (*tok == '-' || *tok == '+')) {
			sign = 1;
			continue;
		}
		if (n > 1 + sign)
			return 0;
		if (t == LEX_NUMBER)
			continue;
		if (sign)
			return 0;
		if (t == LEX_STRING || t == LEX_BLOB)
			continue;
		if (t == LEX_WORD && (lex_word_is(tok, len, "NULL") ||
		    lex_word_is(tok, len, "TRUE") ||
		    lex_word_is(tok, len, "FALSE") ||
		    lex_word_is(tok, len, "CURRENT_TIME") ||
		    lex_word_is(tok, len, "CURRENT_DATE") ||
		    lex_word_is(tok, len, "CURRENT_TIMESTAMP")))
			continue;
		return 0;
	}
	return n > 0;
}

/* Whether the SQL text names the identifier, quoted or not, in any case. */
int
lex_mentions(const char *sql, const char *name)
{
	struct lex	 lx;
	const char	*tok;
	size_t		 len;
	enum lex_token	 t;
	char		*id;
	int		 found = 0;

	lex_init(&lx, sql, strlen(sql), 1);
	while (!found && (t = lex_next_token(&lx, &tok, &len)) != LEX_EOF) {
		if (t == LEX_WORD)
			found = lex_word_is(tok, len, name);
		else if (t == LEX_IDENT || t == LEX_STRING) {
			/* SQLite reads 'x' as an identifier where one is due. */
			id = t == LEX_STRING ? xstrndup(tok + 1, len - 2) :
			    lex_unquote(tok, len);
			found = strcasecmp(id, name) == 0;
			free(id);
		}
	}
	return found;
}
