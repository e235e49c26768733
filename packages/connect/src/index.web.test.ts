import { describe } from "vitest";
import { entryContract } from "../test/support/entry-contract.js";
import * as sdk from "./index.web.js";

// The Web entry wires webhook crypto to Web Crypto.
describe("Web entry", () => entryContract(sdk));
