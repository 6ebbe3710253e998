// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/attach.c — see attach.h. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kernel/attach.h"
#include "kernel/stats.h"
#include "kernel/ifaces.h"
#include "log.h"

static const char *const req_names[] = {
	[ATTACH_REQ_AUTO]    = "auto",
	[ATTACH_REQ_NATIVE]  = "native",
	[ATTACH_REQ_GENERIC] = "generic",
	[ATTACH_REQ_TC]      = "tc",
};

int attach_req_parse(const char *s, enum attach_req *req)
{
	size_t i;

	for (i = 0; i < sizeof(req_names) / sizeof(req_names[0]); i++)
		if (!strcmp(s, req_names[i])) {
			*req = (enum attach_req)i;
			return 0;
		}
	return -EINVAL;
}

const char *attach_req_name(enum attach_req req)
{
	return (unsigned int)req < sizeof(req_names) / sizeof(req_names[0]) ? req_names[req] : "?";
}

const char *attach_mode_name(__u32 mode)
{
	switch (mode) {
	case ENIADDR_ATTACH_NATIVE:  return "native";
	case ENIADDR_ATTACH_GENERIC: return "generic";
	case ENIADDR_ATTACH_TC:      return "tc";
	default:                     return "none";
	}
}

int attach_lookup(const struct map_fds *m, int ifindex, struct eniaddr_attach *rec)
{
	__u32 key = (__u32)ifindex;

	return bpf_map_lookup_elem(m->attach, &key, rec) ? -errno : 0;
}

static int link_pin_path(const struct pins *p, int ifindex, char *buf, size_t len)
{
	char name[32];

	snprintf(name, sizeof(name), "xdp-%d", ifindex);
	return pins_path(p, PINS_LINKS, name, buf, len);
}

/* Detaches and unpins links/xdp-IFINDEX; a missing pin is fine (nothing to undo). */
static int xdp_detach(const struct pins *p, int ifindex, struct err *e)
{
	char path[PATH_MAX];
	int fd, err = 0;

	if (link_pin_path(p, ifindex, path, sizeof(path)))
		return err_set(e, ENAMETOOLONG, "%s: path too long", p->dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : err_set(e, errno, "%s: %s", path, strerror(errno));
	/* Explicit: another holder of the link fd (bpftool) would otherwise keep it attached. */
	if (bpf_link_detach(fd))
		err = err_set(e, errno, "detaching the XDP link %s: %s", path, strerror(errno));
	close(fd);
	if (!err && unlink(path) && errno != ENOENT)
		err = err_set(e, errno, "%s: unlink: %s", path, strerror(errno));
	return err;
}

/* Returns 0 or -errno (no message: the caller collects reasons). */
static int xdp_attach(const struct pins *p, int prog_fd, int ifindex, __u32 xdp_flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = xdp_flags);
	char path[PATH_MAX];
	int fd, err = 0;

	if (link_pin_path(p, ifindex, path, sizeof(path)))
		return -ENAMETOOLONG;
	fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
	if (fd < 0)
		return -errno;
	if (bpf_obj_pin(fd, path))
		err = -errno;
	close(fd); /* with the pin the link lives on; without it, closing detaches it */
	return err;
}

static void tc_destroy_clsact(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	bpf_tc_hook_destroy(&hook);
}

/*
 * Puts prog_fd on the clsact hook `point` of ifindex with our handle and priority, making the
 * clsact qdisc unless have_clsact says our other filter is on it already. *created tells
 * whether this call made the clsact qdisc (-EEXIST: somebody's, or ours from the other
 * direction), which detach then removes; a failure removes what it created.
 */
static int tc_attach(int prog_fd, int ifindex, enum bpf_tc_attach_point point, bool have_clsact,
		     bool *created)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = point);
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd, .handle = ATTACH_TC_HANDLE,
		    .priority = ATTACH_TC_PRIO);
	int err;

	*created = false;
	if (!have_clsact) { /* known to exist: skip the create and the kernel's EEXIST message */
		err = bpf_tc_hook_create(&hook);
		if (err && err != -EEXIST)
			return err;
		*created = !err;
	}
	err = bpf_tc_attach(&hook, &opts);
	if (err && *created)
		tc_destroy_clsact(ifindex);
	return err;
}

/* Filters and the qdisc of a vanished device are gone with it: not an error on detach. */
static bool gone(int err)
{
	return err == -ENOENT || err == -ENODEV;
}

static int tc_detach(const struct eniaddr_attach *rec, int ifindex, const char *what,
		     struct err *e)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = rec->tc_in_handle, .priority = rec->tc_in_prio);
	int err;

	if (rec->tc_in_handle) {
		err = bpf_tc_detach(&hook, &opts);
		if (err && !gone(err))
			return err_set(e, -err, "%s: removing the tc ingress filter: %s", what,
				       strerror(-err));
	}
	if (rec->tc_out_handle) {
		hook.attach_point = BPF_TC_EGRESS;
		opts.handle = rec->tc_out_handle;
		opts.priority = rec->tc_out_prio;
		err = bpf_tc_detach(&hook, &opts);
		if (err && !gone(err))
			return err_set(e, -err, "%s: removing the tc egress filter: %s", what,
				       strerror(-err));
	}
	if (rec->created_clsact)
		tc_destroy_clsact(ifindex);
	return 0;
}

static int device_mtu(const char *ifname)
{
	struct ifreq ifr = {};
	int fd, mtu = -1;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (!ioctl(fd, SIOCGIFMTU, &ifr))
		mtu = ifr.ifr_mtu;
	close(fd);
	return mtu;
}

static void add_reason(struct attach_result *r, const char *mode, int err)
{
	size_t used = strlen(r->why);
	int mtu;

	snprintf(r->why + used, sizeof(r->why) - used, "%s%s: %s", used ? "; " : "", mode,
		 strerror(-err));
	if (strcmp(mode, "native XDP"))
		return;
	mtu = device_mtu(r->ifname);
	if (mtu > ATTACH_ENA_XDP_MAX_MTU) {
		used = strlen(r->why);
		snprintf(r->why + used, sizeof(r->why) - used,
			 " (MTU %d: ENA runs native XDP only with MTU <= %d)", mtu,
			 ATTACH_ENA_XDP_MAX_MTU);
	}
}

static const struct try {
	__u32 mode;
	const char *what;
	const char *prog;
	__u32 xdp_flags;
} tries[] = {
	{ ENIADDR_ATTACH_NATIVE,  "native XDP",  RUNTIME_PROG_XDP_INGRESS, XDP_FLAGS_DRV_MODE },
	{ ENIADDR_ATTACH_GENERIC, "generic XDP", RUNTIME_PROG_XDP_INGRESS, XDP_FLAGS_SKB_MODE },
	{ ENIADDR_ATTACH_TC,      "tc ingress",  RUNTIME_PROG_TC_INGRESS,  0 },
};

static bool wanted(enum attach_req req, __u32 mode)
{
	switch (req) {
	/* Generic XDP linearizes every GRO packet: slower than tc, so auto never picks it. */
	case ATTACH_REQ_AUTO:    return mode != ENIADDR_ATTACH_GENERIC;
	case ATTACH_REQ_NATIVE:  return mode == ENIADDR_ATTACH_NATIVE;
	case ATTACH_REQ_GENERIC: return mode == ENIADDR_ATTACH_GENERIC;
	case ATTACH_REQ_TC:      return mode == ENIADDR_ATTACH_TC;
	}
	return false;
}

/* Tries one mode; on success rec holds what to record. 0 or -errno. */
static int try_mode(const struct pins *p, const struct try *t, int ifindex,
		    struct eniaddr_attach *rec)
{
	struct err ignored = {};
	int prog_fd, err;

	prog_fd = runtime_open_prog(p, t->prog, &ignored);
	if (prog_fd < 0)
		return prog_fd;
	memset(rec, 0, sizeof(*rec));
	if (t->mode == ENIADDR_ATTACH_TC) {
		bool created = false;

		err = tc_attach(prog_fd, ifindex, BPF_TC_INGRESS, false, &created);
		if (!err) {
			rec->mode = ENIADDR_ATTACH_TC;
			rec->created_clsact = created;
			rec->tc_in_handle = ATTACH_TC_HANDLE;
			rec->tc_in_prio = ATTACH_TC_PRIO;
		}
	} else {
		err = xdp_attach(p, prog_fd, ifindex, t->xdp_flags);
		rec->mode = t->mode;
	}
	close(prog_fd);
	return err;
}

/* A link pin without a record: a crash between pinning and recording. Undo it first. */
static int remove_stale_link(const struct pins *p, const char *ifname, int ifindex,
			     struct err *e)
{
	char path[PATH_MAX];

	if (link_pin_path(p, ifindex, path, sizeof(path)) || access(path, F_OK))
		return 0;
	log_warn("%s: removing the XDP link left by an interrupted attach (%s)", ifname, path);
	return xdp_detach(p, ifindex, e);
}

/* Adds tc_egress to rec's device. 0 or -errno; e names what failed. */
static int attach_egress(const struct pins *p, const char *ifname, int ifindex,
			 struct eniaddr_attach *rec, struct err *e)
{
	bool created = false;
	int prog_fd, err;

	prog_fd = runtime_open_prog(p, RUNTIME_PROG_TC_EGRESS, e);
	if (prog_fd < 0)
		return prog_fd;
	err = tc_attach(prog_fd, ifindex, BPF_TC_EGRESS, rec->tc_in_handle != 0, &created);
	close(prog_fd);
	if (err)
		return err_set(e, -err, "%s: attaching tc_egress: %s", ifname, strerror(-err));
	rec->created_clsact |= created;
	rec->tc_out_handle = ATTACH_TC_HANDLE;
	rec->tc_out_prio = ATTACH_TC_PRIO;
	return 0;
}

/* Removes what rec says was attached; for undoing a half-made attach. */
static void undo(const struct pins *p, const struct eniaddr_attach *rec, int ifindex)
{
	struct err ignored = {};

	if (rec->mode == ENIADDR_ATTACH_NATIVE || rec->mode == ENIADDR_ATTACH_GENERIC)
		xdp_detach(p, ifindex, &ignored);
	tc_detach(rec, ifindex, "undo", &ignored);
}

/* Already attached: nothing to do, or add the egress program the record lacks. */
static int attach_again(const struct pins *p, const struct map_fds *m, const char *ifname,
			enum attach_req req, bool egress, struct eniaddr_attach *rec,
			struct attach_result *r, struct err *e)
{
	struct eniaddr_attach old = *rec;
	__u32 key = (__u32)r->ifindex;
	int err;

	r->mode = rec->mode;
	r->egress = rec->tc_out_handle != 0;
	if (req != ATTACH_REQ_AUTO && !wanted(req, rec->mode))
		return err_set(e, EEXIST, "%s is attached already (%s); run `eniaddr-bpf detach "
			       "%s` first to change the mode to %s", ifname,
			       attach_mode_name(rec->mode), ifname, attach_req_name(req));
	if (!egress || r->egress) {
		r->unchanged = true;
		return 0;
	}
	err = attach_egress(p, ifname, r->ifindex, rec, e);
	if (err)
		return err;
	if (bpf_map_update_elem(m->attach, &key, rec, BPF_EXIST)) {
		err = err_set(e, errno, "%s: recording the attachment in %s: %s", ifname,
			      ENIADDR_STR(ENIADDR_MAP_ATTACH), strerror(errno));
		/* take back only the egress part: the rest stays as recorded */
		rec->mode = ENIADDR_ATTACH_NONE;
		rec->tc_in_handle = 0;
		rec->created_clsact = rec->created_clsact && !old.created_clsact;
		undo(p, rec, r->ifindex);
		return err;
	}
	r->egress = true;
	return 0;
}

int attach_device(const struct pins *p, const struct map_fds *m, const char *ifname,
		  enum attach_req req, bool egress, struct attach_result *r, struct err *e)
{
	struct eniaddr_attach rec;
	char local[256];
	struct nics nics;
	__u32 key;
	size_t i;
	int err, last = -EINVAL;

	memset(r, 0, sizeof(*r));
	snprintf(r->ifname, sizeof(r->ifname), "%s", ifname);
	r->ifindex = (int)if_nametoindex(ifname);
	if (!r->ifindex) {
		if (ifaces_list(&nics, e))
			return -ENODEV;
		ifaces_names(&nics, local, sizeof(local));
		ifaces_free(&nics);
		return err_set(e, ENODEV, "no interface named %s (local: %s)", ifname, local);
	}
	key = (__u32)r->ifindex;

	err = attach_lookup(m, r->ifindex, &rec);
	if (!err)
		return attach_again(p, m, ifname, req, egress, &rec, r, e);
	if (err != -ENOENT)
		return err_set(e, -err, "%s: %s", ENIADDR_STR(ENIADDR_MAP_ATTACH), strerror(-err));
	err = remove_stale_link(p, ifname, r->ifindex, e);
	if (err)
		return err;
	err = stats_dev_assign(m, key, e); /* before the first packet can be counted */
	if (err < 0)
		return err;

	for (i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		if (!wanted(req, tries[i].mode))
			continue;
		last = try_mode(p, &tries[i], r->ifindex, &rec);
		if (!last)
			break;
		add_reason(r, tries[i].what, last);
		log_debug("%s: %s failed: %s", ifname, tries[i].what, strerror(-last));
	}
	if (last)
		return err_set(e, -last, "%s: could not attach: %s", ifname, r->why);
	if (egress) {
		err = attach_egress(p, ifname, r->ifindex, &rec, e);
		if (err) {
			undo(p, &rec, r->ifindex);
			return err;
		}
	}
	if (bpf_map_update_elem(m->attach, &key, &rec, BPF_NOEXIST)) {
		err = err_set(e, errno, "%s: recording the attachment in %s: %s", ifname,
			      ENIADDR_STR(ENIADDR_MAP_ATTACH), strerror(errno));
		undo(p, &rec, r->ifindex); /* not recorded: detach could never find it */
		return err;
	}
	r->mode = rec.mode;
	r->egress = rec.tc_out_handle != 0;
	log_debug("%s: attached (%s%s)", ifname, attach_mode_name(rec.mode),
		  r->egress ? ", egress" : "");
	return 0;
}

int detach_ifindex(const struct pins *p, const struct map_fds *m, int ifindex,
		   struct detach_result *r, struct err *e)
{
	struct eniaddr_attach rec;
	__u32 key = (__u32)ifindex;
	char what[IF_NAMESIZE + 16];
	int err;

	memset(r, 0, sizeof(*r));
	r->ifindex = ifindex;
	if (!if_indextoname((unsigned int)ifindex, r->ifname))
		r->ifname[0] = '\0';
	if (r->ifname[0])
		snprintf(what, sizeof(what), "%s", r->ifname);
	else
		snprintf(what, sizeof(what), "ifindex %d", ifindex);

	err = attach_lookup(m, ifindex, &rec);
	if (err == -ENOENT)
		return err_set(e, ENOENT, "%s is not attached by eniaddr-bpf", what);
	if (err)
		return err_set(e, -err, "%s: %s", ENIADDR_STR(ENIADDR_MAP_ATTACH), strerror(-err));
	r->mode = rec.mode;
	r->egress = rec.tc_out_handle != 0;

	if (rec.mode == ENIADDR_ATTACH_NATIVE || rec.mode == ENIADDR_ATTACH_GENERIC)
		err = xdp_detach(p, ifindex, e);
	if (!err && (rec.tc_in_handle || rec.tc_out_handle || rec.created_clsact))
		err = tc_detach(&rec, ifindex, what, e);
	if (err)
		return err;
	if (bpf_map_delete_elem(m->attach, &key) && errno != ENOENT)
		return err_set(e, errno, "%s: deleting the record from %s: %s", what,
			       ENIADDR_STR(ENIADDR_MAP_ATTACH), strerror(errno));
	log_debug("%s: detached (%s)", what, attach_mode_name(rec.mode));
	return stats_dev_release(m, key, e);
}

int detach_device(const struct pins *p, const struct map_fds *m, const char *ifname,
		  struct detach_result *r, struct err *e)
{
	int ifindex = (int)if_nametoindex(ifname);

	if (!ifindex)
		return err_set(e, ENODEV, "no interface named %s (`eniaddr-bpf detach --all` also "
			       "removes what was attached to deleted devices)", ifname);
	return detach_ifindex(p, m, ifindex, r, e);
}

int attach_set_unconfigured_drop(const struct map_fds *m, int ifindex, bool drop,
				 struct err *e)
{
	struct eniaddr_attach rec;
	__u32 key = (__u32)ifindex;

	if (bpf_map_lookup_elem(m->attach, &key, &rec))
		return err_set(e, errno, "ifindex %d: no attach record: %s", ifindex,
			       strerror(errno));
	if (drop)
		rec.flags |= ENIADDR_ATTACH_F_UNCONFIGURED_DROP;
	else
		rec.flags &= ~ENIADDR_ATTACH_F_UNCONFIGURED_DROP;
	if (bpf_map_update_elem(m->attach, &key, &rec, BPF_EXIST))
		return err_set(e, errno, "ifindex %d: updating the attach record: %s", ifindex,
			       strerror(errno));
	return 0;
}
