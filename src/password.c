/*
 * Password hashes: Argon2id through libargon2, stored as PHC strings such as
 * $argon2id$v=19$m=65536,t=3,p=4$<salt>$<tag>, which argon2-cffi (what the
 * Flask app verifies with) reads as they are. This is the only file that
 * calls libargon2.
 */
#include <sys/random.h>

#include <argon2.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exodb.h"

/* RFC 9106's second recommended profile, argon2-cffi's default too. */
const struct password_cost password_default = { 65536, 3, 4 };

/* OWASP's lowest Argon2id setting: anything weaker is refused. */
const struct password_cost password_floor = { 19456, 2, 1 };

/*
 * The most a setting or a stored hash may ask for, so that a stray value
 * cannot make exodb allocate or spin without end: 4 GiB, 1024 passes, 255
 * lanes.
 */
static const struct password_cost password_ceiling = { 4194304, 1024, 255 };

static const struct {
	const char	*name;
	argon2_type	 type;
} password_types[] = {
	{ "argon2id", Argon2_id },
	{ "argon2i", Argon2_i },
	{ "argon2d", Argon2_d },
};
#define PASSWORD_NTYPES (sizeof password_types / sizeof password_types[0])

/*
 * Read an unsigned decimal number of at most 10 digits, without leading
 * zeros, at *s; advance *s past it. Returns -1 if there is none.
 */
static int
password_number(const char **s, unsigned long long *n)
{
	const char	*p = *s;
	size_t		 len;

	len = strspn(p, "0123456789");
	if (len == 0 || len > 10 || (p[0] == '0' && len > 1))
		return -1;
	*n = strtoull(p, NULL, 10);
	*s = p + len;
	return 0;
}

/* Read "m=M,t=T,p=P" at *s, advancing *s; -1 if it is not that. */
static int
password_scan_cost(const char **s, struct password_cost *cost)
{
	static const char	 keys[] = "mtp";
	unsigned long long	 v[3];
	const char		*p = *s;
	size_t			 i;

	for (i = 0; i < 3; i++) {
		if (i > 0 && *p++ != ',')
			return -1;
		if (p[0] != keys[i] || p[1] != '=')
			return -1;
		p += 2;
		if (password_number(&p, &v[i]) == -1 || v[i] > 0xffffffffULL)
			return -1;
	}
	cost->m = (unsigned)v[0];
	cost->t = (unsigned)v[1];
	cost->p = (unsigned)v[2];
	*s = p;
	return 0;
}

/* The first of m, t and p above the ceiling, or NULL. */
static const char *
password_too_high(const struct password_cost *cost)
{
	if (cost->m > password_ceiling.m)
		return "m";
	if (cost->t > password_ceiling.t)
		return "t";
	if (cost->p > password_ceiling.p)
		return "p";
	return NULL;
}

/*
 * Parse a cost setting, "m=KIB,t=PASSES,p=LANES", and check it is no weaker
 * than OWASP's floor in any of the three and no higher than the ceiling.
 */
int
password_parse_cost(const char *text, struct password_cost *cost, char **cause)
{
	const char	*p = text, *which;

	if (password_scan_cost(&p, cost) == -1 || *p != '\0') {
		*cause = xasprintf("%s: expected m=KIB,t=PASSES,p=LANES, such as "
		    "m=%u,t=%u,p=%u", PASSWORD_COST_ENV, password_floor.m,
		    password_floor.t, password_floor.p);
		return -1;
	}
	if (cost->m < password_floor.m || cost->t < password_floor.t ||
	    cost->p < password_floor.p) {
		*cause = xasprintf("%s: m=%u,t=%u,p=%u is below OWASP's floor "
		    "(m=%u,t=%u,p=%u); refused", PASSWORD_COST_ENV, cost->m,
		    cost->t, cost->p, password_floor.m, password_floor.t,
		    password_floor.p);
		return -1;
	}
	if ((which = password_too_high(cost)) != NULL) {
		*cause = xasprintf("%s: %s is above the most exodb allows "
		    "(m=%u,t=%u,p=%u)", PASSWORD_COST_ENV, which,
		    password_ceiling.m, password_ceiling.t, password_ceiling.p);
		return -1;
	}
	return 0;
}

/* The cost new hashes get: $EXODB_ARGON2_COST when set, else the default. */
int
password_cost(struct password_cost *cost, char **cause)
{
	const char	*env = getenv(PASSWORD_COST_ENV);

	if (env == NULL || *env == '\0') {
		*cost = password_default;
		return 0;
	}
	return password_parse_cost(env, cost, cause);
}

/*
 * The decoded length of a run of unpadded standard base64 at *s, which is
 * advanced past it; -1 when there is none or its length is impossible.
 */
static int
password_b64(const char **s, size_t *len)
{
	static const char	 alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t			 n;

	n = strspn(*s, alphabet);
	if (n == 0 || n % 4 == 1)
		return -1;
	*len = n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
	*s += n;
	return 0;
}

/*
 * Parse a stored PHC string: its type, version, cost and the lengths of its
 * salt and tag. Only version 19 (0x13) is read; nothing beyond the ceiling.
 */
static int
password_parse(const char *phc, struct password_params *pp, argon2_type *type,
    char **cause)
{
	const char		*p = phc;
	unsigned long long	 version;
	size_t			 i, n = 0;

	memset(pp, 0, sizeof *pp);
	if (*p++ != '$')
		goto bad;
	for (i = 0; i < PASSWORD_NTYPES; i++) {
		n = strlen(password_types[i].name);
		if (strncmp(p, password_types[i].name, n) == 0 && p[n] == '$')
			break;
	}
	if (i == PASSWORD_NTYPES)
		goto bad;
	*type = password_types[i].type;
	pp->argon2id = *type == Argon2_id;
	p += n + 1;
	if (strncmp(p, "v=", 2) != 0)
		goto bad;
	p += 2;
	if (password_number(&p, &version) == -1 || *p++ != '$')
		goto bad;
	if (version != ARGON2_VERSION_13) {
		*cause = xasprintf("stored hash is of Argon2 version %llu; only "
		    "19 is read", version);
		return -1;
	}
	pp->version = (unsigned)version;
	if (password_scan_cost(&p, &pp->cost) == -1 || *p++ != '$' ||
	    password_b64(&p, &pp->saltlen) == -1 || *p++ != '$' ||
	    password_b64(&p, &pp->taglen) == -1 || *p != '\0')
		goto bad;
	if (password_too_high(&pp->cost) != NULL) {
		*cause = xasprintf("stored hash asks for more than exodb allows "
		    "(m=%u,t=%u,p=%u)", password_ceiling.m, password_ceiling.t,
		    password_ceiling.p);
		return -1;
	}
	return 0;
bad:
	*cause = xstrdup("stored hash is not an Argon2 PHC string");
	return -1;
}

int
password_params(const char *phc, struct password_params *pp, char **cause)
{
	argon2_type	type;

	return password_parse(phc, pp, &type, cause);
}

/* Fill buf with len bytes from the kernel's random source. */
static int
password_random(void *buf, size_t len, char **cause)
{
	unsigned char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = getrandom(p, len, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			*cause = xasprintf("cannot make a salt: getrandom: %s",
			    strerror(errno));
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Hash a password with Argon2id at the given cost and a fresh random salt.
 * On success *phc is the PHC string, which the caller frees.
 */
int
password_hash(const char *pwd, size_t pwdlen, const struct password_cost *cost,
    char **phc, char **cause)
{
	unsigned char	 salt[PASSWORD_SALT_LEN];
	size_t		 len;
	char		*out;
	int		 rc;

	*phc = NULL;
	if (password_random(salt, sizeof salt, cause) == -1)
		return -1;
	len = argon2_encodedlen(cost->t, cost->m, cost->p, sizeof salt,
	    PASSWORD_TAG_LEN, Argon2_id);
	out = xmalloc(len);
	rc = argon2_hash(cost->t, cost->m, cost->p, pwd, pwdlen, salt,
	    sizeof salt, NULL, PASSWORD_TAG_LEN, out, len, Argon2_id,
	    ARGON2_VERSION_13);
	if (rc != ARGON2_OK) {
		free(out);
		*cause = xasprintf("cannot hash the password: %s",
		    argon2_error_message(rc));
		return -1;
	}
	*phc = out;
	return 0;
}

/*
 * Check a password against a stored PHC string: 0 with *match set, or -1
 * when the string cannot be read or the check cannot run.
 */
int
password_verify(const char *phc, const char *pwd, size_t pwdlen, int *match,
    char **cause)
{
	struct password_params	 pp;
	argon2_type		 type;
	int			 rc;

	*match = 0;
	if (password_parse(phc, &pp, &type, cause) == -1)
		return -1;
	rc = argon2_verify(phc, pwd, pwdlen, type);
	if (rc == ARGON2_OK)
		*match = 1;
	else if (rc != ARGON2_VERIFY_MISMATCH) {
		*cause = xasprintf("cannot check the password: %s",
		    argon2_error_message(rc));
		return -1;
	}
	return 0;
}

/*
 * Whether a stored hash is weaker than what exodb would write now at cost,
 * so that a match should replace it. A different variant (Argon2i or
 * Argon2d), a salt shorter than 16 bytes or a tag shorter than 32 is weak
 * whatever its cost. Otherwise the hash is replaced only when it is weaker
 * in every respect: m, t and p each no higher than cost's and one of them
 * lower. A hash that is stronger in one (argon2-cffi's old default
 * m=102400,t=2,p=8 against m=65536,t=3,p=4) is kept, or exodb and the app
 * would replace each other's hashes at every login. A string that cannot
 * be read needs replacing too.
 */
int
password_needs_rehash(const char *phc, const struct password_cost *cost)
{
	struct password_params	 pp;
	const struct password_cost *c = &pp.cost;
	char			*cause = NULL;

	if (password_params(phc, &pp, &cause) == -1) {
		free(cause);
		return 1;
	}
	if (!pp.argon2id || pp.saltlen < PASSWORD_SALT_LEN ||
	    pp.taglen < PASSWORD_TAG_LEN)
		return 1;
	if (c->m > cost->m || c->t > cost->t || c->p > cost->p)
		return 0;
	return c->m < cost->m || c->t < cost->t || c->p < cost->p;
}

/*
 * What a stored hash that is not an Argon2 PHC string looks like, for a
 * message: "werkzeug pbkdf2", "bcrypt", "a placeholder"..., or NULL when
 * it starts as an Argon2 PHC string does (whether or not the rest reads).
 */
const char *
password_scheme(const char *hash)
{
	static const struct {
		const char	*prefix;
		const char	*name;
	} schemes[] = {
		{ "$argon2", NULL },
		{ "pbkdf2:", "werkzeug pbkdf2" },
		{ "scrypt:", "werkzeug scrypt" },
		{ "sha256$", "werkzeug sha256" },
		{ "sha1$", "werkzeug sha1" },
		{ "md5$", "werkzeug md5" },
		{ "$2a$", "bcrypt" },
		{ "$2b$", "bcrypt" },
		{ "$2y$", "bcrypt" },
		{ "$pbkdf2", "passlib pbkdf2" },
		{ "$scrypt$", "passlib scrypt" },
		{ "pbkdf2_sha256$", "django pbkdf2" },
		{ "argon2$", "django argon2" },
		{ "bcrypt$", "django bcrypt" },
		{ "$7$", "scrypt" },
		{ "$6$", "sha512-crypt" },
		{ "$5$", "sha256-crypt" },
		{ "$1$", "md5-crypt" },
	};
	size_t	i;

	for (i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
		if (strncmp(hash, schemes[i].prefix,
		    strlen(schemes[i].prefix)) == 0)
			return schemes[i].name;
	}
	if (*hash == '\0')
		return "an empty string";
	/* "!", "*", "x", "disabled": what is put where no login is meant. */
	if (strlen(hash) < 16 || strchr(hash, '$') == NULL)
		return "a placeholder";
	return "an unknown format";
}
