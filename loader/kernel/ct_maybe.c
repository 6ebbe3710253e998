// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/ct_maybe.c — see ct_maybe.h. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "kernel/ct_gc.h"
#include "kernel/ct_maybe.h"
#include "kernel/ct_tables.h"
#include "kernel/publish.h"
#include "kernel/runtime.h"

#define MAYBE_BYTES ((size_t)ENIADDR_CT_MAYBE_ENTRIES * sizeof(__u64))

int ct_maybe_map(int fd, struct ct_maybe *f, struct err *e)
{
	void *p = mmap(NULL, MAYBE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return err_set(e, errno, "mapping %s: %s", ENIADDR_STR(ENIADDR_MAP_CT_MAYBE),
			       strerror(errno));
	f->words = p;
	f->len = MAYBE_BYTES;
	return 0;
}

void ct_maybe_unmap(struct ct_maybe *f)
{
	if (f->words)
		munmap(f->words, f->len);
	f->words = NULL;
}

__u32 ct_maybe_bit(const struct eniaddr_ct_key *k)
{
	struct eniaddr_ct4_key k4;

	if (!ct_key_is_v4(k))
		return eniaddr_ct6_maybe_bit(k);
	ct_key_to4(k, &k4);
	return eniaddr_ct4_maybe_bit(&k4);
}

static __u64 *word_of(const struct ct_maybe *f, unsigned int half, __u32 bit)
{
	return &f->words[(half & 1) * ENIADDR_CT_MAYBE_WORDS + (bit >> 6)];
}

/* Sets bit in half: read first, as the programs do, then an atomic or. */
static void mark(const struct ct_maybe *f, unsigned int half, __u32 bit)
{
	__u64 *w = word_of(f, half, bit), m = 1ull << (bit & 63);

	if (!(__atomic_load_n(w, __ATOMIC_RELAXED) & m))
		__atomic_fetch_or(w, m, __ATOMIC_SEQ_CST);
}

void ct_maybe_add(const struct ct_maybe *f, const struct eniaddr_ct_key *k)
{
	__u32 bit = ct_maybe_bit(k);

	mark(f, 0, bit);
	mark(f, 1, bit);
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the bits before the insert that follows */
}

int ct_maybe_add_fd(int fd, const struct eniaddr_ct_key *k)
{
	struct ct_maybe f = {};
	struct err e;

	if (ct_maybe_map(fd, &f, &e))
		return -1; /* errno from mmap */
	ct_maybe_add(&f, k);
	ct_maybe_unmap(&f);
	return 0;
}

bool ct_maybe_test(const struct ct_maybe *f, unsigned int half, const struct eniaddr_ct_key *k)
{
	__u32 bit = ct_maybe_bit(k);

	return __atomic_load_n(word_of(f, half, bit), __ATOMIC_RELAXED) & (1ull << (bit & 63));
}

unsigned int ct_maybe_current(const struct ct_maybe *f)
{
	return __atomic_load_n(&f->words[ENIADDR_CT_MAYBE_HALF], __ATOMIC_ACQUIRE) & 1;
}

size_t ct_maybe_count(const struct ct_maybe *f, unsigned int half)
{
	const __u64 *w = word_of(f, half, 0);
	size_t n = 0;

	for (size_t i = 0; i < ENIADDR_CT_MAYBE_WORDS; i++)
		n += (size_t)__builtin_popcountll(__atomic_load_n(&w[i], __ATOMIC_RELAXED));
	return n;
}

void ct_maybe_saturate(const struct ct_maybe *f)
{
	for (size_t i = 0; i < ENIADDR_CT_MAYBE_HALF; i++)
		__atomic_store_n(&f->words[i], ~0ull, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

int ct_maybe_clear_spare(const struct ct_maybe *f, struct err *e)
{
	unsigned int spare;
	__u64 *w;
	int err;

	/* A run that read the current index before the last flip may still test bits of the old
	 * half, which is the spare now: let it finish before the half goes blank. */
	err = publish_wait_grace(NULL, e);
	if (err)
		return err;
	spare = !ct_maybe_current(f);
	w = word_of(f, spare, 0);
	/* Word stores, never read-modify-write: a bit a program sets after a word's store stays. */
	for (size_t i = 0; i < ENIADDR_CT_MAYBE_WORDS; i++)
		__atomic_store_n(&w[i], 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return 0;
}

struct fill {
	const struct ct_maybe *f;
	unsigned int half;
	size_t keys;
};

static void fill_one(const struct ct_entry *c, void *ctx)
{
	struct fill *fl = ctx;

	mark(fl->f, fl->half, ct_maybe_bit(&c->k));
	fl->keys++;
}

int ct_maybe_fill_spare(const struct map_fds *m, const struct ct_maybe *f, size_t *keys,
			struct err *e)
{
	struct fill fl = { .f = f, .half = !ct_maybe_current(f) };
	struct ct_table all[CT_TABLES];
	int err;

	/* Every run that set a bit in the spare before the clear reached it has finished, so the
	 * entry it inserted after setting the bit is in its table, for the walk below to find. */
	err = publish_wait_grace(NULL, e);
	ct_tables_of(m, all);
	for (size_t i = 0; !err && i < CT_TABLES; i++)
		err = ct_visit(&all[i], fill_one, &fl, e);
	if (keys)
		*keys = fl.keys;
	return err;
}

void ct_maybe_flip(const struct ct_maybe *f)
{
	/*
	 * Why every flow that exists after the flip has its bit in the new current half: a flow's
	 * inserter sets the bit in both halves first, then inserts. Either it set the bit in the
	 * spare after ct_maybe_clear_spare cleared that word (the bit is still there), or before:
	 * then its program run had finished by the end of the grace period ct_maybe_fill_spare
	 * waits for, its entry was in its table when the walk began, and the walk, which sees
	 * every entry present throughout it, set the bit again (a flow deleted meanwhile needs no
	 * bit; a flow moved from an unconfirmed to a confirmed table sets its bit again before the
	 * move, ct_confirm). User-space inserters never run meanwhile: the caller holds the pin dir's
	 * exclusive lock (ct_maybe.h). A stale bit only costs two lookups; a missing bit would hide
	 * a flow, which this order never allows.
	 */
	__atomic_store_n(&f->words[ENIADDR_CT_MAYBE_HALF], (__u64)!ct_maybe_current(f),
			 __ATOMIC_SEQ_CST);
}

int ct_maybe_rebuild(const struct map_fds *m, struct err *e)
{
	struct ct_maybe f = {};
	int err = ct_maybe_map(m->ct_maybe, &f, e);

	if (!err)
		err = ct_maybe_clear_spare(&f, e);
	if (!err)
		err = ct_maybe_fill_spare(m, &f, NULL, e);
	if (!err)
		ct_maybe_flip(&f);
	ct_maybe_unmap(&f);
	return err;
}

int ct_maybe_tend(const struct map_fds *m, size_t live, bool *rebuilt, struct err *e)
{
	struct ct_maybe f = {};
	size_t set;
	int err;

	*rebuilt = false;
	err = ct_maybe_map(m->ct_maybe, &f, e);
	if (err)
		return err;
	/* at most one bit per live key: the rest are stale for sure */
	set = ct_maybe_count(&f, ct_maybe_current(&f));
	ct_maybe_unmap(&f);
	if (set <= live || set - live < (1u << ENIADDR_CT_MAYBE_BITS_LOG) / CT_MAYBE_STALE_DIV)
		return 0;
	err = ct_maybe_rebuild(m, e);
	*rebuilt = !err;
	return err;
}
