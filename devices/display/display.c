// SPDX-License-Identifier: GPL-2.0
/* --display: which front end runs on the main thread. */
#include <stdio.h>
#include <stdlib.h>

#include "config/status.h"
#include "devices/display/display.h"
#include "devices/vga.h"

static bool sdl_running;

int display_init(struct vm *vm)
{
	enum display_kind k = vm->cfg->display;

	if (k == DISPLAY_NONE || !vga_present())
		return 0;
	if (k == DISPLAY_AUTO && !getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY"))
		return 0;
	/* The default falls back to headless quietly; an explicit sdl must work. */
	if (sdl_display_start(vm, k == DISPLAY_AUTO) == 0) {
		sdl_running = true;
		return 0;
	}
	return k == DISPLAY_SDL ? VMM_EXIT_HOST_ERROR : 0;
}

enum vm_event display_wait_event(struct vm *vm)
{
	return sdl_running ? sdl_display_run(vm) : vm_wait_event(vm);
}

void display_fini(void)
{
	if (sdl_running)
		sdl_display_stop();
	sdl_running = false;
}
