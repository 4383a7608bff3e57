/* SPDX-License-Identifier: GPL-2.0 */
/* The machine as the user described it: flags and config-file keys. */
#ifndef VMM_CONFIG_CONFIG_H
#define VMM_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define VMM_VERSION "0.1.0"

enum on_reset { ON_RESET_REBOOT, ON_RESET_EXIT };

struct config {
	const char *kernel;
	const char *initrd;
	const char *append;
	uint64_t mem_size; /* bytes */
	unsigned int cpus;
	const char *serial;   /* "stdio", "file:PATH", "none" */
	unsigned int timeout; /* seconds, 0 = none */
	bool stats;
	enum on_reset on_reset;
	struct config_str *owned; /* values read from config files */
};

/* Defaults: 512 MiB, 1 vCPU, serial on stdio, reboot on reset. */
void config_defaults(struct config *c);
/*
 * Parse argv (and any --config FILE it names) into @c. Returns 0 to run,
 * 1 when --help or --version was printed, -1 after printing one error line
 * (the caller exits with VMM_EXIT_USAGE).
 */
int config_parse(struct config *c, int argc, char **argv);
/* Free what config files allocated. */
void config_free(struct config *c);
/* Parse one size such as 512M, 2G, 1048576 (bytes unless suffixed: M default). */
int config_parse_size(const char *s, uint64_t *out);

#endif
