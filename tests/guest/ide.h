/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PIIX IDE controller for kit guests (ring 3): discovery (8086:7010,
 * bus-master BAR4), the taskfile, PIO by `rep insw/outsw` as Linux's
 * ata_sff does, bus-master DMA, interrupts of IRQ 14/15 counted in
 * ide_irqs[]. Shared by tests/ide.c, tests/enlight.c and tests/idebench.c.
 *
 *	ide_find();			// also ide_irq_on() for interrupts
 *	ide_tf28(0, 0, lba, 8, true);
 *	outb(ATA_CMD_READ, ide_cmd[0] + 7);
 *	ide_pio_in(0, buf, 8, 512, &nirq);
 */
#ifndef KIT_IDE_H
#define KIT_IDE_H

#include <stdbool.h>
#include <stdint.h>

#define IDE_SECTOR    512
#define IDE_SR_ERR    0x01
#define IDE_SR_DRQ    0x08
#define IDE_SR_DRDY   0x40
#define IDE_SR_BSY    0x80
#define IDE_BM_START  0x01
#define IDE_BM_TOMEM  0x08
#define IDE_BM_ACTIVE 0x01
#define IDE_BM_ERROR  0x02
#define IDE_BM_INTR   0x04
#define IDE_PRD_EOT   0x80000000u

extern const uint16_t ide_cmd[2], ide_ctl[2]; /* command block, control port */
extern uint16_t ide_bm;			      /* bus-master ports (BAR4) */
extern uint8_t ide_devfn;		      /* the function on bus 0 */
extern volatile int ide_irqs[2];	      /* IRQ 14, IRQ 15 seen */

/* Find the PIIX IDE function, give BAR4 a place if unassigned, enable I/O,
 * memory and bus mastering. Prints nothing; kit_fail()s when absent. */
void ide_find(void);
/* Count IRQ 14 and 15 in ide_irqs[]. */
void ide_irq_on(void);

/* Wait until BSY clears (5 s): the alternate status, or -1. */
int ide_wait_ready(int ch);
/* Wait for ide_irqs[ch] to move from @before (5 s): 0 or -1. */
int ide_wait_irq(int ch, int before);
/* Let interrupts of earlier commands arrive (2 ms quiet). */
void ide_quiesce(int ch);
/* Wait for BUSY to clear, then the status register (acknowledges the IRQ). */
int ide_status(int ch);

void ide_select(int ch, int unit, uint8_t head);
void ide_tf28(int ch, int unit, uint32_t lba, uint8_t count, bool lba_mode);
void ide_tf48(int ch, int unit, uint64_t lba, uint16_t count);

/* 16-bit string PIO of @bytes at the data port. */
void ide_insw(int ch, void *dst, uint32_t bytes);
void ide_outsw(int ch, const void *src, uint32_t bytes);
/* PIO in: @blocks DRQ blocks of @blk bytes into @dst, each after its
 * interrupt (counted in *nirq); 0, -1 on timeout, or the failing status. */
int ide_pio_in(int ch, void *dst, int blocks, int blk, int *nirq);
/* IDENTIFY (0xec) into @id: 0, or the status/-1 (no drive answers). */
int ide_identify(int ch, int unit, uint16_t id[256]);

/* Entry @i of the PRD table at @prdt. */
void ide_prd_set(uint32_t *prdt, int i, const void *addr, uint32_t len, bool eot);
/* Load the bus master of @ch with @prdt, clear its status, issue @cmd and
 * start the engine; ide_dma_end() waits for the end. */
void ide_dma_start(int ch, const uint32_t *prdt, bool to_mem, uint8_t cmd);
/* The same in two steps: load the bus master, then issue @cmd and start. */
void ide_dma_prepare(int ch, const uint32_t *prdt);
void ide_dma_go(int ch, bool to_mem, uint8_t cmd);
/* Wait for the bus master's interrupt bit and IRQ, stop the engine; the
 * ATA status (or -1), the BM status in *bms. */
int ide_dma_end(int ch, bool to_mem, int *bms);

#endif
