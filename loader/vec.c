// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/vec.c — see vec.h. */
#include <stdlib.h>
#include <string.h>

#include "vec.h"

struct vec_any {
	char *v;
	size_t n, cap;
};

void *vec_grow(void *vec, size_t elem_size)
{
	struct vec_any *a = vec;
	char *elem;

	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 8;
		char *v = realloc(a->v, cap * elem_size);

		if (!v)
			return NULL;
		a->v = v;
		a->cap = cap;
	}
	elem = a->v + a->n++ * elem_size;
	memset(elem, 0, elem_size);
	return elem;
}
