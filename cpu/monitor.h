/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Monitor commands: one table of text commands ("stats", "regs",
 * "screendump FILE", ...) shared by every front end that takes them (gdb's
 * `monitor`, a control socket). A command registers itself, as a device does,
 * so a front end knows none of them by name.
 */
#ifndef VMM_CPU_MONITOR_H
#define VMM_CPU_MONITOR_H

#include <stdio.h>

struct vm;

struct monitor_cmd {
	const char *name;
	const char *help; /* one line: "screendump FILE  save the screen as BMP" */
	/*
	 * Run with the words after the name in @args ("" when none); write the
	 * answer as text to @out. 0, or -errno (the front end reports it).
	 * Runs on the calling front end's thread (the I/O thread for gdb).
	 */
	int (*run)(struct vm *vm, const char *args, FILE *out);
	struct monitor_cmd *next;
};

void monitor_register(struct monitor_cmd *cmd);

#define monitor_command(cmd)                                          \
	static void __attribute__((constructor)) cmd##_register(void) \
	{                                                             \
		monitor_register(&(cmd));                             \
	}

/*
 * Run one command line ("screendump /tmp/a.bmp"). Unknown commands and
 * "help" print the list of commands. 0 or -errno from the command; -ENOENT
 * for an unknown name.
 */
int monitor_exec(struct vm *vm, const char *line, FILE *out);

#endif
