import { addProperty, listProperties } from "../../core/properties.js";
import type { CommandDefinition, CommandGroup } from "../command.js";
import { table } from "../table.js";

/** Hotels in one database: `--property NAME` (or HOTEL_PROPERTY) picks one; the default is `main`. */

const listCommand: CommandDefinition<Record<string, never>> = {
  name: "list",
  isDefault: true,
  summary: "list the properties (hotels) in this database",
  examples: ["hotel properties list", "hotel properties list --json"],
  parse: () => ({}),
  async run(_options, deps) {
    const db = await deps.database({ poolSize: 1 });
    const properties = await listProperties(deps.hotel(db));
    deps.out.result({ properties }, () => table(["PROPERTY", "TIERS", "SUITES", "CREATED"], properties.map((p) => [p.name, p.tiers, p.suites, p.createdAt.slice(0, 10)])));
    return 0;
  },
};

const addCommand: CommandDefinition<{ name: string }> = {
  name: "add",
  summary: "add a property; then use --property NAME (or HOTEL_PROPERTY) to work on it",
  arguments: [["<name>", "the property's name, e.g. lisbon"]],
  examples: ["hotel properties add lisbon", "hotel --property lisbon db seed"],
  parse: (_flags, [name]) => ({ name: String(name) }),
  async run(options, deps) {
    const db = await deps.database({ poolSize: 1 });
    const property = await addProperty(deps.hotel(db), options.name);
    deps.out.result({ property }, () => `Added property ${property.name}: use --property ${property.name} (or HOTEL_PROPERTY=${property.name}).`);
    return 0;
  },
};

export const propertiesCommands: CommandGroup = {
  name: "properties",
  summary: "the hotels in this database: list, add",
  examples: ["hotel properties list", "hotel properties add lisbon"],
  subcommands: [listCommand, addCommand],
};
