/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/vec.h — a growable array for plain structs: `VEC(struct foo) v = {0};` then
 * `struct foo *f = VEC_PUSH(&v);` (zeroed, NULL when out of memory), `v.n`, `v.v[i]`, VEC_FREE.
 */
#ifndef ENIADDR_VEC_H
#define ENIADDR_VEC_H

#include <stddef.h>

#define VEC(type) struct { type *v; size_t n, cap; }

void *vec_grow(void *vec, size_t elem_size);

#define VEC_PUSH(vec) ((__typeof__((vec)->v))vec_grow((vec), sizeof(*(vec)->v)))
#define VEC_FREE(vec) do { free((vec)->v); (vec)->v = NULL; (vec)->n = (vec)->cap = 0; } while (0)

#endif
