// SPDX-License-Identifier: GPL-2.0
/*
 * The SDL2 window: the VGA screen, keyboard and mouse, on the main thread
 * (SDL wants its video calls there).
 *
 * About 60 times a second it asks the VGA for what changed (KVM's dirty
 * log: an idle screen uploads nothing) and uploads those rows into a
 * streaming texture; the renderer scales it to the window, keeping the
 * aspect ratio. A mode change resizes the window. Keys go to the PS/2
 * keyboard by position (SDL scancodes, which are USB HID usages), so the
 * guest's layout applies, as on hardware; key repeat is left out. The
 * mouse goes to the PS/2 mouse as relative motion while it is over the
 * window; a click grabs it (hidden, confined), Ctrl-Alt-G lets it go.
 * Ctrl-Alt-F toggles full screen. Closing the window presses the ACPI power
 * button; a guest that listens shuts down and vmm exits 0.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL2/SDL.h>

#include "cpu/gdbstub.h"
#include "devices/acpi_pm.h"
#include "devices/display/display.h"
#include "devices/display/keymap.h"
#include "devices/i8042.h"
#include "devices/vga.h"

#define REFRESH_MS	16  /* ~60 Hz */
#define CURSOR_BLINK_MS 267 /* VGA: 16 frames on, 16 off at 60 Hz */
#define MAX_KEYS	SDL_NUM_SCANCODES

struct sdl_display {
	struct vm *vm;
	SDL_Window *win;
	SDL_Renderer *ren;
	SDL_Texture *tex;
	unsigned int tex_w, tex_h;
	struct vga_frame frame;
	char name[128];
	bool grabbed, fullscreen;
	bool paused; /* gdb holds the machine: the title says so */
	unsigned int buttons;
	bool down[MAX_KEYS]; /* keys the guest saw go down */
	Uint32 last_refresh;
};

static struct sdl_display sd;

static void update_title(struct sdl_display *d)
{
	char title[256];

	snprintf(title, sizeof(title), "vmm: %s%s%s", d->name, d->paused ? " - paused (gdb)" : "",
		 d->grabbed ? " - input grabbed, Ctrl-Alt-G releases" : "");
	SDL_SetWindowTitle(d->win, title);
}

static void set_grab(struct sdl_display *d, bool on)
{
	if (d->grabbed == on)
		return;
	d->grabbed = on;
	SDL_SetRelativeMouseMode(on ? SDL_TRUE : SDL_FALSE);
	SDL_SetWindowGrab(d->win, on ? SDL_TRUE : SDL_FALSE);
	update_title(d);
}

/* A new screen size: a texture to match, and the window follows (unless full screen). */
static int resize(struct sdl_display *d, unsigned int w, unsigned int h)
{
	if (d->tex)
		SDL_DestroyTexture(d->tex);
	d->tex = SDL_CreateTexture(d->ren, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STREAMING, w,
				   h);
	if (!d->tex)
		return -1;
	d->tex_w = w;
	d->tex_h = h;
	SDL_RenderSetLogicalSize(d->ren, w, h);
	if (!d->fullscreen)
		SDL_SetWindowSize(d->win, w, h);
	return 0;
}

static void present(struct sdl_display *d)
{
	SDL_SetRenderDrawColor(d->ren, 0, 0, 0, 255);
	SDL_RenderClear(d->ren);
	SDL_RenderCopy(d->ren, d->tex, NULL, NULL);
	SDL_RenderPresent(d->ren);
}

static void refresh(struct sdl_display *d, bool force)
{
	bool cursor = (SDL_GetTicks() / CURSOR_BLINK_MS) % 2 == 0;
	unsigned int y0, y1;

	if (vga_render(&d->frame, true, cursor, &y0, &y1))
		return;
	if (d->frame.width != d->tex_w || d->frame.height != d->tex_h) {
		if (resize(d, d->frame.width, d->frame.height))
			return;
		y0 = 0;
		y1 = d->frame.height;
	}
	if (y1 > y0) {
		SDL_Rect r = { 0, (int)y0, (int)d->frame.width, (int)(y1 - y0) };

		SDL_UpdateTexture(d->tex, &r, d->frame.pixels + (size_t)y0 * d->frame.width,
				  d->frame.width * 4);
	}
	if (y1 > y0 || force)
		present(d);
}

static void key_event(struct sdl_display *d, const SDL_KeyboardEvent *k)
{
	SDL_Scancode sc = k->keysym.scancode;
	bool down = k->type == SDL_KEYDOWN;
	unsigned int code;

	if (k->repeat || sc >= MAX_KEYS)
		return;
	if (down && (SDL_GetModState() & KMOD_CTRL) && (SDL_GetModState() & KMOD_ALT)) {
		if (sc == SDL_SCANCODE_G) {
			set_grab(d, false);
			return;
		}
		if (sc == SDL_SCANCODE_F) {
			d->fullscreen = !d->fullscreen;
			SDL_SetWindowFullscreen(d->win,
						d->fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
			return;
		}
	}
	/* A break only for a key the guest saw go down (not the hotkeys' letters). */
	if (!down && !d->down[sc])
		return;
	code = keymap_hid_to_set2(sc);
	if (!code)
		return;
	d->down[sc] = down;
	i8042_kbd_key(code, down);
}

/* Focus gone: let go of every key, or the guest would see it held forever. */
static void release_keys(struct sdl_display *d)
{
	for (unsigned int sc = 0; sc < MAX_KEYS; sc++) {
		if (d->down[sc]) {
			d->down[sc] = false;
			i8042_kbd_key(keymap_hid_to_set2(sc), false);
		}
	}
}

static unsigned int button_bit(Uint8 b)
{
	switch (b) {
	case SDL_BUTTON_LEFT: return 1;
	case SDL_BUTTON_RIGHT: return 2;
	case SDL_BUTTON_MIDDLE: return 4;
	default: return 0;
	}
}

static void handle_event(struct sdl_display *d, const SDL_Event *ev)
{
	switch (ev->type) {
	case SDL_KEYDOWN:
	case SDL_KEYUP: key_event(d, &ev->key); break;
	case SDL_MOUSEMOTION:
		if (ev->motion.xrel || ev->motion.yrel)
			i8042_mouse_event(ev->motion.xrel, ev->motion.yrel, 0, d->buttons);
		break;
	case SDL_MOUSEBUTTONDOWN:
	case SDL_MOUSEBUTTONUP:
		if (ev->type == SDL_MOUSEBUTTONDOWN) {
			d->buttons |= button_bit(ev->button.button);
			set_grab(d, true);
		} else {
			d->buttons &= ~button_bit(ev->button.button);
		}
		i8042_mouse_event(0, 0, 0, d->buttons);
		break;
	case SDL_MOUSEWHEEL:
		/* SDL: positive y scrolls away from the user; PS/2: negative z. */
		if (ev->wheel.y)
			i8042_mouse_event(0, 0,
					  ev->wheel.direction == SDL_MOUSEWHEEL_FLIPPED
						  ? ev->wheel.y
						  : -ev->wheel.y,
					  d->buttons);
		break;
	case SDL_WINDOWEVENT:
		switch (ev->window.event) {
		case SDL_WINDOWEVENT_CLOSE:
			fprintf(stderr, "vmm: window closed: pressing the power button\n");
			acpi_pm_power_button();
			break;
		case SDL_WINDOWEVENT_FOCUS_LOST:
			release_keys(d);
			set_grab(d, false);
			break;
		case SDL_WINDOWEVENT_EXPOSED:
		case SDL_WINDOWEVENT_SIZE_CHANGED: present(d); break;
		}
		break;
	}
}

enum vm_event sdl_display_run(struct vm *vm)
{
	struct sdl_display *d = &sd;
	enum vm_event e;

	while ((e = vm_poll_event(vm)) == VM_EVENT_NONE) {
		SDL_Event ev;
		Uint32 now;

		if (SDL_WaitEventTimeout(&ev, REFRESH_MS)) {
			handle_event(d, &ev);
			while (SDL_PollEvent(&ev))
				handle_event(d, &ev);
		}
		now = SDL_GetTicks();
		if (now - d->last_refresh >= REFRESH_MS) {
			d->last_refresh = now;
			refresh(d, false);
			if (d->paused != gdbstub_paused()) {
				d->paused = !d->paused;
				update_title(d);
			}
		}
	}
	/* The last picture, so a screenshot of the window shows the end. */
	refresh(d, true);
	return e;
}

static void base_name(char *dst, size_t n, const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	snprintf(dst, n, "%s", slash ? slash + 1 : path ? path : "vm");
}

int sdl_display_start(struct vm *vm, bool quiet)
{
	struct sdl_display *d = &sd;

	memset(d, 0, sizeof(*d));
	d->vm = vm;
	if (vm->cfg->name)
		snprintf(d->name, sizeof(d->name), "%s", vm->cfg->name);
	else
		base_name(d->name, sizeof(d->name), vm->cfg->kernel);
	/* vmm reads its signals from a signalfd: SDL must not take them. */
	SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
	SDL_SetHint(SDL_HINT_VIDEO_X11_NET_WM_BYPASS_COMPOSITOR, "0");
	SDL_SetHint(SDL_HINT_GRAB_KEYBOARD, "1");
	/* On X alone, skip SDL's Wayland probe (and its complaint on stderr). */
	if (!getenv("SDL_VIDEODRIVER") && getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY"))
		SDL_SetHint(SDL_HINT_VIDEODRIVER, "x11");
	if (SDL_Init(SDL_INIT_VIDEO) < 0)
		goto fail;
	/*
	 * With no display, SDL falls back to drivers that show nothing: not a
	 * window, unless asked for by name (SDL_VIDEODRIVER=offscreen in tests).
	 */
	if (!getenv("SDL_VIDEODRIVER") && (!strcmp(SDL_GetCurrentVideoDriver(), "offscreen") ||
					   !strcmp(SDL_GetCurrentVideoDriver(), "dummy"))) {
		SDL_SetError("no display to open a window on");
		goto fail_quit;
	}
	d->win = SDL_CreateWindow("vmm", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, 720, 400,
				  SDL_WINDOW_RESIZABLE);
	if (!d->win)
		goto fail_quit;
	d->ren = SDL_CreateRenderer(d->win, -1, 0);
	if (!d->ren)
		goto fail_quit;
	update_title(d);
	refresh(d, true);
	return 0;

fail_quit:
	if (!quiet)
		fprintf(stderr, "vmm: --display sdl: %s\n", SDL_GetError());
	sdl_display_stop();
	return -1;
fail:
	if (!quiet)
		fprintf(stderr, "vmm: --display sdl: %s\n", SDL_GetError());
	return -1;
}

void sdl_display_stop(void)
{
	struct sdl_display *d = &sd;

	if (d->tex)
		SDL_DestroyTexture(d->tex);
	if (d->ren)
		SDL_DestroyRenderer(d->ren);
	if (d->win)
		SDL_DestroyWindow(d->win);
	SDL_Quit();
	vga_frame_free(&d->frame);
	d->tex = NULL;
	d->ren = NULL;
	d->win = NULL;
}
