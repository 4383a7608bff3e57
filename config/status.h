/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmm's exit status: an API for CI scripts. The README has the same table.
 *
 * A guest that writes v to the debug-exit port (0xf4) makes vmm exit with
 * (v << 1) | 1, as QEMU's isa-debug-exit does, so every odd status may come
 * from the guest. vmm's own codes are therefore even, except the host error
 * (1), which is the universal "the program failed" code.
 */
#ifndef VMM_CONFIG_STATUS_H
#define VMM_CONFIG_STATUS_H

enum vmm_status {
	VMM_EXIT_POWEROFF = 0,	    /* guest powered off (ACPI S5), or Ctrl-A x */
	VMM_EXIT_HOST_ERROR = 1,    /* vmm failed: KVM, memory, I/O on the host */
	VMM_EXIT_USAGE = 2,	    /* bad command line or config file */
	VMM_EXIT_RESET = 4,	    /* guest asked for a reset and --on-reset exit */
	VMM_EXIT_GDB_KILL = 6,	    /* gdb's kill command */
	VMM_EXIT_CRASH = 8,	    /* triple fault, KVM internal error, failed entry */
	VMM_EXIT_TIMEOUT = 124,	    /* --timeout expired (as timeout(1) does) */
	VMM_EXIT_SIGNAL_BASE = 128, /* killed by SIGINT/SIGTERM/SIGHUP: 128 + signo */
};

#endif
