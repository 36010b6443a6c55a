// Validates CycloneDX 1.5 JSON documents against the official schema (bom-1.5, with the SPDX licence list and JSF
// schemas it references), as shipped in the npm package @cyclonedx/cyclonedx-library. Used by the SBOM tests:
//   node validate.js FILE...   prints "valid FILE" or the schema errors; exit status 1 if any is invalid.
// The packages are installed next to this file by tests/install-reference-tools.sh (npm ci).
const fs = require('fs');
const path = require('path');
const Ajv = require('ajv');
const addFormats = require('ajv-formats');
const schemas = path.join(path.dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json')), 'res', 'schema');
const load = name => JSON.parse(fs.readFileSync(path.join(schemas, name), 'utf8'));
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
// Formats ajv-formats lacks; the document's URLs and e-mails are not what the tests check.
ajv.addFormat('iri-reference', true);
ajv.addFormat('idn-email', true);
// The package's copies are named *.SNAPSHOT.*, and bom-1.5's $refs use those names.
for (const name of ['spdx.SNAPSHOT.schema.json', 'jsf-0.82.SNAPSHOT.schema.json']) {
  const schema = load(name);
  delete schema.$id;
  ajv.addSchema(schema, `http://cyclonedx.org/schema/${name}`);
}
const validate = ajv.compile(load('bom-1.5.SNAPSHOT.schema.json'));
let failed = false;
for (const file of process.argv.slice(2)) {
  if (validate(JSON.parse(fs.readFileSync(file, 'utf8')))) {
    console.log(`valid ${file}`);
  } else {
    failed = true;
    for (const error of validate.errors) console.log(`invalid ${file}: ${error.instancePath} ${error.message} ${JSON.stringify(error.params)}`);
  }
}
process.exit(failed ? 1 : 0);
