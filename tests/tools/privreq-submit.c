/*
 * privreq-submit — the programs' side of the privileged helper's queue,
 * for the end-to-end tests, on the instance of CONNECTOR_ROOT:
 *
 *   privreq-submit ACTION [FILE]   stage a request; print its id
 *   privreq-submit --result ID     print outcome, action and message
 *
 * Exit status: 0, 1 when refused or not answered yet, 2 on wrong usage.
 */
#include <stdio.h>
#include <string.h>

#include "../../lib/base.h"
#include "../../lib/privreq.h"

int
main(int argc, char **argv)
{
	char id[PRIVREQ_ID_LEN + 1];
	struct privreq_result r;
	int rc;

	if (paths_init() != 0)
		return 2;
	if (argc == 3 && strcmp(argv[1], "--result") == 0) {
		if ((rc = privreq_result(argv[2], &r)) != 0) {
			printf("none %d\n", rc);
			return 1;
		}
		printf("%s\n%s\n%s\n", privreq_outcome_name(r.outcome), r.action,
		    r.message);
		return 0;
	}
	if (argc < 2 || argc > 3 || argv[1][0] == '-')
		return 2;
	if ((rc = privreq_submit(argv[1], NULL, argc == 3 ? argv[2] : NULL,
	    id)) != 0) {
		printf("refused %d\n", rc);
		return 1;
	}
	printf("%s\n", id);
	return 0;
}
