/* config_floor.h - the coalition floors of article5.conf: what this host
 * refuses whatever a charter, adopted from the stream or not, allows. */
#ifndef A5_CONFIG_FLOOR_H
#define A5_CONFIG_FLOOR_H

#include "common/lineparse.h"
#include "daemon/config.h"

/* Parses one "coalition_*" line (w[0] is the keyword). 0, or -1 with the
 * FILE:LINE error in p. */
int config_parse_floor(struct lineparse *p, struct config *cfg, char **w, int nw);
/* Prints the floors that differ from the defaults (config_print). */
void config_print_floors(const struct config *cfg, FILE *f);

#endif
