// SPDX-License-Identifier: GPL-2.0
/*
 * The command line and config files: the input is split at NUL bytes into
 * argv words, and also written to a file given as --config. Any input must
 * end in a parse result or one error, never a crash or a leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"

#define MAX_WORDS 64

static char conf_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	snprintf(conf_path, sizeof(conf_path), "/tmp/vmm-fuzz-config.%d", getpid());
	return 0;
}

static void parse(char **argv, int argc)
{
	struct config c;

	config_defaults(&c);
	config_parse(&c, argc, argv);
	config_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_WORDS + 1] = { "vmm" };
	int argc = 1;
	FILE *f;

	memcpy(buf, data, size);
	buf[size] = '\0';
	for (char *p = buf; p < buf + size && argc < MAX_WORDS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	parse(argv, argc);

	/* The same bytes as a config file. */
	f = fopen(conf_path, "w");
	if (f) {
		fwrite(data, 1, size, f);
		fclose(f);
		argv[1] = "--config";
		argv[2] = conf_path;
		argv[3] = NULL;
		parse(argv, 3);
	}
	free(buf);
	return 0;
}
