// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tests/lib/agentworld.c — see agentworld.h. MACs are the bed's TWO_INSTANCES_MACS. */
#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agentworld.h"
#include "vpcbed.h"

const char *agentworld_sgs =
	"{\"SecurityGroups\": [{\"GroupId\": \"sg-demo\", \"GroupName\": \"demo\","
	" \"IpPermissions\": ["
	"  {\"IpProtocol\": \"tcp\", \"FromPort\": 8080, \"ToPort\": 8080,"
	"   \"IpRanges\": [{\"CidrIp\": \"0.0.0.0/0\"}], \"Ipv6Ranges\": [{\"CidrIpv6\": \"::/0\"}],"
	"   \"PrefixListIds\": [], \"UserIdGroupPairs\": []},"
	"  {\"IpProtocol\": \"icmp\", \"FromPort\": -1, \"ToPort\": -1,"
	"   \"IpRanges\": [{\"CidrIp\": \"0.0.0.0/0\"}], \"Ipv6Ranges\": [], \"PrefixListIds\": [],"
	"   \"UserIdGroupPairs\": []}]}]}";

#define ENI_FMT \
	"\"%s\": {\"device-number\": %d, \"interface-id\": \"%s\", \"local-ipv4s\": [%s]," \
	" \"subnet-ipv4-cidr-block\": \"192.0.2.0/24\", \"security-group-ids\": [\"sg-demo\"]}"

#define FLOAT ", \"" AGENTWORLD_FLOATING "\""

void agentworld_text(int b, enum agentworld_owner owner, char *buf, size_t len)
{
	if (!b)
		snprintf(buf, len, "{\"macs\": {" ENI_FMT ", " ENI_FMT "}}",
			 "0e:a0:00:00:00:00", 0, "eni-a0",
			 owner == FLOAT_A_ETH0 ? "\"192.0.2.10\", \"192.0.2.11\"" FLOAT
					       : "\"192.0.2.10\", \"192.0.2.11\"",
			 "0e:a0:00:00:00:01", 1, "eni-a1",
			 owner == FLOAT_A_ETH1 ? "\"192.0.2.20\", \"192.0.2.21\"" FLOAT
					       : "\"192.0.2.20\", \"192.0.2.21\"");
	else
		snprintf(buf, len, "{\"macs\": {" ENI_FMT "}}", "0e:b0:00:00:00:00", 0, "eni-b0",
			 owner == FLOAT_B_ETH0 ? "\"192.0.2.30\"" FLOAT : "\"192.0.2.30\"");
}

const char *agentworld_role(enum agentworld_owner owner)
{
	return owner == FLOAT_B_ETH0 ? "instb" : "inst";
}

const char *agentworld_dev(enum agentworld_owner owner)
{
	return owner == FLOAT_A_ETH1 ? "eth1" : "eth0";
}

int agentworld_move(const char *bed, enum agentworld_owner owner)
{
	char *argv[] = { (char *)vpcbed_script(), "move", (char *)bed, AGENTWORLD_FLOATING,
			 (char *)agentworld_role(owner), (char *)agentworld_dev(owner), NULL };
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -EIO;
}
