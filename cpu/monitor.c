// SPDX-License-Identifier: GPL-2.0
/* The monitor command table (see monitor.h). */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "cpu/monitor.h"

static struct monitor_cmd *cmds;

void monitor_register(struct monitor_cmd *cmd)
{
	struct monitor_cmd **p = &cmds;

	/* Sorted by name, so "help" lists them in a stable order. */
	while (*p && strcmp((*p)->name, cmd->name) < 0)
		p = &(*p)->next;
	cmd->next = *p;
	*p = cmd;
}

static void monitor_help(FILE *out)
{
	fprintf(out, "commands:\n");
	for (struct monitor_cmd *c = cmds; c; c = c->next)
		fprintf(out, "  %s\n", c->help);
}

int monitor_exec(struct vm *vm, const char *line, FILE *out)
{
	size_t n;

	while (isspace((unsigned char)*line))
		line++;
	n = strcspn(line, " \t\r\n");
	if (n == 0 || (n == 4 && !strncmp(line, "help", 4))) {
		monitor_help(out);
		return 0;
	}
	for (struct monitor_cmd *c = cmds; c; c = c->next) {
		if (strlen(c->name) != n || strncmp(c->name, line, n))
			continue;
		line += n;
		while (isspace((unsigned char)*line))
			line++;
		return c->run(vm, line, out);
	}
	fprintf(out, "unknown command '%.*s'\n", (int)n, line);
	monitor_help(out);
	return -ENOENT;
}
