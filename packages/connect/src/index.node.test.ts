import { describe } from "vitest";
import { entryContract } from "../test/support/entry-contract.js";
import * as sdk from "./index.node.js";

// The Node entry wires webhook crypto to node:crypto.
describe("Node entry", () => entryContract(sdk));
