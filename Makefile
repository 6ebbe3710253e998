# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# eniaddr-bpf — `make help` lists the targets. Everything built goes to $(OUTPUT).

# Sanitizer builds (SAN=1) live apart in build-san/, so switching SAN never links a mix.
OUTPUT   ?= $(if $(SAN),build-san,build)
CLANG    ?= clang
BPFTOOL  ?= bpftool
CC       ?= cc
PREFIX   ?= /usr/local
ARCH     := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

# make SAN=1 builds user space with AddressSanitizer and UBSan (tests use it in CI).
SAN      ?=
comma    := ,
SANFLAGS := $(if $(SAN),-fsanitize=address$(comma)undefined -fno-omit-frame-pointer,)

BPF_CFLAGS := -g -O2 --target=bpf -mcpu=v3 -Wall -Werror -D__TARGET_ARCH_$(ARCH) \
	      -I vmlinux -I bpf -I maps
CFLAGS     ?= -g -O2
USER_CFLAGS := $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
	       -D_GNU_SOURCE -I $(OUTPUT) -I maps -I loader $(SANFLAGS)
LIBS       := -lbpf -lelf -lz -ljson-c -lcurl -lmnl
TEST_LIBS  := -lcmocka

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_SRCS    := $(wildcard bpf/*.bpf.c)
BPF_OBJS    := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS))
SKELS       := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))
BPF_HDRS    := $(wildcard bpf/*.h) maps/eniaddr.h vmlinux/vmlinux.h
# BPF programs only the tests and benchmarks load (baselines), skeletons in $(OUTPUT)/tests/.
TBPF_SRCS   := $(wildcard tests/bpf/*.bpf.c)
TSKELS      := $(patsubst tests/bpf/%.bpf.c,$(OUTPUT)/tests/%.skel.h,$(TBPF_SRCS))

LIB_SRCS    := $(wildcard loader/*.c loader/*/*.c)
LIB_OBJS    := $(patsubst %.c,$(OUTPUT)/%.o,$(LIB_SRCS))
LIB         := $(OUTPUT)/libeniaddr.a
USER_HDRS   := $(wildcard loader/*.h loader/*/*.h cli/*.h tests/lib/*.h) maps/eniaddr.h

CLI_SRCS    := $(wildcard cli/*.c)
CLI_OBJS    := $(patsubst %.c,$(OUTPUT)/%.o,$(CLI_SRCS))
CLI         := $(OUTPUT)/eniaddr-bpf

TLIB_SRCS   := $(wildcard tests/lib/*.c)
TLIB_OBJS   := $(patsubst %.c,$(OUTPUT)/%.o,$(TLIB_SRCS))
TEST_SRCS   := $(wildcard tests/test_*.c)
TESTS       := $(patsubst tests/%.c,$(OUTPUT)/tests/%,$(TEST_SRCS))
BENCH_SRCS  := $(wildcard tests/bench_*.c)
BENCHES     := $(patsubst tests/%.c,$(OUTPUT)/tests/%,$(BENCH_SRCS))
JITLINES    := $(OUTPUT)/tests/tools/jitlines

.DELETE_ON_ERROR:
# Keep every intermediate (skeletons, BPF objects, test-library objects): they are shared and
# deleting them would rebuild everything on the next make.
.SECONDARY:
.PHONY: all help deps test test-unit bench profile demo install clean vmlinux

all: $(CLI) $(TESTS) $(BENCHES) $(JITLINES)

help:
	@echo 'make            build the BPF objects, skeletons, the eniaddr-bpf CLI and the tests'
	@echo 'make deps       install the Debian packages the project needs (scripts/deps.sh)'
	@echo 'make test       run every test: unit, BPF test-run, end to end (root)'
	@echo 'make test-unit  run only the tests that need no privileges'
	@echo 'make bench      per-packet cost against a baseline measured in the same run (root)'
	@echo 'make profile P=4 [W=0]  where bench path P (world W) spends its time, by BPF source line (root, perf)'
	@echo 'make demo       the simulated-VPC demo in network namespaces (root)'
	@echo 'make install    install eniaddr-bpf under $$(PREFIX)'
	@echo 'make vmlinux    regenerate vmlinux/vmlinux.h from /sys/kernel/btf/vmlinux'
	@echo 'make clean      remove $(OUTPUT)/'
	@echo 'V=1 shows commands; SAN=1 builds user space with ASan+UBSan'

deps:
	$(Q)scripts/deps.sh

vmlinux:
	$(Q)vmlinux/regenerate.sh

$(OUTPUT) $(OUTPUT)/tests:
	$(Q)mkdir -p $@

# BPF: compile, link with bpftool (static linking also sanitises the object), skeleton.
$(OUTPUT)/%.tmp.o: bpf/%.bpf.c $(BPF_HDRS) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/%.bpf.o: $(OUTPUT)/%.tmp.o
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $<

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@

$(OUTPUT)/tests/%.tmp.o: tests/bpf/%.bpf.c $(BPF_HDRS) | $(OUTPUT)/tests
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/tests/%.bpf.o: $(OUTPUT)/tests/%.tmp.o
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $<

$(OUTPUT)/tests/%.skel.h: $(OUTPUT)/tests/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@

# User space. Objects depend on the skeletons, which embed the BPF object: a BPF change rebuilds.
$(OUTPUT)/%.o: %.c $(USER_HDRS) $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(CLI): $(CLI_OBJS) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(USER_CFLAGS) $(filter %.o %.a,$^) $(LIBS) -o $@

# Tests embed the BPF objects through the skeletons: a BPF change relinks them.
$(OUTPUT)/tests/%: tests/%.c $(TLIB_OBJS) $(LIB) $(USER_HDRS) $(SKELS) $(TSKELS) | $(OUTPUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(USER_CFLAGS) -I tests/lib -I $(OUTPUT)/tests $< $(TLIB_OBJS) $(LIB) $(LIBS) $(TEST_LIBS) -o $@

test: $(CLI) $(TESTS)
	$(Q)tests/run.sh $(OUTPUT) all

test-unit: $(TESTS)
	$(Q)tests/run.sh $(OUTPUT) unit

bench: $(CLI) $(BENCHES)
	$(Q)tests/bench.sh $(OUTPUT)

$(JITLINES): tests/tools/jitlines.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) $< $(LIBS) -o $@

profile: $(BENCHES) $(JITLINES)
	$(Q)OUTPUT=$(OUTPUT) scripts/profile-path.sh $(P) $(W)

demo: $(CLI)
	$(Q)scripts/demo.sh $(OUTPUT)

install: $(CLI)
	install -D -m 0755 $(CLI) $(DESTDIR)$(PREFIX)/sbin/eniaddr-bpf
	install -D -m 0644 man/eniaddr-bpf.8 $(DESTDIR)$(PREFIX)/share/man/man8/eniaddr-bpf.8

clean:
	$(call msg,CLEAN,$(OUTPUT))
	$(Q)rm -rf $(OUTPUT)
