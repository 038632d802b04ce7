/* SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012): a keyed
 * 64-bit hash, written from the paper's specification. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define VG_SIPHASH_KEY_SIZE 16

uint64_t vg_siphash24(const uint8_t key[VG_SIPHASH_KEY_SIZE], const void *data, size_t len);
