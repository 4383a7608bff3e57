/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The display front end (--display): none, or an SDL2 window on the main
 * thread (devices/display/sdl.c). The main thread waits for machine events
 * through display_wait_event(), which runs the window meanwhile.
 */
#ifndef VMM_DEVICES_DISPLAY_DISPLAY_H
#define VMM_DEVICES_DISPLAY_DISPLAY_H

#include "cpu/vm.h"

/*
 * After devices_init(): open the window if --display asks for it (or, by
 * default, when there is a $DISPLAY/$WAYLAND_DISPLAY and SDL starts).
 * 0, or a vmm exit status after an error line (--display sdl that cannot
 * start).
 */
int display_init(struct vm *vm);
/* Main thread: the next machine event; the window stays live meanwhile. */
enum vm_event display_wait_event(struct vm *vm);
/* Close the window (after the machine stopped). */
void display_fini(void);

/* The SDL front end (sdl.c). */
int sdl_display_start(struct vm *vm, bool quiet);
enum vm_event sdl_display_run(struct vm *vm);
void sdl_display_stop(void);

#endif
