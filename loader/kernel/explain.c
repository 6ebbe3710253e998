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
#include "kernel/rule_tables.h"
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

static const char *proto_name(__u8 proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp"
	       : proto == IPPROTO_ICMP ? "icmp" : proto == IPPROTO_ICMPV6 ? "icmpv6" : NULL;
}

/* One protocol's ports (ICMP: type << 8 | code) first..last with the rule's bit. */
static void describe_ports(__u8 proto, __u16 first, __u16 last, char *buf, size_t len)
{
	const char *name = proto_name(proto);
	bool icmp = proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;

	if (!name)
		snprintf(buf, len, "protocol %u", proto);
	else if (first == 0 && last == 0xffff)
		snprintf(buf, len, icmp ? "%s" : "%s all ports", name);
	else if (icmp && first == last)
		snprintf(buf, len, "%s type %u code %u", name, first >> 8, first & 0xff);
	else if (icmp && (first & 0xff) == 0 && (last & 0xff) == 0xff)
		snprintf(buf, len, first >> 8 == last >> 8 ? "%s type %u" : "%s type %u-%u", name,
			 first >> 8, last >> 8);
	else if (icmp)
		snprintf(buf, len, "%s type %u code %u - type %u code %u", name, first >> 8,
			 first & 0xff, last >> 8, last & 0xff);
	else if (first == last)
		snprintf(buf, len, "%s %u", name, first);
	else
		snprintf(buf, len, "%s %u-%u", name, first, last);
}

struct described {
	char *buf;
	size_t len;
};

/* A run of the ports trie: keys protocol << 16 | port, split per protocol. */
static void emit_ports(void *ctx, __u64 lo, __u64 hi)
{
	struct described *d = ctx;
	char text[96];

	if (lo == 0 && hi == 0xffffff) {
		append(d->buf, d->len, "all");
		return;
	}
	for (__u64 p = lo >> 16; p <= hi >> 16; p++) {
		__u16 first = p == lo >> 16 ? (__u16)lo : 0, last = p == hi >> 16 ? (__u16)hi : 0xffff;

		describe_ports((__u8)p, first, last, text, sizeof(text));
		append(d->buf, d->len, text);
	}
}

/* A run of the IPv4 peer trie: the fewest prefixes covering exactly lo..hi. */
static void emit_peers4(void *ctx, __u64 lo, __u64 hi)
{
	struct described *d = ctx;

	while (lo <= hi) {
		struct ip_prefix p = { .addr = { [10] = 0xff, [11] = 0xff } };
		char text[IP_PREFIX_STRLEN];
		int size = 0; /* log2 of the block */
		__u32 a = (__u32)lo;

		while (size < 32 && !(lo & ((2ull << size) - 1)) && lo + (2ull << size) - 1 <= hi)
			size++;
		p.addr[12] = (uint8_t)(a >> 24);
		p.addr[13] = (uint8_t)(a >> 16);
		p.addr[14] = (uint8_t)(a >> 8);
		p.addr[15] = (uint8_t)a;
		p.plen = (uint8_t)(96 + 32 - size);
		ip_prefix_format(&p, false, text, sizeof(text));
		append(d->buf, d->len, text);
		lo += 1ull << size;
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

/* Selectors of bit: the runs of ports of the policy's family that carry it. */
static int rule_selectors(const struct map_fds *m, __u32 policy, int bit, char *buf, size_t len)
{
	struct described d = { buf, len };

	return rule_trie_runs(m, policy, policy & ENIADDR_POLICY_V6_BIT ? RULE_TRIE_PORTS_V6
			      : RULE_TRIE_PORTS_V4, bit, emit_ports, &d);
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
		err = rule_selectors(m, policy, out[i].bit, out[i].what, sizeof(out[i].what));
		if (err)
			return err_set(e, -err, "%s: %s", ENIADDR_STR(ENIADDR_MAP_TRIE),
				       strerror(-err));
		if (policy & ENIADDR_POLICY_V6_BIT) {
			err = rule_peers(m->src, policy, out[i].bit, out[i].from,
					 sizeof(out[i].from));
		} else {
			struct described d = { out[i].from, sizeof(out[i].from) };

			err = rule_trie_runs(m, policy, RULE_TRIE_V4_PEER, out[i].bit, emit_peers4,
					     &d);
		}
		if (err)
			return err_set(e, -err, "%s: %s", policy & ENIADDR_POLICY_V6_BIT ?
				       ENIADDR_STR(ENIADDR_MAP_SRC) : ENIADDR_STR(ENIADDR_MAP_TRIE),
				       strerror(-err));
	}
	return n;
}
