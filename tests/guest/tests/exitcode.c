// SPDX-License-Identifier: GPL-2.0
/* Exit through the debug-exit port with code=N from the command line. */
#include "kit.h"

void kit_main(void)
{
	long code = kit_cmdline_long("code", -1);

	if (code < 0 || code > 255)
		kit_fail("need code=N (0..255) on the command line, got \"%s\"", kit_cmdline());
	kit_printf("KIT: exit code %ld\n", code);
	kit_exit(code);
}
