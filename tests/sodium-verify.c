/*
 * A second, independent Argon2: libsodium's. Checks the password on the
 * first line of standard input against the PHC string given as argument, so
 * that the tests can show a hash exodb wrote verifies outside libargon2.
 * Exit 0 when it matches, 1 when not, 2 on error.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
	char	line[1024];
	size_t	len;
	int	rc;

	if (argc != 2 || sodium_init() < 0) {
		fprintf(stderr, "usage: sodium-verify PHC < password\n");
		return 2;
	}
	if (fgets(line, sizeof line, stdin) == NULL)
		return 2;
	len = strcspn(line, "\n");
	rc = crypto_pwhash_str_verify(argv[1], line, len);
	sodium_memzero(line, sizeof line);
	return rc == 0 ? 0 : 1;
}
