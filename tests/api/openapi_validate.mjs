// Validates an OpenAPI document against the official OpenAPI 3.1 schema (and checks that every
// local $ref resolves). Exits 1 with the errors printed when the document is not valid.
//
//   node tests/api/openapi_validate.mjs docs/openapi.json [--self-test]
//
// --self-test also checks that the validator refuses broken copies of the document, so that a
// validator passing everything cannot pass for a valid document.
import { readFile } from "node:fs/promises";
import { Validator } from "@seriousme/openapi-schema-validator";

async function validate(document) {
  const validator = new Validator();
  const result = await validator.validate(structuredClone(document));
  if (result.valid && validator.version !== "3.1") {
    return { valid: false, errors: `OpenAPI ${validator.version}, not 3.1` };
  }
  return result;
}

// Broken copies of `document`, each with what is wrong with it.
function mutations(document) {
  const firstPath = Object.keys(document.paths)[0];
  const firstMethod = Object.keys(document.paths[firstPath])[0];
  const broken = [];
  const add = (what, change) => {
    const copy = structuredClone(document);
    change(copy);
    broken.push([what, copy]);
  };
  add("no info", (d) => delete d.info);
  add("an OpenAPI 3.0 version string", (d) => (d.openapi = "3.0.3"));
  add("a response under a status that is none", (d) => {
    d.paths[firstPath][firstMethod].responses["2000"] = { description: "no such status" };
  });
  add("a path not starting with /", (d) => (d.paths["v1/nowhere"] = d.paths[firstPath]));
  add("a parameter in an unknown place", (d) => {
    d.paths[firstPath][firstMethod].parameters = [{ name: "x", in: "body", schema: {} }];
  });
  add("a $ref to nothing", (d) => {
    d.paths[firstPath][firstMethod].responses["200"] = { $ref: "#/components/responses/Nowhere" };
  });
  add("a security scheme of an unknown type", (d) => {
    d.components.securitySchemes.broken = { type: "password" };
  });
  return broken;
}

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith("--"));
if (!file) {
  console.error("usage: node openapi_validate.mjs DOCUMENT.json [--self-test]");
  process.exit(2);
}
const document = JSON.parse(await readFile(file, "utf-8"));
const result = await validate(document);
if (!result.valid) {
  console.error(`${file} is not a valid OpenAPI 3.1 document:`);
  console.error(JSON.stringify(result.errors, null, 2));
  process.exit(1);
}
console.log(`${file}: valid OpenAPI 3.1`);

if (args.includes("--self-test")) {
  let failed = false;
  for (const [what, copy] of mutations(document)) {
    if ((await validate(copy)).valid) {
      console.error(`self-test: a document with ${what} was not refused`);
      failed = true;
    }
  }
  if (failed) process.exit(1);
  console.log("self-test: every broken copy was refused");
}
