// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/explain.c — see explain.h. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "addr.h"

#include "kernel/explain.h"
#include "eniaddr.skel.h"

int explainer_open(struct explainer *x, const struct map_fds *m, struct err *e)
{
	struct bpf_map *map;
	int err;

	x->skel = eniaddr__open();
	if (!x->skel)
		return err_set(e, errno, "opening the BPF object: %s", strerror(errno));
	x->skel->rodata->eniaddr_dry_run = 1;
	bpf_object__for_each_map(map, x->skel->obj) {
		int fd;

		if (bpf_map__is_internal(map)) /* .rodata, .bss: this load's own */
			continue;
		fd = runtime_map_fd(m, bpf_map__name(map));
		if (fd < 0) {
			err = err_set(e, ENOENT, "%s: not among the live maps", bpf_map__name(map));
			goto fail;
		}
		if (bpf_map__reuse_fd(map, fd)) {
			err = err_set(e, errno, "%s: reuse: %s", bpf_map__name(map), strerror(errno));
			goto fail;
		}
	}
	err = eniaddr__load(x->skel);
	if (err) {
		err = err_set(e, -err, "loading the dry-run programs: %s (run with -v for the "
			      "verifier's log)", strerror(-err));
		goto fail;
	}
	return 0;
fail:
	explainer_close(x);
	return err;
}

int explainer_run(struct explainer *x, enum explain_prog prog, int ifindex, const void *frame,
		  size_t len, struct explain_result *r, struct err *e)
{
	struct xdp_md xdp = { .data_end = (__u32)len, .ingress_ifindex = (__u32)ifindex };
	struct __sk_buff skb = { .ifindex = (__u32)ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = (__u32)len,
		    .repeat = 1);
	const struct bpf_program *p;
	int err;

	memset(r, 0, sizeof(*r));
	memset(&x->skel->bss->eniaddr_explained, 0, sizeof(x->skel->bss->eniaddr_explained));
	if (prog == EXPLAIN_XDP_INGRESS) {
		p = x->skel->progs.xdp_ingress;
		opts.ctx_in = &xdp;
		opts.ctx_size_in = sizeof(xdp);
	} else {
		p = prog == EXPLAIN_TC_INGRESS ? x->skel->progs.tc_ingress
					       : x->skel->progs.tc_egress;
		opts.ctx_in = &skb;
		opts.ctx_size_in = sizeof(skb);
	}
	err = bpf_prog_test_run_opts(bpf_program__fd(p), &opts);
	if (err)
		return err_set(e, errno, "running %s on the packet: %s", bpf_program__name(p),
			       strerror(errno));
	r->retval = opts.retval;
	memcpy(&r->rec, &x->skel->bss->eniaddr_explained, sizeof(r->rec));
	if (r->rec.runs != 1)
		return err_set(e, EPROTO, "the dry run recorded %u decisions, expected 1",
			       r->rec.runs);
	return 0;
}

void explainer_close(struct explainer *x)
{
	eniaddr__destroy(x->skel);
	x->skel = NULL;
}

const char *explain_verdict(enum explain_prog prog, __u32 retval)
{
	if (prog == EXPLAIN_XDP_INGRESS)
		return retval == XDP_DROP ? "drop" : retval == XDP_PASS ? "pass" : "?";
	if (retval == 2 /* TC_ACT_SHOT */)
		return "drop";
	if (retval == 7 /* TC_ACT_REDIRECT */)
		return "redirect";
	return retval == (__u32)-1 /* TC_ACT_UNSPEC */ ? "pass" : "?";
}

/* ---- rules ---- */

static bool has_bit(const struct eniaddr_rule_bits *b, int bit)
{
	return b->w[bit / 64] >> (bit % 64) & 1;
}

/* Appends text to buf, "..." once it does not fit. */
static void append(char *buf, size_t len, const char *text)
{
	size_t used = strlen(buf);

	if (used + strlen(text) + 3 >= len) {
		if (used + 4 < len && !strstr(buf, "..."))
			strcat(buf, "...");
		return;
	}
	if (used)
		strcat(buf, ", ");
	strcat(buf, text);
}

static void describe_l4(const struct eniaddr_l4_key *k, char *buf, size_t len)
{
	__u32 sel = ntohl(k->sel), plen = k->prefixlen - 32;
	__u8 proto = (__u8)(sel >> 24);
	__u16 port = (__u16)(sel >> 8), bits = plen > 8 ? (__u16)(plen - 8) : 0;
	__u16 last = (__u16)(port | (bits >= 16 ? 0 : 0xffffu >> bits));
	const char *name = proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp"
			 : proto == IPPROTO_ICMP ? "icmp" : proto == IPPROTO_ICMPV6 ? "icmpv6"
			 : NULL;

	if (plen < 8) {
		snprintf(buf, len, "all");
	} else if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		if (bits >= 16)
			snprintf(buf, len, "%s type %u code %u", name, port >> 8, port & 0xff);
		else if (bits >= 8)
			snprintf(buf, len, "%s type %u", name, port >> 8);
		else
			snprintf(buf, len, "%s", name);
	} else if (!name) {
		snprintf(buf, len, "protocol %u", proto);
	} else if (!bits) {
		snprintf(buf, len, "%s all ports", name);
	} else if (port == last) {
		snprintf(buf, len, "%s %u", name, port);
	} else {
		snprintf(buf, len, "%s %u-%u", name, port, last);
	}
}

/* Both rule maps' keys: prefixlen, then the policy, then the prefix. */
struct rule_key_head {
	__u32 prefixlen;
	__u32 policy;
};

#define RULE_KEYS_MAX 64

/* Copies up to RULE_KEYS_MAX keys (key_size bytes each) of fd's entries of policy whose rule bits
 * carry bit into keys; returns how many, or -errno. */
static int keys_with_bit(int fd, size_t key_size, __u32 policy, int bit, __u8 *keys)
{
	__u8 k[sizeof(struct eniaddr_src_key)], prev[sizeof(k)];
	struct eniaddr_rule_bits v;
	struct rule_key_head h;
	bool first = true;
	int n = 0;

	while (!bpf_map_get_next_key(fd, first ? NULL : prev, k)) {
		first = false;
		memcpy(prev, k, key_size);
		memcpy(&h, k, sizeof(h));
		if (h.policy != policy || bpf_map_lookup_elem(fd, k, &v) || !has_bit(&v, bit))
			continue;
		if (n < RULE_KEYS_MAX)
			memcpy(keys + (size_t)n++ * key_size, k, key_size);
	}
	return errno == ENOENT ? n : -errno;
}

/* Peers of bit: the src prefixes carrying it that no shorter carrying prefix covers (longer
 * entries carry the bits of every prefix covering them). */
static int rule_peers(int fd, __u32 policy, int bit, char *buf, size_t len)
{
	struct eniaddr_src_key keys[RULE_KEYS_MAX];
	struct ip_prefix got[RULE_KEYS_MAX];
	int n = keys_with_bit(fd, sizeof(keys[0]), policy, bit, (__u8 *)keys), i, j;

	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		memcpy(got[i].addr, keys[i].addr, 16);
		got[i].plen = (uint8_t)(keys[i].prefixlen - 32);
	}
	for (i = 0; i < n; i++) {
		char text[IP_PREFIX_STRLEN];
		bool covered = false;

		for (j = 0; j < n && !covered; j++)
			covered = j != i && got[j].plen < got[i].plen &&
				  ip_prefix_contains(&got[j], &got[i]);
		if (covered)
			continue;
		ip_prefix_format(&got[i], false, text, sizeof(text));
		append(buf, len, text);
	}
	return 0;
}

/* Does l4 prefix a cover b (a shorter, same leading bits)? */
static bool l4_covers(const struct eniaddr_l4_key *a, const struct eniaddr_l4_key *b)
{
	__u32 plen = a->prefixlen - 32, mask = plen ? ~0u << (32 - plen) : 0;

	return a->prefixlen < b->prefixlen && ((ntohl(a->sel) ^ ntohl(b->sel)) & mask) == 0;
}

/* Selectors of bit: the l4 entries carrying it that no shorter carrying entry covers. */
static int rule_selectors(int fd, __u32 policy, int bit, char *buf, size_t len)
{
	struct eniaddr_l4_key got[RULE_KEYS_MAX];
	int n = keys_with_bit(fd, sizeof(got[0]), policy, bit, (__u8 *)got), i, j;

	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		char text[96];
		bool covered = false;

		for (j = 0; j < n && !covered; j++)
			covered = l4_covers(&got[j], &got[i]);
		if (covered)
			continue;
		describe_l4(&got[i], text, sizeof(text));
		append(buf, len, text);
	}
	return 0;
}

int explain_rules(const struct map_fds *m, __u32 policy, const struct eniaddr_rule_bits *bits,
		  struct explain_rule *out, struct err *e)
{
	int n = 0, bit, i, err;

	for (bit = 0; bit < ENIADDR_MAX_RULE_BITS && n < EXPLAIN_RULES_MAX; bit++) {
		if (!has_bit(bits, bit))
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n++].bit = bit;
	}
	for (i = 0; i < n; i++) {
		err = rule_selectors(m->l4, policy, out[i].bit, out[i].what, sizeof(out[i].what));
		if (err)
			return err_set(e, -err, "%s: %s", ENIADDR_STR(ENIADDR_MAP_L4),
				       strerror(-err));
		err = rule_peers(m->src, policy, out[i].bit, out[i].from, sizeof(out[i].from));
		if (err)
			return err_set(e, -err, "%s: %s", ENIADDR_STR(ENIADDR_MAP_SRC),
				       strerror(-err));
	}
	return n;
}
