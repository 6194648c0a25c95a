// The command table: group → subcommand ("" for a command without subcommands) → { summary, usage, options, run }.
import { deliveries } from "./deliveries.mjs";
import { endpoints } from "./endpoints.mjs";
import { events } from "./events.mjs";
import { listen } from "./listen.mjs";
import { subscriptions } from "./subscriptions.mjs";
import { tail } from "./tail.mjs";

/** @type {Record<string, Record<string, any>>} */
export const commands = { endpoints, subscriptions, events, deliveries, tail, listen };
