/*
 * The PHC parser and the cost setting. Input "c:TEXT" is a cost setting:
 * accepted only within OWASP's floor and the ceiling. Anything else is a
 * stored hash: parsed or refused with a cause, never read out of bounds;
 * once parsed, whether it needs a rehash can always be told; refused, what
 * it looks like can.
 */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct password_params	 pp;
	struct password_cost	 cost;
	char			*text, *cause = NULL;

	text = fuzz_string(data, size);
	if (size >= 2 && text[0] == 'c' && text[1] == ':') {
		if (password_parse_cost(text + 2, &cost, &cause) == 0) {
			FUZZ_ASSERT(cost.m >= password_floor.m &&
			    cost.t >= password_floor.t &&
			    cost.p >= password_floor.p, "below the floor: %s",
			    text + 2);
			FUZZ_ASSERT(cost.m <= 4194304 && cost.t <= 1024 &&
			    cost.p <= 255, "above the ceiling: %s", text + 2);
		} else
			FUZZ_ASSERT(cause != NULL && *cause != '\0', "no cause");
	} else if (password_params(text, &pp, &cause) == 0) {
		FUZZ_ASSERT(pp.saltlen <= size && pp.taglen <= size,
		    "lengths %zu %zu from %zu bytes", pp.saltlen, pp.taglen,
		    size);
		(void)password_needs_rehash(text, &password_floor);
	} else {
		FUZZ_ASSERT(cause != NULL && *cause != '\0', "no cause");
		/* What it looks like can be told, unless it looks like Argon2. */
		FUZZ_ASSERT(strncmp(text, "$argon2", 7) == 0 ||
		    password_scheme(text) != NULL, "no scheme for a refused hash");
	}
	free(cause);
	free(text);
	return 0;
}
