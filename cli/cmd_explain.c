#include "cmds.h"
int cmd_explain(const struct cli_args *a, struct err *e) { (void)a; return err_set(e, 38, "todo"); }
