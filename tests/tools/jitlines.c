// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/tools/jitlines.c — for scripts/profile-path.sh: prints, for each loaded BPF program id
 * given, one line per source line record: the JIT address where its code starts, file:line,
 * the source text, the program id and the xlated instruction offset. perf samples of JITed code
 * then map to BPF source lines (bpftool's own `dump jited linum` needs libbfd, which Debian's
 * bpftool lacks).
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int print_prog(__u32 id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), n, lrs, jrs, btf_id;
	struct bpf_line_info *li = NULL;
	__u64 *jl = NULL;
	struct btf *btf = NULL;
	int fd = bpf_prog_get_fd_by_id(id), err = 0;

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	n = info.nr_line_info < info.nr_jited_line_info ? info.nr_line_info
							  : info.nr_jited_line_info;
	lrs = info.line_info_rec_size;
	jrs = info.jited_line_info_rec_size;
	btf_id = info.btf_id;
	li = calloc(n ? n : 1, lrs);
	jl = calloc(n ? n : 1, jrs);
	memset(&info, 0, sizeof(info));
	info.nr_line_info = n;
	info.line_info_rec_size = lrs;
	info.line_info = (__u64)(unsigned long)li;
	info.nr_jited_line_info = n;
	info.jited_line_info_rec_size = jrs;
	info.jited_line_info = (__u64)(unsigned long)jl;
	len = sizeof(info);
	if (!li || !jl || bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	if (!err)
		btf = btf__load_from_kernel_by_id(btf_id);
	if (!err && !btf)
		err = -errno;
	for (__u32 i = 0; !err && i < n; i++) {
		const struct bpf_line_info *l = (const void *)((const char *)li + i * lrs);
		const char *f = btf__name_by_offset(btf, l->file_name_off);
		const char *src = btf__name_by_offset(btf, l->line_off);
		const char *base = f ? strrchr(f, '/') : NULL;

		printf("%llx\t%s:%u\t%s\t%u\t%u\n", (unsigned long long)jl[i],
		       base ? base + 1 : f ? f : "?", BPF_LINE_INFO_LINE_NUM(l->line_col),
		       src ? src : "", id, l->insn_off);
	}
	btf__free(btf);
	free(li);
	free(jl);
	return err;
}

int main(int argc, char **argv)
{
	for (int a = 1; a < argc; a++) {
		int err = print_prog((__u32)strtoul(argv[a], NULL, 10));

		if (err) {
			fprintf(stderr, "jitlines: program %s: %s\n", argv[a], strerror(-err));
			return 1;
		}
	}
	return 0;
}
