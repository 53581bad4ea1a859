/*
 * A second, independent Argon2: libsodium's. Checks the password on the
 * first line of standard input against the PHC string given as argument, so
 * that the tests can show a hash exodb wrote verifies outside libargon2.
 * Exit 0 when it matches, 1 when not, 2 on error. With --hash instead,
 * print libsodium's own Argon2id hash of that password (m=19456,t=2,p=1),
 * as an app that allows any length of password would store it.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
	char	line[8192], out[crypto_pwhash_STRBYTES];
	size_t	len;
	int	rc;

	if (argc != 2 || sodium_init() < 0) {
		fprintf(stderr, "usage: sodium-verify PHC | --hash < password\n");
		return 2;
	}
	if (fgets(line, sizeof line, stdin) == NULL)
		return 2;
	len = strcspn(line, "\n");
	if (strcmp(argv[1], "--hash") == 0) {
		rc = crypto_pwhash_str_alg(out, line, len, 2, 19456 * 1024,
		    crypto_pwhash_ALG_ARGON2ID13);
		sodium_memzero(line, sizeof line);
		if (rc != 0)
			return 2;
		puts(out);
		return 0;
	}
	rc = crypto_pwhash_str_verify(argv[1], line, len);
	sodium_memzero(line, sizeof line);
	return rc == 0 ? 0 : 1;
}
